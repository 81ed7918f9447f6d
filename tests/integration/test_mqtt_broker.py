"""The MQTT listener against real brokers, and the `telemetry_listen` command.

Tests that only connect use the shared broker on 127.0.0.1:1883 (`need_mqtt()`), each with its
own topic prefix and shared-subscription group, so other traffic on that broker never reaches
them. Tests that restart a broker start their own private mosquitto on a free port.
"""

import getpass
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from integration.models import Integration, MqttCount, MqttStrayCount
from integration.mqtt import listener as listener_module
from integration.mqtt.counters import TopicLog
from integration.mqtt.decoding import broker_from_url
from integration.mqtt.listener import Listener
from integration.mqtt.publishing import publish_bounded, publisher_connect
from tests.instances import database_env, free_port, need_mosquitto, wait_for
from tests.integration.conftest import BASE, SHARED_URL, count, line, stored
from tests.services import need, need_mqtt, port_open

ROOT = Path(__file__).resolve().parents[2]


# Brokers, listeners, publishers


@pytest.fixture
def shared_broker():
    need_mqtt()
    return SHARED_URL


@pytest.fixture(params=["shared", "private"])
def any_broker(request):
    """Each broker kind in turn: the shared one on 1883 and a private one on a free port."""
    if request.param == "shared":
        return request.getfixturevalue("shared_broker")
    return request.getfixturevalue("private_broker").url


@pytest.fixture
def prefix():
    """A topic prefix of this test's own: `<prefix>/<integration id>/telemetry`."""
    return f"test-{uuid.uuid4().hex[:12]}"


@contextmanager
def listening(url: str, prefix: str, client_id: str | None = None, **options):
    """A Listener running in a thread, subscribed; stopped (and checked) on exit."""
    listener = Listener(
        url=url,
        client_id=client_id or f"{prefix}-listener",
        group=prefix,
        prefix=prefix,
        **{
            "batch_seconds": 0.05,
            "session_expiry": 120,  # leftovers on the shared broker go away by themselves
            "reconnect_delay": (1, 2),
            "database_delay": (0.05, 0.2),
            **options,
        },
    )
    errors = []

    def run():
        try:
            listener.run()
        except BaseException as error:  # reported in the test's thread
            errors.append(error)

    thread = threading.Thread(target=run, name="test-listener", daemon=True)
    thread.start()
    try:
        assert listener.subscribed.wait(10), "the listener did not subscribe"
        yield listener
    finally:
        listener.stop()
        thread.join(15)
        assert not thread.is_alive(), "the listener did not stop"
    assert errors == []


def publish(url: str, messages, *, window: int = 50) -> int:
    """Publish (topic, payload) pairs at QoS 1, bounded in flight, and wait for every PUBACK."""
    client = publisher_connect(url, window=window)
    try:
        return publish_bounded(client, messages, window=window, timeout=10)
    finally:
        client.disconnect()
        client.loop_stop()


def topic(prefix: str, integration) -> str:
    return f"{prefix}/{integration.pk}/telemetry"


# The listener against a real broker

broker_test = pytest.mark.django_db(transaction=True)


@broker_test
def test_line_protocol_and_json_messages_are_stored(shared_broker, prefix, integration):
    json_body = orjson.dumps(
        {
            "points": [
                {"metric": "temp", "value": 21.5, "ts": BASE.isoformat(), "labels": {"a": "b"}}
            ]
        }
    )
    with listening(shared_broker, prefix) as listener:
        publish(
            shared_broker,
            [(topic(prefix, integration), line(1)), (topic(prefix, integration), json_body)],
        )
        wait_for(lambda: listener.counters.acknowledged == 2, what="2 acknowledged messages")
    assert stored(integration) == [
        ("temp", '{"a":"b"}', BASE, 21.5),
        ("vibration.rms", '{"sensor":"s1"}', BASE + timedelta(seconds=1), 1.5),
    ]
    counters = listener.counters
    assert (counters.received, counters.stored, counters.points_accepted) == (2, 2, 2)
    assert counters.unknown_integration == counters.paused == counters.bad_payload == 0


@broker_test
def test_a_republished_message_is_stored_once(shared_broker, prefix, integration):
    message = (topic(prefix, integration), line(3))
    with listening(shared_broker, prefix) as listener:
        publish(shared_broker, [message])
        wait_for(lambda: listener.counters.acknowledged == 1)
        publish(shared_broker, [message])  # the device did not get our PUBACK and retries
        wait_for(lambda: listener.counters.acknowledged == 2)
    assert count(integration) == 1
    assert (listener.counters.points_accepted, listener.counters.points_duplicate) == (1, 1)


@broker_test
def test_refused_messages_are_counted_logged_acknowledged_and_not_stored(
    shared_broker, prefix, integration, org, caplog
):
    paused = Integration.objects.create(organization=org, name="Paused line", paused=True)
    unknown = uuid.uuid4()
    client_id = f"{prefix}-refusals"
    with listening(shared_broker, prefix, client_id) as listener:
        publish(
            shared_broker,
            [
                (f"{prefix}/{unknown}/telemetry", line(1)),
                (topic(prefix, paused), line(2)),
                (topic(prefix, integration), b"vibration rms=oops"),
                (topic(prefix, integration), b'{"points": "none"}'),
            ],
        )
        wait_for(lambda: listener.counters.acknowledged == 4, what="4 acknowledged messages")
    counters = listener.counters
    assert (counters.unknown_integration, counters.paused, counters.bad_payload) == (1, 1, 2)
    assert counters.stored == counters.points_accepted == 0
    assert count(integration) == count(paused) == 0
    logged = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert any(str(unknown) in m and "unknown integration" in m for m in logged)
    assert any(str(paused.pk) in m and "paused" in m for m in logged)
    assert any("2 message(s)" in m and "bad payload" in m for m in logged)

    # Acknowledged: the same session, back again, gets only what is published now.
    with listening(shared_broker, prefix, client_id) as again:
        publish(shared_broker, [(topic(prefix, integration), line(5))])
        wait_for(lambda: again.counters.acknowledged == 1)
        time.sleep(0.3)  # anything redelivered would have come first
    assert again.counters.received == 1
    assert count(integration) == 1


@broker_test
def test_each_reason_of_a_refused_batch_is_logged_with_its_count(
    shared_broker, prefix, integration, caplog
):
    mine = topic(prefix, integration)
    with listening(shared_broker, prefix, batch_seconds=1.0) as listener:
        publish(
            shared_broker,
            [(mine, b"vibration rms=oops"), (mine, b"vibration rms=oops"), (mine, b"\xff")],
        )
        wait_for(lambda: listener.counters.acknowledged == 3, what="3 acknowledged messages")
    assert listener.counters.batches == 1
    [logged] = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert f"refused 3 message(s) for integration {integration.pk}: bad payload: " in logged
    assert "(2)" in logged and "not UTF-8 (byte 0) (1)" in logged
    assert MqttCount.objects.get(integration=integration).bad_payload == 3


@broker_test
def test_messages_on_unknown_topics_under_the_prefix_are_logged_once_a_minute_and_counted(
    shared_broker, prefix, integration, caplog
):
    client_id = f"{prefix}-strays"
    status = f"{prefix}/{integration.pk}/status"
    with listening(shared_broker, prefix, client_id) as listener:
        publish(shared_broker, [(status, b"online")] * 3 + [(f"{prefix}/a/b/c", b"x")])
        wait_for(lambda: listener.counters.acknowledged == 4, what="4 acknowledged messages")
        # The same pattern (another id) within the minute: counted, not logged again.
        publish(shared_broker, [(f"{prefix}/{uuid.uuid4()}/status", b"online")] * 2)
        wait_for(lambda: listener.counters.acknowledged == 6, what="6 acknowledged messages")
        publish(shared_broker, [(topic(prefix, integration), line(1))])
        wait_for(lambda: listener.counters.acknowledged == 7, what="7 acknowledged messages")
    logged = [
        r.getMessage() for r in caplog.records if "/<integration id>/telemetry" in r.getMessage()
    ]
    assert len([m for m in logged if "/status" in m]) == 1
    assert any(f"3 message(s) on '{status}'" in m for m in logged)
    assert any(f"'{prefix}/a/b/c'" in m for m in logged)
    assert len(logged) == 2
    assert listener.counters.unknown_topic == 6
    assert listener.counters.stored == count(integration) == 1
    strays = MqttStrayCount.objects.filter(listener=client_id)
    assert sum(strays.values_list("unknown_topic", flat=True)) == 6


@broker_test
def test_a_listener_restarted_with_the_same_client_id_loses_nothing_and_doubles_nothing(
    any_broker, prefix, integration
):
    total = 600
    client_id = f"{prefix}-restart"

    def paced():  # about 3 s of messages, so the listener stops in the middle of them
        for i in range(total):
            time.sleep(0.005)
            yield topic(prefix, integration), line(i)

    publisher = threading.Thread(target=publish, args=(any_broker, paced()), kwargs={"window": 20})
    with listening(any_broker, prefix, client_id, batch_messages=50) as first:
        publisher.start()
        # Stopped while messages keep coming: the batch in hand is stored and acknowledged,
        # what else it has received is left to the broker, which delivers it again.
        wait_for(lambda: first.counters.stored >= 100, what="a first share stored")
    stored_by_first = count(integration)
    publisher.join(20)
    assert not publisher.is_alive()
    assert stored_by_first < total, "the listener was stopped too late to prove anything"

    with listening(any_broker, prefix, client_id) as second:
        wait_for(lambda: count(integration) == total, 15, f"{total} points stored")
        time.sleep(0.3)
    assert count(integration) == total
    accepted = first.counters.points_accepted + second.counters.points_accepted
    duplicates = first.counters.points_duplicate + second.counters.points_duplicate
    assert (accepted, duplicates) == (total, 0)  # nothing committed was delivered again
    assert first.counters.stored + second.counters.stored == total


@broker_test
def test_the_listener_reconnects_when_the_broker_restarts(private_broker, prefix, integration):
    url = private_broker.url
    with listening(url, prefix) as listener:
        publish(url, [(topic(prefix, integration), line(i)) for i in range(50)])
        wait_for(lambda: count(integration) == 50)

        private_broker.stop()
        wait_for(lambda: listener.counters.disconnects == 1, what="the disconnect")
        private_broker.start()
        assert listener.subscribed.wait(10), "the listener did not come back"

        publish(url, [(topic(prefix, integration), line(i)) for i in range(50, 100)])
        wait_for(lambda: count(integration) == 100, what="100 points stored")
    assert listener.counters.points_accepted == 100


@broker_test
def test_messages_queued_for_a_stopped_listener_survive_a_broker_restart(
    private_broker, prefix, integration
):
    url = private_broker.url
    client_id = f"{prefix}-persistent"
    with listening(url, prefix, client_id):
        pass  # the session and its subscription exist now
    publish(url, [(topic(prefix, integration), line(i)) for i in range(200)])
    private_broker.stop()
    private_broker.start()
    with listening(url, prefix, client_id):
        wait_for(lambda: count(integration) == 200, what="200 points stored")


@broker_test
def test_while_the_database_is_down_nothing_is_acknowledged_and_the_batch_is_retried(
    shared_broker, prefix, integration, monkeypatch
):
    real = listener_module.ingest_messages
    attempts = []

    def down_twice(messages, **kwargs):
        attempts.append(len(messages))
        if len(attempts) <= 2:
            raise OperationalError("connection to server at 127.0.0.1 failed")
        return real(messages, **kwargs)

    monkeypatch.setattr(listener_module, "ingest_messages", down_twice)
    with listening(shared_broker, prefix) as listener:
        publish(shared_broker, [(topic(prefix, integration), line(1))])
        wait_for(lambda: listener.counters.database_errors == 2)
        assert listener.counters.acknowledged == 0
        wait_for(lambda: listener.counters.acknowledged == 1)
    assert count(integration) == 1
    assert len(attempts) == 3


@broker_test
def test_a_listener_stopped_while_the_database_is_down_leaves_the_messages_to_the_broker(
    shared_broker, prefix, integration, monkeypatch
):
    def down(messages, **kwargs):
        raise OperationalError("the database system is shutting down")

    client_id = f"{prefix}-database-down"
    with monkeypatch.context() as patch:
        patch.setattr(listener_module, "ingest_messages", down)
        with listening(shared_broker, prefix, client_id) as first:
            publish(shared_broker, [(topic(prefix, integration), line(i)) for i in range(3)])
            wait_for(lambda: first.counters.database_errors >= 1)
    assert first.counters.acknowledged == 0
    assert count(integration) == 0

    with listening(shared_broker, prefix, client_id) as second:
        wait_for(lambda: count(integration) == 3, what="the messages delivered again")
    assert second.counters.points_accepted == 3


@broker_test
def test_many_messages_go_through_in_batches_from_a_bounded_publisher(
    shared_broker, prefix, integration, second_integration
):
    total = 2000
    messages = [
        (topic(prefix, integration if i % 2 else second_integration), line(i)) for i in range(total)
    ]
    with listening(shared_broker, prefix) as listener:
        assert publish(shared_broker, messages, window=100) == total
        wait_for(lambda: listener.counters.acknowledged == total, 15, f"{total} acknowledged")
    assert count(integration) + count(second_integration) == total
    assert listener.counters.points_accepted == total
    assert listener.counters.batches <= total / 5  # batched, not one transaction a message


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
