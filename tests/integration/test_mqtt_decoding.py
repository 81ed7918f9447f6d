"""The MQTT listener's pure pieces: topics, broker URLs, payloads, backoff, bounded publishing
and acknowledgements, without a broker or a database."""

import gc
import socket
import uuid
import weakref
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from integration import jsonpoints, lineprotocol
from integration.mqtt.counters import backoff
from integration.mqtt.decoding import (
    BadPayload,
    PayloadTooLarge,
    broker_from_url,
    decode_payload,
    decode_payloads,
    default_client_id,
    parse_topic,
    topic_ids,
)
from integration.mqtt.ingest import Received
from integration.mqtt.listener import Listener, freeze_if_grown
from integration.mqtt.publishing import publish_bounded
from integration.services import IngestCache
from tests.guards import within
from tests.integration.conftest import SHARED_URL


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


def test_topic_ids_read_each_topic_as_parse_topic_and_keep_prefixes_apart():
    some = uuid.uuid4()
    topics = [f"ladder/{some}/telemetry", "ladder/nonsense/telemetry", f"x/{some}/telemetry"]
    for _ in range(2):  # the second time from what the first remembered
        assert topic_ids(topics) == {t: parse_topic(t) for t in topics}
        assert topic_ids(topics, prefix="x") == {t: parse_topic(t, prefix="x") for t in topics}
    assert topic_ids(topics)[topics[0]] == some and topic_ids(topics)[topics[2]] is None


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


def test_decode_payload_applies_the_fields_per_line_and_points_caps(settings):
    now = datetime.now(UTC)
    settings.TELEMETRY_MAX_LINE_FIELDS, settings.TELEMETRY_MAX_POINTS = 2, 3
    assert len(decode_payload(b"m a=1,b=2\nm c=3", now=now)) == 3
    with pytest.raises(BadPayload, match="line 1: more than 2 fields: at most 2 per line"):
        decode_payload(b"m a=1,b=2,c=3", now=now)
    with pytest.raises(BadPayload, match="at most 3 are accepted"):
        decode_payload(b"m a=1,b=2\nm c=3,d=4", now=now)
    body = orjson.dumps({"points": [{"metric": "t", "value": i} for i in range(4)]})
    with pytest.raises(BadPayload, match="4 points in one batch; at most 3 are accepted"):
        decode_payload(body, now=now)


def test_decode_payload_refuses_the_reported_line_of_150000_fields_at_once():
    payload = ("m " + ",".join(f"f{i}=1" for i in range(150_000))).encode()
    with within(10), pytest.raises(BadPayload, match="at most 500 per line"):
        decode_payload(payload, now=datetime.now(UTC))


NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TS = "1764064800000000000"


def alone(payload: bytes, *, max_points=100_000, max_fields=500):
    """What one payload decodes to with the parsers called directly: points, or the refusal."""
    try:
        if payload.lstrip()[:1] == b"{":
            return jsonpoints.parse(payload, now=NOW, max_points=max_points)
        text = payload.decode()
        return lineprotocol.parse(text, now=NOW, max_fields=max_fields, max_points=max_points)
    except (jsonpoints.TooManyPoints, lineprotocol.TooManyPoints) as error:
        return ("too large", str(error))
    except UnicodeDecodeError as error:
        return ("bad", f"the payload is not UTF-8 (byte {error.start})")
    except (jsonpoints.JsonPointsError, lineprotocol.LineProtocolError) as error:
        return ("bad", str(error))


def batch(payloads: list[bytes]):
    return [
        (("too large" if isinstance(d, PayloadTooLarge) else "bad"), str(d))
        if isinstance(d, BadPayload)
        else d
        for d in decode_payloads(payloads, now=NOW)
    ]


MIXED = [
    f"vibration,sensor=s1 rms=0.5 {TS}".encode(),
    f"vibration,sensor=s1 rms=1.5 {TS}".encode(),  # the same series key again
    b"m a=1,b=2\nm c=3",  # three points: at the cap
    b"m a=1,b=2\nm c=3,d=4",  # four: over it, on its second line
    b"m a=1,b=2,c=3",  # over the fields cap
    b"m a=1\ngarbage\nm b=",  # the first refused line is the payload's line 2
    b"\n# a comment\r\n\nm a=1\r\n",  # blank lines, a comment, CRLF
    b"",
    b'm,t=a\\,b a=1,s="text" ' + TS.encode(),  # escapes and a string field
    b'm a=1,_quality="bad"',
    b"m f=1 \xff",  # not UTF-8
    b'{"points": [{"metric": "t", "value": 1}]}',
    b'{"points": [{"metric": "t"}]}',
    b"m a=1 99999999999999999999",  # in the future
    b"m a=1 1 2",
    b"m a=nan",
]


def test_decode_payloads_gives_each_payload_what_it_gives_alone(settings):
    settings.TELEMETRY_MAX_LINE_FIELDS, settings.TELEMETRY_MAX_POINTS = 2, 3
    expected = [alone(p, max_points=3, max_fields=2) for p in MIXED]
    assert batch(MIXED) == expected
    assert expected[5] == ("bad", "line 2: missing fields")
    assert expected[3][0] == "too large"
    assert len(expected[6]) == 1 and len(expected[8]) == 1


def test_decode_payloads_parses_each_payload_alone_when_the_joined_parse_fails(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a parser bug")

    monkeypatch.setattr(lineprotocol, "parse_lines", broken)
    assert batch(MIXED) == [alone(p) for p in MIXED]


LINES = st.sampled_from(
    [
        "m a=1",
        f"m,t=x a=2.5 {TS}",
        f"m,t=x a=3,b=4i {TS}",
        "m a=1,a=2",
        "m,t=x",
        "# note",
        "",
        "m a=1\r",
        'm a=1,_quality="uncertain"',
        "m a=tru",
        " m a=1",
    ]
)


@given(st.lists(st.lists(LINES, max_size=4).map("\n".join), max_size=8))
def test_decode_payloads_agrees_with_each_payload_alone_on_any_lines(texts):
    payloads = [text.encode() for text in texts]
    assert batch(payloads) == [alone(p) for p in payloads]


def test_the_listener_freezes_the_heap_only_when_its_cache_grew_or_was_emptied():
    cache = IngestCache()
    gc.unfreeze()
    try:
        assert freeze_if_grown(cache, 0) == 0 and gc.get_freeze_count() == 0
        cache.series[uuid.uuid4(), "m", ()] = 1
        assert freeze_if_grown(cache, 0) == 1
        frozen = gc.get_freeze_count()
        assert frozen > 0
        assert freeze_if_grown(cache, 1) == 1  # unchanged: not again
        cache.series.clear()
        assert freeze_if_grown(cache, 1) == 0
    finally:
        gc.unfreeze()


def test_a_cycle_waiting_for_the_collector_is_freed_not_frozen():
    """A failed batch's traceback can hold its rows in a cycle: frozen, it would never go."""

    class Node:
        pass

    cache = IngestCache()
    gc.unfreeze()
    try:
        node = Node()
        node.me = node  # a cycle: only the collector frees it
        gone = weakref.ref(node)
        del node
        cache.series[uuid.uuid4(), "m", ()] = 1
        assert freeze_if_grown(cache, 0) == 1
        assert gone() is None
    finally:
        gc.unfreeze()
