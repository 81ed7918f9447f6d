"""The Sparkplug host's database part: where points go, health at births and deaths, counts,
and the alias tables a new host starts from."""

from datetime import UTC, datetime, timedelta

import pytest

from integration.models import HealthEvent, Integration, MqttCount, Point, SparkplugNode
from integration.sparkplug.host import Host
from integration.sparkplug.payload import Topic
from integration.sparkplug.sparkplug_b_pb2 import Payload
from integration.sparkplug.store import sparkplug_batch_store, sparkplug_nodes_load
from tests.integration.conftest import stored

NOW = datetime.fromtimestamp(int(datetime.now(UTC).timestamp()), UTC)
MS = int(NOW.timestamp() * 1000)


def message(seq, *metrics, bdseq=None):
    payload = Payload(timestamp=MS, seq=seq)
    for metric in metrics:
        payload.metrics.add(**metric)
    if bdseq is not None:
        payload.metrics.add(name="bdSeq", datatype=8, long_value=bdseq)
    return payload.SerializeToString()


def run(host, *messages, now=NOW):
    outcomes = [(topic, host.handle(topic, data, now=now)) for topic, data in messages]
    return sparkplug_batch_store(outcomes=outcomes, host=host, now=now, listener="test")


NBIRTH = Topic("plant", "NBIRTH", "press3")
DBIRTH = Topic("plant", "DBIRTH", "press3", "oven")
DDATA = Topic("plant", "DDATA", "press3", "oven")
BIRTHS = [
    (
        NBIRTH,
        message(0, {"name": "Speed", "alias": 1, "datatype": 10, "double_value": 1.0}, bdseq=0),
    ),
    (DBIRTH, message(1, {"name": "Temp", "alias": 10, "datatype": 10, "double_value": 20.0})),
]


@pytest.fixture
def node(org):
    return Integration.objects.create(
        organization=org, name="Press 3", sparkplug_group="plant", sparkplug_node="press3"
    )


@pytest.fixture
def oven(org):
    return Integration.objects.create(
        organization=org,
        name="Press 3 oven",
        sparkplug_group="plant",
        sparkplug_node="press3",
        sparkplug_device="oven",
    )


def test_a_devices_values_go_to_its_own_integration_when_one_is_bound(node, oven):
    run(Host(), *BIRTHS)
    assert [(m, labels) for m, labels, *_ in stored(oven)] == [("Temp", "{}"), ("_ping", "{}")]
    assert "Temp" not in {m for m, *_ in stored(node)}


def test_else_they_go_to_the_nodes_integration_labelled_with_the_device(node):
    run(Host(), *BIRTHS)
    assert ("Temp", '{"device":"oven"}', NOW, 20.0) in stored(node)


def test_ddeath_makes_the_devices_integration_down_and_ndeath_every_one_of_the_node(node, oven):
    host = Host()
    run(host, *BIRTHS)
    later = NOW + timedelta(seconds=5)
    run(host, (Topic("plant", "DDEATH", "press3", "oven"), message(2)), now=later)
    assert [Integration.objects.get(pk=i.pk).last_status for i in (node, oven)] == ["up", "down"]
    run(host, (Topic("plant", "NDEATH", "press3"), message(None, bdseq=0)), now=later)
    assert HealthEvent.objects.filter(integration=node, status="down").exists()


def test_gaps_and_rebirths_are_counted_on_the_nodes_integration(node):
    host = Host()
    run(host, *BIRTHS)
    run(host, (DDATA, message(5, {"alias": 10, "double_value": 21.0})))
    count = MqttCount.objects.get(integration=node)
    assert (count.sparkplug_gaps, count.rebirths) == (3, 1)


def test_a_new_host_starts_from_the_saved_alias_tables(node):
    run(Host(), *BIRTHS)
    assert SparkplugNode.objects.get(group="plant", node="press3").born
    successor = Host(sparkplug_nodes_load())
    outcome = successor.handle(DDATA, message(2, {"alias": 10, "double_value": 22.0}), now=NOW)
    assert not outcome.rebirth and outcome.points["oven"][0].metric == "Temp"


def test_one_listener_holds_the_host_lease_until_it_expires(db):
    from integration.models import SparkplugLease

    ttl = timedelta(seconds=15)
    assert SparkplugLease.claim(host_id="ladder", holder="a", now=NOW, ttl=ttl)
    assert not SparkplugLease.claim(host_id="ladder", holder="b", now=NOW + ttl / 2, ttl=ttl)
    assert SparkplugLease.claim(host_id="ladder", holder="a", now=NOW + ttl / 2, ttl=ttl)
    later = NOW + 2 * ttl  # a stopped renewing
    assert SparkplugLease.claim(host_id="ladder", holder="b", now=later, ttl=ttl)
    assert not SparkplugLease.claim(host_id="ladder", holder="a", now=later, ttl=ttl)
    SparkplugLease.release(host_id="ladder", holder="b")
    assert SparkplugLease.claim(host_id="ladder", holder="a", now=later, ttl=ttl)


def test_a_metrics_quality_property_is_stored_with_its_value(node):
    host = Host()
    run(host, *BIRTHS)
    data = Payload(timestamp=MS + 1000, seq=2)
    bad = data.metrics.add(alias=1, datatype=10, double_value=0.0)
    bad.properties.keys.append("Quality")
    bad.properties.values.add(type=3, int_value=0)  # OPC DA bad
    run(host, (Topic("plant", "NDATA", "press3"), data.SerializeToString()))
    speed = Point.objects.filter(series__metric__integration=node, series__metric__name="Speed")
    assert list(speed.order_by("ts").values_list("value", "quality")) == [(1.0, None), (0.0, 2)]


def test_a_bad_value_is_refused_alone_and_counted_the_rest_is_stored(node):
    host = Host()
    run(host, *BIRTHS)
    data = message(
        2,
        {"alias": 1, "double_value": float("nan"), "timestamp": MS + 1000},
        {"name": "_secret", "datatype": 10, "double_value": 1.0, "timestamp": MS + 1000},
        {"name": " Padded", "datatype": 10, "double_value": 1.0, "timestamp": MS + 1000},
        {"alias": 1, "double_value": 5.0, "timestamp": MS + 3_600_000},  # an hour ahead
        {"alias": 1, "double_value": 6.0, "timestamp": 10**15},  # no date holds it
        {"alias": 1, "double_value": 7.0, "timestamp": MS + 2000},
    )
    result = run(host, (Topic("plant", "NDATA", "press3"), data))
    assert [v for m, _, _, v in stored(node) if m == "Speed"] == [1.0, 7.0]
    assert sum(result.refused.values()) == 5
    assert MqttCount.objects.get(integration=node).invalid_point == 5


def test_a_new_host_counts_a_jump_from_the_last_stored_seq_as_a_gap(node):
    host = Host()
    run(host, *BIRTHS, (DDATA, message(2, {"alias": 10, "double_value": 21.0})))
    successor = Host(sparkplug_nodes_load())
    outcome = successor.handle(DDATA, message(6, {"alias": 10, "double_value": 22.0}), now=NOW)
    assert outcome.gap == 3 and outcome.rebirth
    following = Host(sparkplug_nodes_load())
    assert not following.handle(DDATA, message(3, {"alias": 10, "double_value": 1.0}), now=NOW).gap


def test_a_batch_is_not_stored_once_the_lease_is_gone(node):
    from integration.models import SparkplugLease
    from integration.sparkplug.store import LeaseLost

    ttl = timedelta(seconds=15)
    SparkplugLease.claim(host_id="ladder", holder="other", now=NOW, ttl=ttl)
    host = Host()
    outcomes = [(topic, host.handle(topic, data, now=NOW)) for topic, data in BIRTHS]

    def holds_lease():
        return SparkplugLease.hold(host_id="ladder", holder="test", now=NOW, ttl=ttl)

    with pytest.raises(LeaseLost):
        sparkplug_batch_store(
            outcomes=outcomes, host=host, now=NOW, listener="test", holds_lease=holds_lease
        )
    assert stored(node) == [] and not SparkplugNode.objects.exists()
    assert SparkplugLease.hold(host_id="ladder", holder="other", now=NOW, ttl=ttl)
