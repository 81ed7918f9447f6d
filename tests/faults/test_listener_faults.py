"""The MQTT listener process (`manage.py telemetry_listen`) against faults: killed with SIGKILL
while messages are published, its broker restarted under it, and listeners that leave the
shared subscription group for good (retired, redeployed under a new id, killed).

Each test runs the real command in a subprocess against the test database (transactional
tests, so it sees committed rows) and a private mosquitto of its own.
"""

import io
import signal
import subprocess
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from integration.health import Status
from integration.models import Integration, MinuteRollup, MqttCount, MqttListener
from integration.mqtt.decoding import broker_from_url
from integration.mqtt.publishing import publish_bounded, publisher_connect
from tests.instances import PrivateBroker, database_env, manage, wait_for
from tests.integration.conftest import BASE, BASE_NS, count, stored

pytestmark = pytest.mark.django_db(transaction=True)


def message(integration, i: int) -> tuple[str, bytes]:
    return (
        f"ladder/{integration.pk}/telemetry",
        f"vibration,sensor=s1 rms={i}.5 {BASE_NS + i * 10**9}".encode(),
    )


def expected(count: int) -> list[tuple]:
    labels = '{"sensor":"s1"}'
    return [("vibration.rms", labels, BASE + timedelta(seconds=i), i + 0.5) for i in range(count)]


def rolled_up(integration) -> int:
    rollups = MinuteRollup.objects.filter(series__metric__integration=integration)
    return sum(rollups.values_list("count", flat=True))


def publish(url: str, messages, *, window: int = 20) -> int:
    """Publish at QoS 1, at most `window` in flight, and wait for every PUBACK."""
    client = publisher_connect(url, window=window)
    try:
        return publish_bounded(client, messages, window=window, timeout=20)
    finally:
        client.disconnect()
        client.loop_stop()


class ListenerProcess:
    """`manage.py telemetry_listen` on the test database, its log collected as it comes."""

    def __init__(self, broker: PrivateBroker, client_id: str):
        env = database_env(MQTT_URL=broker.url, LOG_LEVEL="INFO")
        self.process = manage(
            "telemetry_listen", "--client-id", client_id, "--group", "faults",
            "--batch-messages", "50", "--session-expiry", "120",
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stderr:
            self.lines.append(line)

    def logged(self, text: str) -> int:
        return sum(text in line for line in list(self.lines))

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def wait_subscribed(self, times: int = 1) -> None:
        wait_for(
            lambda: self.logged("mqtt: subscribed to") >= times or self.process.poll() is not None,
            20,
            "the listener to subscribe",
        )
        assert self.process.poll() is None, f"the listener exited:\n{self.log}"

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(15)

    def retire(self) -> int:
        self.process.send_signal(signal.SIGUSR1)
        return self.process.wait(30)

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no handler, no last batch, no disconnect
        self.process.wait(5)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(5)


@pytest.fixture
def broker(private_broker):
    return private_broker


@pytest.fixture
def listeners():
    """Starts listener processes; kills whatever is left at the end."""
    started = []

    def start(broker, client_id="faults-listener"):
        listener = ListenerProcess(broker, client_id)
        started.append(listener)
        return listener

    yield start
    for listener in started:
        listener.close()


def test_a_listener_killed_mid_publication_and_restarted_loses_nothing_and_doubles_nothing(
    broker, listeners, integration
):
    total = 1500

    def paced():  # about 5 s of messages, so the kill falls in the middle of them
        for i in range(total):
            time.sleep(0.003)
            yield message(integration, i)

    published = []
    publisher = threading.Thread(target=lambda: published.append(publish(broker.url, paced())))
    first = listeners(broker)
    first.wait_subscribed()
    publisher.start()
    wait_for(lambda: count(integration) >= 200, 20, "a first share stored")
    first.kill()
    stored_by_first = count(integration)
    assert publisher.is_alive(), "the publication ended before the kill"

    second = listeners(broker)  # the same client id: the broker kept the session's messages
    second.wait_subscribed()
    publisher.join(30)
    assert published == [total]  # every message acknowledged by the broker
    wait_for(lambda: count(integration) == total, 20, f"{total} points stored")
    time.sleep(0.5)  # anything delivered twice would arrive by now
    assert second.terminate() == 0
    assert 200 <= stored_by_first < total
    assert "session resumed" in second.log
    assert stored(integration) == expected(total)  # none lost...
    assert rolled_up(integration) == total  # ...and none counted twice


def test_the_listener_process_reconnects_when_the_broker_restarts(broker, listeners, integration):
    listener = listeners(broker)
    listener.wait_subscribed()
    assert publish(broker.url, [message(integration, i) for i in range(50)]) == 50
    wait_for(lambda: count(integration) == 50, 10, "50 points stored")

    broker.stop()
    wait_for(lambda: listener.logged("mqtt: lost the connection"), 10, "the disconnect logged")
    time.sleep(1.5)  # the listener retries against a broker that is not there
    broker.start()
    listener.wait_subscribed(times=2)

    assert publish(broker.url, [message(integration, i) for i in range(50, 100)]) == 50
    wait_for(lambda: count(integration) == 100, 10, "100 points stored")
    assert listener.terminate() == 0
    assert stored(integration) == expected(100)
    assert "disconnects=1" in listener.log
    assert "points_accepted=100" in listener.log


def publish_retained(url: str, topic: str, payload: bytes) -> None:
    client = publisher_connect(url)
    try:
        info = client.publish(topic, payload, qos=1, retain=True)
        info.wait_for_publish(10)
        assert info.is_published()
    finally:
        client.disconnect()
        client.loop_stop()


def test_a_retained_message_is_stored_once_across_restarts_and_never_makes_a_dead_device_up(
    broker, listeners, integration, org
):
    dead = Integration.objects.create(
        organization=org, name="Dead press", interval_seconds=60, grace_seconds=60
    )
    went_silent = timezone.now() - timedelta(hours=1)
    Integration.objects.filter(pk=dead.pk).update(last_seen=went_silent)
    # Its last value, retained by the broker; no timestamp, so each copy stored would be "now".
    publish_retained(broker.url, f"ladder/{dead.pk}/telemetry", b"vibration,sensor=s1 rms=9.5")

    listener = listeners(broker)
    listener.wait_subscribed()
    # Published while the listener runs: live data, stored when it arrives.
    publish_retained(broker.url, f"ladder/{integration.pk}/telemetry", b"vibration rms=1.5")
    wait_for(lambda: count(integration) == 1, 10, "the live message stored")
    assert listener.terminate() == 0

    for _ in range(3):  # each start subscribes again: a new delivery of every retained message
        listener = listeners(broker)
        listener.wait_subscribed()
        time.sleep(1)  # retained messages come right after the subscription
        assert listener.terminate() == 0

    assert count(integration) == 1
    assert count(dead) == 0
    dead.refresh_from_db()
    assert dead.last_seen == went_silent
    assert dead.status(now=timezone.now()) == Status.DOWN
    assert not MqttCount.objects.filter(integration=dead, messages__gt=0).exists()


def retire_id(broker: PrivateBroker, client_id: str, *options: str) -> subprocess.CompletedProcess:
    """`manage.py telemetry_listen --retire-id CLIENT_ID`, run to its end."""
    env = database_env(MQTT_URL=broker.url, LOG_LEVEL="INFO")
    process = manage(
        "telemetry_listen", "--retire-id", client_id, "--group", "faults", *options,
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    stdout, stderr = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def broker_has_session(broker: PrivateBroker, client_id: str) -> bool:
    """Whether the broker holds a session for `client_id` (looked at without keeping one)."""
    answer = threading.Event()
    present = []
    client = broker_from_url(broker.url).client(client_id=client_id)
    client.on_connect = lambda c, u, flags, rc, p: (
        present.append(flags.session_present),
        answer.set(),
    )
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 0  # what we find is dropped when we go
    client.connect("127.0.0.1", broker.port, clean_start=False, properties=properties)
    client.loop_start()
    try:
        assert answer.wait(10), "the broker did not answer"
        return present[0]
    finally:
        client.disconnect()
        client.loop_stop()


def test_listeners_retired_or_redeployed_under_a_new_id_while_publishing_lose_and_double_nothing(
    broker, listeners, integration
):
    changed = threading.Event()

    def paced():  # ~250 a second until the listeners have changed, then 500 more
        i, after = 0, 0
        while after < 500:
            time.sleep(0.004)
            yield message(integration, i)
            i += 1
            after += changed.is_set()

    published = []
    publisher = threading.Thread(target=lambda: published.append(publish(broker.url, paced())))
    retiring = listeners(broker, "faults-a")
    redeployed = listeners(broker, "faults-b")
    retiring.wait_subscribed()
    redeployed.wait_subscribed()
    publisher.start()
    wait_for(lambda: count(integration) >= 200, 20, "a first share stored")

    # A redeploy: faults-b stops (its session kept, still given its share), faults-c replaces it.
    assert redeployed.terminate() == 0
    replacement = listeners(broker, "faults-c")
    replacement.wait_subscribed()
    # A scale-down: faults-a leaves the group, taking nothing with it.
    assert retiring.retire() == 0, retiring.log
    # faults-b is gone for good: what the broker queued for it is stored by the command.
    retired = retire_id(broker, "faults-b")
    assert retired.returncode == 0, retired.stderr
    changed.set()

    publisher.join(60)
    assert len(published) == 1  # every message acknowledged by the broker
    total = published[0]
    wait_for(lambda: count(integration) == total, 20, f"{total} points stored")
    time.sleep(0.5)  # anything delivered twice would arrive by now
    assert replacement.terminate() == 0
    assert "mqtt: retired faults-a" in retiring.log
    assert "Retired faults-b:" in retired.stdout
    assert stored(integration) == expected(total)  # none lost...
    assert rolled_up(integration) == total  # ...and none counted twice
    assert not broker_has_session(broker, "faults-a")
    assert not broker_has_session(broker, "faults-b")
    assert broker_has_session(broker, "faults-c")  # stopped, not retired: it comes back
    states = dict(MqttListener.objects.values_list("client_id", "retired"))
    assert states["faults-a"] is not None and states["faults-b"] is not None
    assert states["faults-c"] is None


def stale_ids(*options: str) -> str | None:
    """The error of `telemetry_listeners`, ten minutes from now; None if it found nothing."""
    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=False):
        try:
            call_command("telemetry_listeners", *options, stdout=io.StringIO())
        except CommandError as error:
            return str(error)
    return None


def test_a_killed_listener_is_reported_stale_until_its_id_is_retired_with_its_messages(
    broker, listeners, integration
):
    listener = listeners(broker, "faults-gone")
    listener.wait_subscribed()
    assert MqttListener.objects.get(client_id="faults-gone").started is not None
    listener.kill()
    # Published while it is dead: its session, the group's only member, queues all of them.
    assert publish(broker.url, [message(integration, i) for i in range(100)]) == 100
    assert count(integration) == 0

    report = stale_ids()
    assert report is not None and "telemetry_listen --retire-id faults-gone" in report

    refused = retire_id(broker, "faults-gone")  # its last heartbeat is seconds old
    assert refused.returncode == 1
    assert "looks like it is running" in refused.stderr
    retired = retire_id(broker, "faults-gone", "--force")
    assert retired.returncode == 0, retired.stderr
    assert "Retired faults-gone: 100 queued message(s) drained" in retired.stdout

    assert stored(integration) == expected(100)
    assert stale_ids() is None
    assert not broker_has_session(broker, "faults-gone")
