"""The broker accepts an integration only while Ladder does: the sync loop on its own, the
broker away, and the commands sent to it (integration.mqtt.brokerauth), against a private
mosquitto with dynamic security on a free port."""

import signal
import subprocess
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from integration.lineprotocol import Point
from integration.models import IngestToken, Integration
from integration.mqtt import brokerauth
from integration.mqtt.brokerauth import Account, Held, account_commands
from integration.services import telemetry_ingest
from tests.conftest import client_for
from tests.instances import (
    database_env,
    free_port,
    manage,
    wait_for,
)
from tests.integration.brokerauth_helpers import (  # noqa: F401 (fixture)
    broker_fixture,
    broker_test,
    issue,
    login,
    topic,
    works_over_http,
)
from tests.integration.test_pages_tokens import revoke_url

# The sync loop on its own


@broker_test
def test_the_sync_alone_refuses_a_revoked_token_and_deletes_gone_integrations(
    broker, owner, integration, second_integration, monkeypatch, capsys
):
    browser = client_for(owner)
    raw, _ = issue(browser, integration)
    other, _ = issue(browser, second_integration)
    monkeypatch.setattr(brokerauth, "push_soon", lambda integration_id: None)
    browser.post(revoke_url(IngestToken.objects.get(integration=integration)))
    Integration.objects.filter(pk=second_integration.pk).delete()
    device = login(broker, str(integration.pk), raw)
    assert device is not None  # the broker was not told
    assert login(broker, str(second_integration.pk), other) is not None

    call_command("mqtt_broker_sync")
    assert capsys.readouterr().out == (
        "1 integration(s) on the broker, 0 enabled; 3 change(s) sent, 1 stale client(s) deleted.\n"
    )
    wait_for(device.dropped.is_set, 2, "the broker to drop the device")
    assert login(broker, str(integration.pk), raw) is None
    assert login(broker, str(second_integration.pk), other) is None
    assert login(broker, "admin", "admin-password") is not None  # never touched
    assert login(broker, "ladder-admin", "ladder-admin-password") is not None


@broker_test
def test_a_revoke_while_the_broker_is_down_reaches_it_with_the_next_sync(
    broker, owner, integration
):
    browser = client_for(owner)
    raw, _ = issue(browser, integration)
    broker.stop()
    assert browser.post(revoke_url(IngestToken.objects.get())).status_code == 302
    broker.start()
    assert login(broker, str(integration.pk), raw) is not None  # the broker missed it
    assert brokerauth.broker_sync().commands == 1
    assert login(broker, str(integration.pk), raw) is None


@broker_test
def test_the_sync_loop_runs_until_sigterm(broker, integration):
    env = database_env(MQTT_ADMIN_URL=broker.admin_url, DEBUG="1")
    loop = manage("mqtt_broker_sync", "--every", "1", env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert "1 integration(s) on the broker" in loop.stdout.readline()
        assert "0 change(s) sent" in loop.stdout.readline()  # a second pass, nothing to do
    finally:
        loop.send_signal(signal.SIGTERM)
        out, _ = loop.communicate(timeout=10)
    assert (loop.returncode, out) == (0, "Stopped.\n")


@broker_test
def test_the_sync_gives_an_integration_without_a_pushed_token_a_disabled_client(
    broker, integration
):
    IngestToken.objects.issue(integration=integration, name="before the broker was driven")
    report = brokerauth.broker_sync()
    assert (report.integrations, report.enabled, report.commands) == (1, 0, 3)
    assert brokerauth.broker_sync().commands == 0  # in line: nothing sent


@broker_test
def test_telemetry_health_syncs_the_broker_before_its_check(broker, integration, capsys):
    call_command("telemetry_health")
    out = capsys.readouterr().out
    assert "MQTT broker: 1 integration(s) on the broker, 0 enabled; 3 change(s) sent" in out


@broker_test
def test_a_slow_password_push_does_not_hold_up_the_integrations_data(
    broker, integration, monkeypatch
):
    """The push takes turns with other pushes only: ingest (which updates the integration's
    row) goes on meanwhile, on either database."""
    slow_send = brokerauth.Dynsec.send

    def send(self, commands, **options):
        time.sleep(1.5)
        return slow_send(self, commands, **options)

    monkeypatch.setattr(brokerauth.Dynsec, "send", send)
    token, raw = IngestToken.objects.issue(integration=integration, name="gateway")

    def push():
        try:
            brokerauth.token_push(raw=raw, now=timezone.now())
        finally:
            connection.close()

    pushing = threading.Thread(target=push)
    pushing.start()
    time.sleep(0.5)  # the push is waiting on the broker now
    started = time.monotonic()
    point = Point("vibration.rms", (), timezone.now(), 1.0)
    assert telemetry_ingest(integration=integration, points=[point], now=timezone.now())
    took = time.monotonic() - started
    pushing.join(10)
    assert took < 1.0, f"ingest waited {took:.1f} s for the push"
    token.refresh_from_db()
    assert token.on_broker is not None


@broker_test
def test_a_failing_health_run_does_not_hold_up_the_broker_sync(broker, integration, monkeypatch):
    from integration.management.commands import telemetry_health

    def broken(**kwargs):
        raise RuntimeError("a health run that fails")

    monkeypatch.setattr(telemetry_health, "health_check_run", broken)
    with pytest.raises(RuntimeError):
        call_command("telemetry_health")
    assert brokerauth.broker_sync().commands == 0  # the failing run had synced it already


# The broker away


@broker_test
def test_a_password_push_without_an_answer_trusts_no_token_until_the_next_push(
    broker, owner, integration, monkeypatch
):
    browser = client_for(owner)
    first, _ = issue(browser, integration)
    commands = brokerauth.account_commands
    monkeypatch.setattr(  # the password is set, then the broker answers with an error
        brokerauth,
        "account_commands",
        lambda *args, **kwargs: [*commands(*args, **kwargs), {"command": "noSuchCommand"}],
    )
    second, html = issue(browser, integration)
    assert "MQTT will refuse this token" in html
    assert not IngestToken.objects.filter(on_broker__isnull=False).exists()
    monkeypatch.setattr(brokerauth, "account_commands", commands)
    brokerauth.broker_sync()
    assert login(broker, str(integration.pk), first) is None
    assert login(broker, str(integration.pk), second) is None
    third, _ = issue(browser, integration)
    assert login(broker, str(integration.pk), third) is not None


@broker_test
def test_telemetry_health_logs_a_broker_it_cannot_reach_and_goes_on(settings, integration, caplog):
    settings.MQTT_ADMIN_URL = f"mqtt://ladder-admin:pw@127.0.0.1:{free_port()}"
    call_command("telemetry_health")
    assert "MQTT broker not synced: cannot connect to" in caplog.text


@broker_test
def test_a_token_issued_while_the_broker_is_down_works_over_http(settings, owner, integration):
    settings.MQTT_ADMIN_URL = f"mqtt://ladder-admin:pw@127.0.0.1:{free_port()}"
    raw, html = issue(client_for(owner), integration)
    assert "MQTT will refuse this token until a token is issued while the broker" in html
    assert IngestToken.objects.get().on_broker is None
    assert works_over_http(raw)
    # Revoking it then fails nobody's request either.
    assert client_for(owner).post(revoke_url(IngestToken.objects.get())).status_code == 302


@broker_test
def test_create_integration_says_when_the_broker_is_down(settings, org, capsys):
    settings.MQTT_ADMIN_URL = f"mqtt://ladder-admin:pw@127.0.0.1:{free_port()}"
    call_command("create_integration", org.slug, "Press 4")
    out, err = capsys.readouterr()
    assert '"token": "ldr_' in out
    assert "MQTT will refuse this token until" in err


@broker_test
def test_create_integration_pushes_the_token(broker, org, capsys):
    call_command("create_integration", org.slug, "Press 4")
    integration = Integration.objects.get()
    raw = capsys.readouterr().out.split('"token": "')[1].split('"')[0]
    assert login(broker, str(integration.pk), raw) is not None


@pytest.mark.parametrize("every", ["0", "-5"])
def test_the_sync_loop_refuses_an_interval_under_a_second(every):
    with pytest.raises(CommandError, match="at least 1 second"):
        call_command("mqtt_broker_sync", "--every", every)


def test_the_sync_command_needs_the_admin_url(settings):
    settings.MQTT_ADMIN_URL = ""
    with pytest.raises(CommandError, match="MQTT_ADMIN_URL is not set"):
        call_command("mqtt_broker_sync")


# The commands, without a broker


ACCOUNT = Account(
    username="abc", acls=(("publishClientSend", "ladder/abc/telemetry"),), enabled=True
)
ACL = ("publishClientSend", "ladder/abc/telemetry", True)


def test_a_new_password_is_set_before_the_client_is_enabled():
    commands = account_commands(ACCOUNT, Held(frozenset(), disabled=True), set(), password="pw")
    assert [c["command"] for c in commands] == [
        "addRoleACL",
        "addClientRole",
        "setClientPassword",
        "enableClient",
    ]


def test_nothing_is_sent_for_a_client_in_line_and_a_stray_acl_is_removed():
    held = Held(frozenset(["integration-abc"]), disabled=False)
    assert account_commands(ACCOUNT, held, {ACL}) == []
    stray = ("publishClientSend", "ladder/#", True)
    assert account_commands(ACCOUNT, held, {ACL, stray}) == [
        {
            "command": "removeRoleACL",
            "rolename": "integration-abc",
            "acltype": "publishClientSend",
            "topic": "ladder/#",
        }
    ]


@broker_test
def test_a_malformed_admin_url_is_said_on_the_token_page(settings, owner, integration):
    settings.MQTT_ADMIN_URL = "http://broker.example.com"
    raw, html = issue(client_for(owner), integration)
    assert "MQTT will refuse this token" in html
    assert works_over_http(raw)
    assert client_for(owner).post(revoke_url(IngestToken.objects.get())).status_code == 302
