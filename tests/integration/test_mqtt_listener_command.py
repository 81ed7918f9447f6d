"""The `telemetry_listen` command, the topic log, a broker that allows only the telemetry topics,
and retiring a listener's session, against real brokers (see test_mqtt_broker)."""

import getpass
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from integration.mqtt import listener as listener_module
from integration.mqtt.counters import TopicLog
from integration.mqtt.decoding import broker_from_url
from integration.mqtt.listener import Listener
from tests.instances import database_env, free_port, need_mosquitto, wait_for
from tests.integration.conftest import count, line
from tests.integration.listener_helpers import (  # noqa: F401 (fixtures)
    ROOT,
    broker_test,
    listening,
    prefix_fixture,
    publish,
    shared_broker_fixture,
    topic,
)
from tests.services import need, port_open

# The command


def test_the_command_refuses_a_bad_mqtt_url(settings):
    settings.MQTT_URL = "http://127.0.0.1:1883"
    with pytest.raises(CommandError, match="mqtt:// or mqtts://"):
        call_command("telemetry_listen")


@broker_test
def test_the_command_stores_what_arrives_and_stops_cleanly_on_sigterm(shared_broker, integration):
    env = database_env(MQTT_URL=shared_broker, LOG_LEVEL="INFO")
    group = f"test-{uuid.uuid4().hex[:12]}"
    command = [
        sys.executable, "manage.py", "telemetry_listen",
        "--client-id", f"{group}-command", "--group", group, "--session-expiry", "60",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    output = []
    reader = threading.Thread(target=lambda: output.extend(process.stderr), daemon=True)
    reader.start()
    try:
        wait_for(lambda: any("subscribed to" in o for o in output), 15, "the command to subscribe")
        publish(shared_broker, [(f"ladder/{integration.pk}/telemetry", line(9))])
        wait_for(lambda: count(integration) == 1, what="the point stored")
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    reader.join(5)
    text = "".join(output)
    assert f"$share/{group}/ladder/#" in text
    assert "mqtt: stopped:" in text
    assert "acknowledged=" in text


def test_the_topic_log_allows_one_line_per_pattern_a_minute_and_says_what_it_held_back():
    log = TopicLog(every=60)
    assert log.note("ladder/a/status", 3, now=0) == ("ladder/+/status", 0)
    assert log.note("ladder/b/status", 2, now=30) is None
    assert log.note("ladder/b/other", 1, now=30) == ("ladder/+/other", 0)
    assert log.note("ladder/c/status", 1, now=61) == ("ladder/+/status", 2)
    assert log.note("ladder/c/status", 1, now=62) is None


@pytest.fixture
def dynsec_broker(tmp_path):
    """A private mosquitto with the dynamic security plugin, the listener's role as docs/MQTT.md
    gave it before the listener subscribed to the whole prefix: telemetry topics only."""
    need_mosquitto()
    plugin = Path("/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so")
    need(
        "mqtt",
        plugin.exists() and bool(shutil.which("mosquitto_ctrl")),
        f"mosquitto's dynamic security plugin ({plugin}) or mosquitto_ctrl is missing",
    )
    port, config = free_port(), tmp_path / "dynsec.json"
    subprocess.run(
        ["mosquitto_ctrl", "dynsec", "init", str(config), "admin", "admin-password"],
        check=True,
        capture_output=True,
    )
    (tmp_path / "mosquitto.conf").write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous false\n"
        f"plugin {plugin}\nplugin_opt_config_file {config}\n"
        f"user {getpass.getuser()}\n"  # as root, mosquitto would switch to "mosquitto"
    )
    broker = subprocess.Popen(
        ["mosquitto", "-c", str(tmp_path / "mosquitto.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: port_open("127.0.0.1", port), 5, "the broker to listen")
        ctl = ["mosquitto_ctrl", "-h", "127.0.0.1", "-p", str(port)]
        ctl += ["-u", "admin", "-P", "admin-password", "dynsec"]
        for command in [
            ["createRole", "listener"],
            [
                "addRoleACL",
                "listener",
                "subscribePattern",
                "$share/ladder/ladder/+/telemetry",
                "allow",
            ],
            ["addRoleACL", "listener", "publishClientReceive", "ladder/+/telemetry", "allow"],
            ["createClient", "ladder-listener", "-p", "listener-password"],
            ["addClientRole", "ladder-listener", "listener"],
            ["createRole", "device"],
            ["addRoleACL", "device", "publishClientSend", "ladder/#", "allow"],
            ["createClient", "device", "-p", "device-password"],
            ["addClientRole", "device", "device"],
        ]:
            subprocess.run(ctl + command, check=True, capture_output=True)
        yield f"mqtt://{{}}@127.0.0.1:{port}"
    finally:
        broker.terminate()
        broker.wait(5)


@broker_test
def test_a_broker_that_allows_only_the_telemetry_topics_gets_them_subscribed_alone(
    dynsec_broker, integration, caplog
):
    listener_url = dynsec_broker.format("ladder-listener:listener-password")
    device_url = dynsec_broker.format("device:device-password")
    with listening(listener_url, "ladder", "ladder-listener") as listener:
        publish(device_url, [(f"ladder/{integration.pk}/telemetry", line(1))])
        wait_for(lambda: count(integration) == 1, what="the point stored")
    assert listener.topic == "$share/ladder/ladder/+/telemetry"
    assert any(
        "refused the subscription to $share/ladder/ladder/#" in r.getMessage()
        for r in caplog.records
    )


@broker_test
def test_a_session_kept_from_a_telemetry_only_listener_gets_each_message_once(
    shared_broker, prefix, integration
):
    client_id = f"{prefix}-upgraded"
    old = broker_from_url(shared_broker).client(client_id=client_id)
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 120
    old.connect("127.0.0.1", 1883, clean_start=True, properties=properties)
    old.loop_start()
    subscribed = threading.Event()
    old.on_subscribe = lambda *args: subscribed.set()
    old.subscribe(f"$share/{prefix}/{prefix}/+/telemetry", qos=1)
    assert subscribed.wait(5)
    old.disconnect()  # the session, with its subscription, stays
    old.loop_stop()

    with listening(shared_broker, prefix, client_id) as listener:
        time.sleep(0.3)  # the old subscription is dropped right after the new one is granted
        publish(shared_broker, [(topic(prefix, integration), b"vibration rms=1.5")])
        wait_for(lambda: listener.counters.acknowledged >= 1, what="the message acknowledged")
        time.sleep(0.5)  # a second copy would come by now
    assert listener.counters.received == 1
    assert count(integration) == 1


# Retiring a listener's session


def retirer(url: str, prefix: str, client_id: str) -> Listener:
    return Listener(
        url=url,
        client_id=client_id,
        group=prefix,
        prefix=prefix,
        batch_seconds=0.05,
        session_expiry=120,
        database_delay=(0.05, 0.2),
        quiet_seconds=0.5,
    )


@broker_test
def test_a_session_retired_while_the_database_is_down_keeps_its_messages_for_the_next_try(
    shared_broker, prefix, integration, monkeypatch
):
    client_id = f"{prefix}-gone"
    with listening(shared_broker, prefix, client_id=client_id):
        pass  # joined the group, then stopped: its session keeps its share
    assert publish(shared_broker, [(topic(prefix, integration), line(i)) for i in range(20)]) == 20

    def down(*args, **kwargs):
        raise OperationalError("the database system is shutting down")

    with monkeypatch.context() as patch:
        patch.setattr(listener_module, "ingest_messages", down)
        assert not retirer(shared_broker, prefix, client_id).retire_session()
    assert count(integration) == 0

    again = retirer(shared_broker, prefix, client_id)
    assert again.retire_session()
    assert again.counters.drained == 20
    assert count(integration) == 20
    # Once retired, nothing is left: retiring again finds an empty session and ends it.
    last = retirer(shared_broker, prefix, client_id)
    assert last.retire_session()
    assert last.counters.drained == 0
