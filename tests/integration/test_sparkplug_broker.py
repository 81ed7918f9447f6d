"""The Sparkplug B host against a real Mosquitto and a real edge node (Eclipse Tahu's
JavaScript client, tests/sparkplug_edge). Every test has a private broker: the host's STATE
is retained."""

import json
import signal
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import pytest
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion

from integration.health import Status
from integration.models import HealthEvent, Integration, MqttCount, SparkplugLease, SparkplugNode
from integration.mqtt.decoding import broker_from_url
from integration.sparkplug.client import SparkplugHost
from tests.instances import database_env, manage, wait_for
from tests.integration.conftest import stored
from tests.integration.sparkplug_edge import Edge

pytestmark = pytest.mark.django_db(transaction=True)
BASE_MS = (int(time.time()) - 3600) * 1000  # an hour ago, inside the ingest window


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


@pytest.fixture
def bound(integration):
    integration.sparkplug_group, integration.sparkplug_node = "plant", "press3"
    integration.interval_seconds = 300
    integration.save()
    return integration


@contextmanager
def hosting(url: str, client_id: str = "host-a", **options):
    host = SparkplugHost(
        broker=broker_from_url(url),
        host_id="ladder",
        client_id=client_id,
        renew_every=0.5,
        lease_ttl=3,
        batch_seconds=0.05,
        **options,
    )
    host.start()
    try:
        assert host.active.wait(10), "the host did not connect"
        yield host
    finally:
        host.stop()


@contextmanager
def edge_node(url: str, **options):
    edge = Edge(url, **options)
    try:
        yield edge
    finally:
        edge.close()


def values(integration, metric=None):
    return [(m, labels, ts, v) for m, labels, ts, v in stored(integration, metric)]


def test_birth_then_data_by_alias_are_stored_under_the_metric_names(private_broker, bound):
    with hosting(private_broker.url), edge_node(private_broker.url) as edge:
        edge.wait("birth")
        wait_for(lambda: len(stored(bound)) >= 3, 10, "the births' values")
        edge.data((1, 2.5, BASE_MS), (2, 0, BASE_MS))
        edge.data((10, 30.25, BASE_MS + 1000), device="oven")
        wait_for(lambda: len(stored(bound, "Temp")) >= 2, 10, "the device's data")
        assert ("Line/Speed", "{}", at(BASE_MS), 2.5) in stored(bound, "Line/Speed")
        assert ("Running", "{}", at(BASE_MS), 0.0) in stored(bound, "Running")
        assert ("Temp", '{"device":"oven"}', at(BASE_MS + 1000), 30.25) in stored(bound, "Temp")
        assert not edge.seen("ncmd")
    assert {name for name, *_ in stored(bound)} == {"Line/Speed", "Running", "Temp", "_ping"}


def test_a_seq_gap_is_counted_and_answered_by_one_rebirth(private_broker, bound):
    with hosting(private_broker.url) as host, edge_node(private_broker.url) as edge:
        edge.wait("birth")
        edge.send(cmd="skip")  # a message lost on the way (QoS 0)
        edge.data((1, 3.0, BASE_MS))
        edge.wait("ncmd", metrics=[["Node Control/Rebirth", True]])
        edge.wait("birth", 2)
        # Another loss within 10 s: counted, but no second rebirth request.
        edge.send(cmd="skip")
        edge.data((1, 4.0, BASE_MS + 1000))
        wait_for(lambda: host.counters.gaps == 2, 10, "the second gap")
        time.sleep(0.5)
        assert len(edge.seen("ncmd")) == 1
        assert host.counters.rebirths == 1
    count = MqttCount.objects.get(integration=bound)
    assert (count.sparkplug_gaps, count.rebirths) == (2, 1)
    speeds = stored(bound, "Line/Speed")
    assert ("Line/Speed", "{}", at(BASE_MS), 3.0) in speeds
    assert ("Line/Speed", "{}", at(BASE_MS + 1000), 4.0) in speeds


def test_ndeath_makes_the_integration_down_at_once(private_broker, bound):
    with hosting(private_broker.url), edge_node(private_broker.url) as edge:
        edge.wait("birth")
        wait_for(lambda: Integration.objects.get(pk=bound.pk).last_status == "up", 10, "up")
        edge.send(cmd="death")
        wait_for(lambda: Integration.objects.get(pk=bound.pk).last_status == "down", 10, "down")
    integration = Integration.objects.get(pk=bound.pk)
    assert integration.status(now=timezone.now()) == Status.DOWN
    event = HealthEvent.objects.get(integration=bound)
    assert (event.previous, event.status) == ("up", "down")


def test_a_late_ndeath_of_an_older_session_is_ignored(private_broker, bound):
    from integration.sparkplug.sparkplug_b_pb2 import Payload

    with hosting(private_broker.url) as host, edge_node(private_broker.url) as edge:
        edge.wait("birth")
        wait_for(lambda: Integration.objects.get(pk=bound.pk).last_status == "up", 10, "up")
        death = Payload(timestamp=int(time.time() * 1000))
        death.metrics.add(name="bdSeq", datatype=8, long_value=7)  # Tahu's births say 0
        publisher = raw_client(private_broker.url, "old-will")
        publisher.publish(
            "spBv1.0/plant/NDEATH/press3", death.SerializeToString()
        ).wait_for_publish()
        wait_for(lambda: host.counters.ignored >= 1, 10, "the death to be read")
        publisher.disconnect()
        assert Integration.objects.get(pk=bound.pk).last_status == "up"
        edge.send(cmd="death")  # the current session's: down
        wait_for(lambda: Integration.objects.get(pk=bound.pk).last_status == "down", 10, "down")


def raw_client(url: str, client_id: str, on_message=None) -> mqtt.Client:
    broker = broker_from_url(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    connected = threading.Event()
    client.on_connect = lambda *args: connected.set()
    if on_message:
        client.on_message = on_message
    client.connect(broker.host, broker.port)
    client.loop_start()
    assert connected.wait(5)
    return client


def states(url: str) -> list[dict]:
    """The STATE of host `ladder`, as a new subscriber gets it (retained, or live)."""
    received = []
    client = raw_client(url, f"watch-{time.monotonic_ns()}", lambda c, u, m: received.append(m))
    client.subscribe("spBv1.0/STATE/ladder", qos=1)
    wait_for(lambda: received, 5, "the retained STATE")
    client.disconnect()
    client.loop_stop()
    return [{**json.loads(m.payload), "retained": m.retain} for m in received]


def listen(url: str, client_id: str):
    env = database_env(MQTT_URL=url, SPARKPLUG_HOST_ID="ladder")
    return manage("telemetry_listen", "--client-id", client_id, env=env)


def test_state_online_is_retained_and_offline_is_the_hosts_will(private_broker, bound):
    process = listen(private_broker.url, "listener-a")
    try:
        wait_for(lambda: states(private_broker.url)[0]["online"], 20, "the online STATE")
        [online] = states(private_broker.url)
        assert online["retained"]
        assert abs(online["timestamp"] - time.time() * 1000) < 60_000
        process.send_signal(signal.SIGKILL)  # no goodbye: the broker publishes the Will
        process.wait(10)
        wait_for(lambda: not states(private_broker.url)[0]["online"], 10, "the Will")
        offline = {"online": False, "timestamp": online["timestamp"], "retained": True}
        assert states(private_broker.url) == [offline]
    finally:
        if process.poll() is None:
            process.kill()


def test_store_and_forward_values_are_stored_with_their_timestamps_once(private_broker, bound):
    with edge_node(private_broker.url) as edge:
        with hosting(private_broker.url):
            edge.wait("state", online=True)
            edge.wait("birth")
            born = len(values(bound, "Line/Speed"))
            edge.data((1, 1.0, BASE_MS))
            # Stored before the host stops: Sparkplug data is QoS 0, so a host that stops
            # with the message in flight loses it (seen under load), and that is not this test.
            wait_for(lambda: len(values(bound, "Line/Speed")) > born, 10, "the live value")
        edge.wait("state", online=False)  # the host stopped: the edge node holds its data
        for n in range(1, 6):
            edge.data((1, 1.0 + n, BASE_MS + n * 1000))
        assert edge.seen("published")[-1]["held"] == 5
        with hosting(private_broker.url, client_id="host-b"):
            edge.wait("flushed")
            wait_for(lambda: len(values(bound, "Line/Speed")) >= 7, 10, "the held values")
    speeds = [(ts, v) for _, _, ts, v in values(bound, "Line/Speed") if ts <= at(BASE_MS + 5000)]
    assert speeds == [(at(BASE_MS + n * 1000), 1.0 + n) for n in range(6)]
    assert not edge.seen("ncmd")  # the alias table came from the database


def test_failover_to_the_second_listener_stores_everything_once_without_a_rebirth_storm(
    private_broker, bound
):
    processes = {name: listen(private_broker.url, name) for name in ("listener-a", "listener-b")}
    try:
        wait_for(lambda: SparkplugLease.objects.filter(host_id="ladder").exists(), 20, "a host")
        first = SparkplugLease.objects.get(host_id="ladder").holder
        with edge_node(private_broker.url) as edge:
            edge.wait("state", online=True, timeout=20)
            edge.wait("birth")
            for n in range(5):
                edge.data((1, float(n), BASE_MS + n * 1000))
            wait_for(lambda: len(values(bound, "Line/Speed")) >= 6, 10, "the first values")
            processes[first].send_signal(signal.SIGKILL)
            edge.wait("state", online=False)
            for n in range(5, 10):
                edge.data((1, float(n), BASE_MS + n * 1000))
            edge.wait("state", online=True, count=2, timeout=40)  # the other one took over
            edge.wait("flushed")
            wait_for(lambda: len(values(bound, "Line/Speed")) >= 11, 10, "the held values")
            time.sleep(1)
            assert not edge.seen("ncmd")
        second = SparkplugLease.objects.get(host_id="ladder").holder
        assert second != first
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
                process.wait(15)
    speeds = [(ts, v) for _, _, ts, v in values(bound, "Line/Speed") if ts <= at(BASE_MS + 9000)]
    assert speeds == [(at(BASE_MS + n * 1000), float(n)) for n in range(10)]


def test_an_unbound_node_is_left_alone(private_broker, bound):
    with hosting(private_broker.url) as host, edge_node(private_broker.url, node="other") as edge:
        edge.wait("birth")
        edge.data((1, 2.0, BASE_MS))
        wait_for(lambda: host.counters.stray >= 2, 10, "the messages")
        assert host.counters.rebirths == 0
    assert stored(bound) == [] and not SparkplugNode.objects.filter(node="other").exists()


def test_a_broker_restart_loses_no_birth_and_stores_nothing_twice(private_broker, bound):
    with hosting(private_broker.url) as host, edge_node(private_broker.url) as edge:
        edge.wait("birth")
        edge.data((1, 1.0, BASE_MS))
        wait_for(lambda: (at(BASE_MS), 1.0) in speeds_of(bound), 10, "the first value")
        private_broker.stop()
        private_broker.start()
        edge.wait("birth", 2, timeout=30)  # Tahu's client reconnects and is born again
        wait_for(lambda: host.active.is_set() and host.counters.births >= 2, 30, "the rebirth")
        edge.data((1, 1.0, BASE_MS), (1, 2.0, BASE_MS + 1000))  # the first one again
        wait_for(lambda: (at(BASE_MS + 1000), 2.0) in speeds_of(bound), 10, "the new value")
        assert host.counters.points_duplicate >= 1
    timestamps = [ts for ts, _ in speeds_of(bound)]
    assert len(timestamps) == len(set(timestamps))


def speeds_of(integration) -> list[tuple]:
    return [(ts, v) for _, _, ts, v in stored(integration, "Line/Speed")]


def test_a_late_offline_state_of_an_earlier_host_is_answered_with_online(private_broker):
    with hosting(private_broker.url) as host:
        wait_for(lambda: states(private_broker.url)[0]["online"], 10, "the online STATE")
        late = raw_client(private_broker.url, "earlier-host")
        stale = json.dumps({"online": False, "timestamp": 1}).encode()
        late.publish("spBv1.0/STATE/ladder", stale, qos=1, retain=True).wait_for_publish()
        late.disconnect()
        wait_for(lambda: states(private_broker.url)[0]["online"], 10, "online again")
        assert states(private_broker.url)[0]["timestamp"] == host._state_ms
