"""The Sparkplug host's client without a broker: what it does with bad messages, a lost
lease, a database that is down, and how the listener watches its thread."""

import threading
from datetime import UTC, datetime

import pytest

from integration.models import SparkplugNode
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


def host_client(**kwargs) -> SparkplugHost:
    host = SparkplugHost(
        broker=broker_from_url(SHARED_URL), host_id="ladder", client_id="test", **kwargs
    )
    host._host = Host()
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
