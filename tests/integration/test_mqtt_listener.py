"""The MQTT listener: pure pieces, the batch ingest, and the listener against real brokers.

Tests that only connect use the shared broker on 127.0.0.1:1883 (`need_mqtt()`), each with its
own topic prefix and shared-subscription group, so other traffic on that broker never reaches
them. Tests that restart a broker start their own private mosquitto on a free port.
"""

import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError

from integration.models import Integration, Point
from integration.mqtt import (
    BAD_PAYLOAD,
    PAUSED,
    UNKNOWN,
    BadPayload,
    Listener,
    Received,
    backoff,
    broker_from_url,
    decode_payload,
    default_client_id,
    ingest_messages,
    parse_topic,
    publish_bounded,
    publisher_connect,
)
from integration.mqtt import ingest as ingest_module
from integration.mqtt import listener as listener_module
from integration.services import storage
from tests.instances import database_env, wait_for
from tests.integration.conftest import stored
from tests.services import need_mqtt

SHARED_URL = "mqtt://127.0.0.1:1883"
ROOT = Path(__file__).resolve().parents[2]
# An hour ago, whole seconds: inside the ingest window whenever the tests run.
BASE = datetime.fromtimestamp(int(time.time()) - 3600, UTC)
BASE_NS = int(BASE.timestamp()) * 10**9


def line(i: int, sensor: str = "s1") -> bytes:
    return f"vibration,sensor={sensor} rms={i}.5 {BASE_NS + i * 10**9}".encode()


def count(integration) -> int:
    return Point.objects.filter(series__metric__integration=integration).count()


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


@pytest.fixture
def second_integration(org):
    return Integration.objects.create(organization=org, name="Riverside boiler temperature")


# Pure pieces


def test_parse_topic_takes_the_integration_id_from_the_topic():
    some = uuid.uuid4()
    assert parse_topic(f"ladder/{some}/telemetry") == some
    assert parse_topic(f"test-x/{some}/telemetry", prefix="test-x") == some
    assert parse_topic(f"ladder/{some}/telemetry", prefix="test-x") is None
    assert parse_topic(f"ladder/{some}/other") is None
    assert parse_topic(f"ladder/{some}/telemetry/extra") is None
    assert parse_topic("ladder/not-a-uuid/telemetry") is None
    # Only the canonical spelling, the one the broker's ACL pattern lets through.
    assert parse_topic(f"ladder/{str(some).upper()}/telemetry") is None
    assert parse_topic(f"ladder/{some.hex}/telemetry") is None


def test_broker_from_url_reads_scheme_host_port_and_credentials():
    plain = broker_from_url("mqtt://127.0.0.1")
    assert (plain.host, plain.port, plain.tls, plain.username) == ("127.0.0.1", 1883, False, None)
    secure = broker_from_url("mqtts://ladder-listener:p%40ss%3Aword@broker.example.com")
    assert (secure.host, secure.port, secure.tls) == ("broker.example.com", 8883, True)
    assert (secure.username, secure.password) == ("ladder-listener", "p@ss:word")
    assert broker_from_url("mqtt://localhost:11883").port == 11883
    for bad in ("http://127.0.0.1", "mqtt://", "mqtt://host:port"):
        with pytest.raises(ValueError):
            broker_from_url(bad)


def test_the_default_client_id_is_stable_and_names_the_host():
    assert default_client_id() == default_client_id()
    assert default_client_id().startswith("ladder-listener-")
    assert socket.gethostname().split(".")[0] in default_client_id()


def test_backoff_doubles_up_to_the_cap():
    delays = backoff(1, 30)
    assert [next(delays) for _ in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]


def test_decode_payload_reads_json_or_line_protocol():
    now = datetime.now(UTC)
    json_body = orjson.dumps({"points": [{"metric": "temp", "value": 21.5, "ts": 1764064800}]})
    (point,) = decode_payload(b"  " + json_body, now=now)
    assert (point.metric, point.value, point.ts) == (
        "temp",
        21.5,
        datetime.fromtimestamp(1764064800, UTC),
    )
    (point,) = decode_payload(b"vibration,sensor=s1 rms=0.5 1764064800000000000", now=now)
    assert (point.metric, point.labels, point.value) == ("vibration.rms", (("sensor", "s1"),), 0.5)
    assert decode_payload(b"vibration rms=1", now=now)[0].ts == now


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"garbage", "line 1: missing fields"),
        (b'{"points": [{"metric": "t"}]}', "points[0].value: is missing"),
        (b"{not json", "invalid JSON"),
        (b"m f=1 \xff", "not UTF-8"),
    ],
)
def test_decode_payload_refuses_bad_payloads_with_the_reason(payload, reason):
    with pytest.raises(BadPayload, match=reason.replace("[", r"\[").replace("]", r"\]")):
        decode_payload(payload, now=datetime.now(UTC))


def test_decode_payload_refuses_payloads_over_the_body_limit(settings):
    settings.TELEMETRY_MAX_BODY_BYTES = 10
    with pytest.raises(BadPayload, match="over 10 bytes"):
        decode_payload(b"vibration rms=1.5", now=datetime.now(UTC))


class FakeInfo:
    def __init__(self, client, acknowledged=True):
        self.client, self.acknowledged, self.done, self.mid = client, acknowledged, False, 0

    def wait_for_publish(self, timeout):
        if self.acknowledged and not self.done:
            self.done = True
            self.client.in_flight -= 1

    def is_published(self):
        return self.done


class FakeClient:
    """Counts messages published and not yet acknowledged by the (pretend) broker."""

    def __init__(self, acknowledged=True):
        self.in_flight = self.most_in_flight = self.published = 0
        self.acknowledged = acknowledged

    def publish(self, topic, payload, qos):
        self.in_flight += 1
        self.published += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        return FakeInfo(self, self.acknowledged)


def test_publishers_bound_their_in_flight_messages():
    client = FakeClient()
    assert publish_bounded(client, ((f"t/{i}", b"x") for i in range(1000)), window=25) == 1000
    assert client.published == 1000
    assert client.most_in_flight == 25
    assert client.in_flight == 0  # returned only once everything was acknowledged


def test_a_publisher_gives_up_when_the_broker_never_acknowledges():
    with pytest.raises(TimeoutError):
        publish_bounded(FakeClient(acknowledged=False), [("t", b"x")] * 3, window=2, timeout=0.1)


class AckRecorder:
    def __init__(self):
        self.acked = []

    def ack(self, mid, qos):
        self.acked.append(mid)


def test_only_messages_of_the_current_connection_are_acknowledged():
    listener = Listener(url=SHARED_URL, client_id="never-connects")
    listener._client = AckRecorder()
    listener._session = 3
    listener._acknowledge(
        [
            Received(mid=1, qos=1, topic="t", payload=b"", session=3),
            # Came on a lost connection: the broker delivers it again with the same packet id,
            # which may by then belong to a newer message.
            Received(mid=2, qos=1, topic="t", payload=b"", session=2),
            Received(mid=3, qos=0, topic="t", payload=b"", session=3),  # QoS 0: nothing to ack
        ]
    )
    assert listener._client.acked == [1]
    assert listener.counters.acknowledged == 1


def test_the_command_refuses_a_bad_mqtt_url(settings):
    settings.MQTT_URL = "http://127.0.0.1:1883"
    with pytest.raises(CommandError, match="mqtt:// or mqtts://"):
        call_command("telemetry_listen")


# The batch ingest, without a broker


def received(topic: str, payload: bytes, mid: int = 1) -> Received:
    return Received(mid=mid, qos=1, topic=topic, payload=payload)


@pytest.mark.django_db
def test_a_batch_stores_each_integration_in_one_call_and_refuses_bad_messages_alone(
    integration, second_integration, org, monkeypatch
):
    paused = Integration.objects.create(organization=org, name="Paused", paused=True)
    calls = []
    real_ingest = ingest_module.telemetry_ingest

    def spy(**kwargs):
        calls.append(kwargs["integration"].pk)
        return real_ingest(**kwargs)

    monkeypatch.setattr(ingest_module, "telemetry_ingest", spy)
    future = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
    # JSON leaves the time window to the service: the batch call is refused, then this alone.
    in_the_future = orjson.dumps({"points": [{"metric": "temp", "value": 1, "ts": future}]})
    json_body = orjson.dumps({"points": [{"metric": "temp", "value": 80.5, "ts": 1764064800}]})
    unknown = uuid.uuid4()
    messages = [
        received(f"ladder/{integration.pk}/telemetry", line(0)),
        received(f"ladder/{integration.pk}/telemetry", line(1)),
        received(f"ladder/{second_integration.pk}/telemetry", json_body),
        received(f"ladder/{integration.pk}/telemetry", in_the_future),
        received(f"ladder/{unknown}/telemetry", line(2)),
        received("ladder/nonsense/telemetry", line(3)),
        received(f"ladder/{paused.pk}/telemetry", line(4)),
        received(f"ladder/{integration.pk}/telemetry", b"not line protocol"),
    ]

    result = ingest_messages(messages, now=datetime.now(UTC))

    assert (result.stored, result.accepted, result.duplicates) == (3, 3, 0)
    assert count(integration) == 2
    assert count(second_integration) == 1
    assert count(paused) == 0
    refusals = sorted((r.kind, r.integration_id) for r in result.refusals)
    assert refusals == sorted(
        [
            (BAD_PAYLOAD, str(integration.pk)),  # the point in the future: the service refused it
            (BAD_PAYLOAD, str(integration.pk)),  # not line protocol: the parser refused it
            (UNKNOWN, str(unknown)),
            (UNKNOWN, "nonsense"),
            (PAUSED, str(paused.pk)),
        ]
    )
    future_refusal = next(r for r in result.refusals if "future" in r.reason)
    assert "points[0].ts" in future_refusal.reason
    # Once per integration for the batch; then once per message of the refused group.
    assert sorted(map(str, calls)) == sorted(
        [str(integration.pk), str(second_integration.pk)] + [str(integration.pk)] * 3
    )


@pytest.mark.django_db
def test_a_repeated_message_in_a_batch_is_stored_once(integration):
    message = received(f"ladder/{integration.pk}/telemetry", line(7))
    result = ingest_messages([message, message], now=datetime.now(UTC))
    assert (result.stored, result.accepted, result.duplicates) == (2, 1, 1)
    result = ingest_messages([message], now=datetime.now(UTC))
    assert (result.accepted, result.duplicates) == (0, 1)
    assert count(integration) == 1


@pytest.mark.django_db
def test_a_batch_over_the_point_limit_is_split_between_messages(integration, settings):
    settings.TELEMETRY_MAX_POINTS = 5
    messages = [
        received(
            f"ladder/{integration.pk}/telemetry", b"\n".join(line(i * 3 + j) for j in range(3))
        )
        for i in range(4)
    ]
    messages.append(
        received(f"ladder/{integration.pk}/telemetry", b"\n".join(line(100 + j) for j in range(6)))
    )
    result = ingest_messages(messages, now=datetime.now(UTC))
    assert (result.stored, result.accepted) == (4, 12)
    assert [r.kind for r in result.refusals] == [BAD_PAYLOAD]  # 6 points: over the limit alone
    assert "at most 5" in result.refusals[0].reason


@pytest.mark.django_db(transaction=True)
def test_a_database_failure_stores_nothing_of_the_batch(
    integration, second_integration, monkeypatch, settings
):
    settings.TELEMETRY_MAX_POINTS = 1  # one write per integration: the second one fails
    real_write = storage.points_write
    writes = []

    def failing_second_write(rows):
        writes.append(len(rows))
        if len(writes) == 2:
            raise OperationalError("server closed the connection unexpectedly")
        return real_write(rows)

    monkeypatch.setattr(storage, "points_write", failing_second_write)
    messages = [
        received(f"ladder/{integration.pk}/telemetry", line(1)),
        received(f"ladder/{second_integration.pk}/telemetry", line(2)),
    ]
    with pytest.raises(OperationalError):
        ingest_messages(messages, now=datetime.now(UTC))
    assert count(integration) == 0
    assert count(second_integration) == 0


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
    assert f"$share/{group}/ladder/+/telemetry" in text
    assert "mqtt: stopped:" in text
    assert "acknowledged=" in text
