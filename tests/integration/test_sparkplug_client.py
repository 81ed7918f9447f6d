"""The Sparkplug host's client without a broker: what it does with bad messages, a lost
lease, a database that is down, and how the listener watches its thread."""

import json
import threading
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.db import OperationalError
from django.utils import timezone

from integration.models import SparkplugLease, SparkplugNode
from integration.mqtt.decoding import broker_from_url
from integration.mqtt.listener import Listener
from integration.sparkplug.client import SparkplugHost
from integration.sparkplug.host import Host
from integration.sparkplug.sparkplug_b_pb2 import Payload
from tests.integration.conftest import SHARED_URL, stored

NOW = datetime.fromtimestamp(int(datetime.now(UTC).timestamp()), UTC)
MS = int(NOW.timestamp() * 1000)
NBIRTH = "spBv1.0/plant/NBIRTH/press3"
NDATA = "spBv1.0/plant/NDATA/press3"


def message(seq, *metrics, bdseq=None):
    payload = Payload(timestamp=MS, seq=seq)
    for metric in metrics:
        payload.metrics.add(**metric)
    if bdseq is not None:
        payload.metrics.add(name="bdSeq", datatype=8, long_value=bdseq)
    return payload.SerializeToString()


BIRTH = message(0, {"name": "Speed", "alias": 1, "datatype": 10, "double_value": 1.0}, bdseq=0)


@pytest.fixture
def bound(integration):
    integration.sparkplug_group, integration.sparkplug_node = "plant", "press3"
    integration.save()
    return integration


class Published:
    def wait_for_publish(self, timeout):
        pass


class FakeClient:
    def __init__(self):
        self.published, self.disconnected = [], False

    def publish(self, topic, payload, qos=0, retain=False):
        self.published.append((topic, json.loads(payload) if "STATE" in topic else payload, retain))
        return Published()

    def disconnect(self):
        self.disconnected = True

    def loop_stop(self):
        pass


def host_client(**kwargs) -> SparkplugHost:
    """A host that holds the lease, connected to a fake client."""
    host = SparkplugHost(
        broker=broker_from_url(SHARED_URL), host_id="ladder", client_id="test", **kwargs
    )
    SparkplugLease.claim(host_id="ladder", holder="test", now=timezone.now(), ttl=host.lease_ttl)
    host._host, host._client = Host(), FakeClient()
    return host


class Raising(Host):
    def handle(self, topic, data, *, now):
        if topic.type == "NDATA" and data == b"boom":
            raise RuntimeError("a bug")
        return super().handle(topic, data, now=now)


def test_a_message_that_raises_is_logged_and_the_rest_of_the_batch_is_stored(bound):
    host = host_client()
    host._host = Raising()
    host._process(
        [
            (NBIRTH, BIRTH),
            (NDATA, b"boom"),
            (NDATA, message(1, {"alias": 1, "double_value": 2.0, "timestamp": MS + 1000})),
        ]
    )
    assert [v for m, _, _, v in stored(bound) if m == "Speed"] == [1.0, 2.0]
    assert host.counters.ignored == 1


class DeadHost:
    alive = False

    def start(self):
        pass

    def stop(self):
        pass


def test_the_listener_stops_and_fails_when_the_sparkplug_thread_died(db):
    listener = Listener(url="mqtt://127.0.0.1:1", client_id="watcher", sparkplug_host_id="ladder")
    listener.sparkplug = DeadHost()
    guard = threading.Timer(20, listener.stop)  # else nothing would stop it
    guard.start()
    listener.run()
    guard.cancel()
    assert listener.failed


def test_an_unbound_edge_node_gets_no_rebirth_request_and_no_row(bound):
    host = host_client(bindings_on_miss=3600)
    host._process([("spBv1.0/other/NDATA/theirs", message(5, {"alias": 1, "double_value": 1.0}))])
    host._process([("spBv1.0/other/NBIRTH/theirs", BIRTH)])
    assert (host.counters.stray, host.counters.rebirths) == (2, 0)
    assert not SparkplugNode.objects.exists()


def test_a_binding_made_while_the_host_runs_is_seen_on_a_miss(integration):
    host = host_client(bindings_on_miss=0)
    host._process([(NBIRTH, BIRTH)])
    assert host.counters.stray == 1
    integration.sparkplug_group, integration.sparkplug_node = "plant", "press3"
    integration.save()
    host._process([(NBIRTH, BIRTH)])
    assert [m for m, *_ in stored(integration)] == ["Speed", "_ping"]


def test_a_host_that_loses_its_lease_publishes_its_offline_state_first(db):
    host = host_client()
    client, host._state_ms = host._client, 1234
    host._drop("lost the lease")
    state = ("spBv1.0/STATE/ladder", {"online": False, "timestamp": 1234}, True)
    assert client.published == [state] and client.disconnected


def test_a_batch_after_the_lease_moved_is_not_stored_and_the_host_goes_offline(bound):
    host = host_client()
    client = host._client
    SparkplugLease.objects.update(holder="other")
    host._process([(NBIRTH, BIRTH)])
    assert stored(bound) == [] and client.disconnected
    assert client.published[0][1]["online"] is False


def test_the_host_goes_offline_when_the_database_is_down_longer_than_the_lease(bound, monkeypatch):
    failures = []

    def down(**kwargs):
        failures.append(1)
        if len(failures) > 3:  # else the host would wait for the database for ever
            raise RuntimeError("still retrying")
        raise OperationalError("the database is down")

    monkeypatch.setattr("integration.sparkplug.client.sparkplug_batch_store", down)
    host = host_client(lease_ttl=0.5)
    client = host._client
    host._process([(NBIRTH, BIRTH)])
    assert client.disconnected and client.published[0][1]["online"] is False
    assert len(failures) == 2


def test_the_queue_is_bounded_and_what_it_drops_is_counted_and_said(db, caplog, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("integration.sparkplug.client.time.monotonic", lambda: clock[0])
    host = host_client(max_queued=2)
    for _ in range(4):
        host._on_message(None, None, SimpleNamespace(topic=NDATA, payload=b""))
    assert (host._queue.qsize(), host.backlog(), host.counters.overflow) == (2, 2, 2)
    clock[0] += 61
    host._on_message(None, None, SimpleNamespace(topic=NDATA, payload=b""))
    # A warning for the first drop and then at most one a minute, with the count so far.
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 2 and "dropping messages, 1 so far" in warnings[0]
    assert "dropping messages, 3 so far" in warnings[1]
