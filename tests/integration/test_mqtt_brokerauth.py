"""The broker accepts an integration only while Ladder does (integration.mqtt.brokerauth).

Against a private mosquitto with the dynamic security plugin on a free port (never the shared
broker): tokens issued and revoked through the pages, pausing through the form, deleting in
the admin, and the sync loop on its own.
"""

import queue
import signal
import subprocess
import threading
import time
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from integration.lineprotocol import Point
from integration.models import IngestToken, Integration
from integration.mqtt import brokerauth
from integration.mqtt.brokerauth import Account, Held, account_commands
from integration.mqtt.decoding import broker_from_url
from integration.services import telemetry_ingest
from tests.conftest import client_for, make_user
from tests.instances import (
    DynsecBroker,
    database_env,
    free_port,
    manage,
    need_dynsec,
    wait_for,
)
from tests.integration.test_pages_form import create_url as form_create_url
from tests.integration.test_pages_form import edit_url, management, valid_data
from tests.integration.test_pages_tokens import create_url, revoke_url, shown_token

broker_test = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker(tmp_path, settings):
    """A private mosquitto with dynamic security, which Ladder drives (MQTT_ADMIN_URL)."""
    need_dynsec()
    broker = DynsecBroker(tmp_path / "dynsec-broker")
    settings.MQTT_ADMIN_URL = broker.admin_url
    yield broker
    broker.stop()


def login(broker, username, password):
    """A client logged in as `username`, or None when the broker refuses; `client.dropped` is
    set when the broker disconnects it."""
    client = broker_from_url(broker.url).client(
        client_id=f"test-{uuid.uuid4().hex[:8]}", reconnect_on_failure=False
    )
    client.username_pw_set(username, password)
    answers, client.dropped = queue.Queue(), threading.Event()
    client.on_connect = lambda c, u, flags, code, props: answers.put(code)
    client.on_disconnect = lambda *args: client.dropped.set()
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    if answers.get(timeout=5).is_failure:
        client.loop_stop()
        return None
    return client


class Subscriber:
    """The broker's `admin` reading everything under ladder/ (its role from `dynsec init`)."""

    def __init__(self, broker):
        self.received: list[tuple[str, bytes]] = []
        self.client = login(broker, "admin", "admin-password")
        self.client.on_message = lambda c, u, m: self.received.append((m.topic, m.payload))
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.subscribe("ladder/#", qos=1)
        assert subscribed.wait(5)

    def got(self, payload: bytes, timeout: float = 2.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p == payload for _, p in self.received):
                return True
            time.sleep(0.02)
        return False


def publish(client, topic: str) -> bytes:
    payload = f"vibration rms={time.monotonic()}".encode()
    client.publish(topic, payload, qos=1).wait_for_publish(5)
    return payload


def reverse_detail(integration) -> str:
    return reverse(
        "integration:integration-detail", args=[integration.organization.slug, integration.pk]
    )


def topic(integration) -> str:
    return f"ladder/{integration.pk}/telemetry"


def issue(browser, integration, *, mqtt=True) -> tuple[str, str]:
    """A token issued on the page (made the MQTT password, unless not `mqtt`): its plain text
    and the page that shows it."""
    data = {"name": "press-3 gateway", **({"mqtt": "on"} if mqtt else {})}
    posted = browser.post(create_url(integration), data)
    html = browser.get(posted.url).content.decode()
    return shown_token(html), html


def works_over_http(raw: str) -> bool:
    # What the HTTP API authenticates with. (Not a POST: ingest is broken at this commit by
    # Point.quality, which the ingest loop does not unpack yet.)
    return IngestToken.objects.authenticate(raw, now=timezone.now()) is not None


def pause_data(integration, paused: bool) -> dict:
    data = {"name": integration.name, "interval_seconds": "300", "grace_seconds": "300"}
    return {**data, **management(total=0), **({"paused": "on"} if paused else {})}


# Through the pages


@broker_test
def test_a_revoked_token_is_dropped_and_refused_by_the_broker(broker, owner, integration):
    browser = client_for(owner)
    raw, html = issue(browser, integration)
    assert "is now the integration's MQTT password" in html
    subscriber = Subscriber(broker)
    device = login(broker, str(integration.pk), raw)
    assert subscriber.got(publish(device, topic(integration)))

    token = IngestToken.objects.get()
    assert browser.post(revoke_url(token)).status_code == 302
    wait_for(device.dropped.is_set, 2, "the broker to drop the device")
    assert login(broker, str(integration.pk), raw) is None


@broker_test
def test_a_new_integrations_first_token_is_its_mqtt_password(broker, org, owner):
    browser = client_for(owner)
    posted = browser.post(form_create_url(org), valid_data())
    html = browser.get(posted.url).content.decode()
    assert "is now the integration's MQTT password" in html
    integration = Integration.objects.get()
    assert login(broker, str(integration.pk), shown_token(html)) is not None


@broker_test
def test_a_paused_integration_is_refused_and_unpausing_restores_it(broker, owner, integration):
    browser = client_for(owner)
    raw, _ = issue(browser, integration)
    device = login(broker, str(integration.pk), raw)

    assert browser.post(edit_url(integration), pause_data(integration, True)).status_code == 302
    wait_for(device.dropped.is_set, 2, "the broker to drop the device")
    assert login(broker, str(integration.pk), raw) is None

    assert browser.post(edit_url(integration), pause_data(integration, False)).status_code == 302
    subscriber = Subscriber(broker)
    wait_for(lambda: login(broker, str(integration.pk), raw) is not None, 2, "a login")
    device = login(broker, str(integration.pk), raw)
    assert subscriber.got(publish(device, topic(integration)))


@broker_test
def test_an_integration_deleted_in_the_admin_loses_its_broker_client(broker, owner, integration):
    staff = make_user("staff@ladder.test", is_staff=True, is_superuser=True)
    raw, _ = issue(client_for(owner), integration)
    device = login(broker, str(integration.pk), raw)

    url = reverse("admin:integration_integration_delete", args=[integration.pk])
    assert client_for(staff).post(url, {"post": "yes"}).status_code == 302
    wait_for(device.dropped.is_set, 2, "the broker to drop the device")
    assert login(broker, str(integration.pk), raw) is None
    report = brokerauth.broker_sync()  # nothing left to do
    assert (report.integrations, report.commands) == (0, 0)


@broker_test
def test_an_integration_publishes_only_to_its_own_topic(
    broker, owner, integration, second_integration
):
    browser = client_for(owner)
    raw, _ = issue(browser, integration)
    issue(browser, second_integration)
    subscriber = Subscriber(broker)
    device = login(broker, str(integration.pk), raw)
    stolen = publish(device, topic(second_integration))
    own = publish(device, topic(integration))
    assert subscriber.got(own)
    assert (topic(second_integration), stolen) not in subscriber.received


def test_a_devices_integration_may_publish_only_that_devices_messages(org):
    device = Integration(
        organization=org,
        sparkplug_group="Plant1",
        sparkplug_node="press3",
        sparkplug_device="oven",
    )
    topics = {topic for _, topic in brokerauth.integration_acls(device)}
    assert "spBv1.0/Plant1/DDATA/press3/oven" in topics
    assert "spBv1.0/Plant1/DCMD/press3/oven" in topics
    assert not {t for t in topics if t.endswith("/+") and "STATE" not in t}
    assert not {t for t in topics if "/NBIRTH/" in t or "/NDATA/" in t or "/NCMD/" in t}


@broker_test
def test_a_devices_integration_publishes_that_devices_messages_only(broker, owner, org):
    oven = Integration.objects.create(
        organization=org,
        name="Press 3 oven",
        sparkplug_group="Plant1",
        sparkplug_node="press3",
        sparkplug_device="oven",
    )
    raw, _ = issue(client_for(owner), oven)
    admin = Subscriber(broker)
    admin.client.subscribe("spBv1.0/#", qos=1)
    time.sleep(0.3)
    device = login(broker, str(oven.pk), raw)
    own = publish(device, "spBv1.0/Plant1/DDATA/press3/oven")
    others = [
        publish(device, "spBv1.0/Plant1/DDATA/press3/spindle"),
        publish(device, "spBv1.0/Plant1/NDATA/press3"),
        publish(device, "spBv1.0/Plant1/NBIRTH/press3"),
    ]
    assert admin.got(own)
    assert not any(admin.got(payload, timeout=0.3) for payload in others)


@broker_test
def test_a_sparkplug_edge_node_publishes_its_own_messages_and_gets_its_commands(broker, owner, org):
    node = Integration.objects.create(
        organization=org, name="Press 3 edge", sparkplug_group="Plant1", sparkplug_node="press3"
    )
    raw, _ = issue(client_for(owner), node)
    admin = Subscriber(broker)
    admin.client.subscribe("spBv1.0/#", qos=1)
    time.sleep(0.3)
    edge = login(broker, str(node.pk), raw)
    commands = []
    edge.on_message = lambda c, u, m: commands.append(m.topic)
    edge.subscribe("spBv1.0/Plant1/NCMD/press3", qos=1)
    edge.subscribe("spBv1.0/Plant1/NCMD/press4", qos=1)  # another node's: refused
    time.sleep(0.3)
    own = publish(edge, "spBv1.0/Plant1/NDATA/press3")
    device = publish(edge, "spBv1.0/Plant1/DDATA/press3/spindle")
    foreign = publish(edge, "spBv1.0/Plant1/NDATA/press4")
    assert admin.got(own) and admin.got(device)
    assert not admin.got(foreign, timeout=0.5)
    # The primary host's account, as docs/MQTT.md sets it up: it sends the commands.
    acl = {"acltype": "publishClientSend", "topic": "spBv1.0/#", "allow": True}
    with brokerauth.Dynsec(broker_from_url(broker.admin_url)) as dynsec:
        dynsec.send(
            [
                {"command": "createRole", "rolename": "sparkplug-host", "acls": [acl]},
                {"command": "createClient", "username": "host", "password": "host-password"},
                {"command": "addClientRole", "username": "host", "rolename": "sparkplug-host"},
            ]
        )
    host = login(broker, "host", "host-password")
    for target in ("press3", "press4"):
        host.publish(f"spBv1.0/Plant1/NCMD/{target}", b"rebirth", qos=1).wait_for_publish(5)
    wait_for(lambda: commands, 5, "the edge node's command")
    time.sleep(0.3)
    assert commands == ["spBv1.0/Plant1/NCMD/press3"]


@broker_test
def test_a_token_not_made_the_mqtt_password_leaves_the_broker_as_it_was(broker, owner, integration):
    browser = client_for(owner)
    page = browser.get(reverse_detail(integration)).content.decode()
    assert 'name="mqtt" id="id_mqtt" checked' in page  # no password yet: ticked
    first, _ = issue(browser, integration)
    page = browser.get(reverse_detail(integration)).content.decode()
    assert 'name="mqtt" id="id_mqtt" aria-describedby' in page  # one now: not ticked
    device = login(broker, str(integration.pk), first)
    second, html = issue(browser, integration, mqtt=False)
    assert "MQTT password" not in html
    time.sleep(0.5)
    assert not device.dropped.is_set()
    assert login(broker, str(integration.pk), second) is None
    assert IngestToken.objects.get(on_broker__isnull=False).hint == first[:8]


@broker_test
def test_the_newest_token_is_the_mqtt_password_and_the_older_works_over_http(
    broker, owner, integration
):
    browser = client_for(owner)
    first, _ = issue(browser, integration)
    device = login(broker, str(integration.pk), first)
    second, _ = issue(browser, integration)
    wait_for(device.dropped.is_set, 2, "the broker to drop the device on the old password")
    assert login(broker, str(integration.pk), first) is None
    assert login(broker, str(integration.pk), second) is not None
    assert works_over_http(first)
    detail = browser.get(
        reverse(
            "integration:integration-detail", args=[integration.organization.slug, integration.pk]
        )
    ).content.decode()
    assert detail.count(">MQTT</span>") == 1
    # Revoking the older token leaves MQTT alone.
    browser.post(revoke_url(IngestToken.objects.get(on_broker__isnull=True)))
    assert login(broker, str(integration.pk), second) is not None


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
