"""The MQTT listener tests' brokers, listeners and publishers (test_mqtt_broker,
test_mqtt_listener_command)."""

import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from integration.mqtt.listener import Listener
from integration.mqtt.publishing import publish_bounded, publisher_connect
from tests.integration.conftest import SHARED_URL
from tests.services import need_mqtt

ROOT = Path(__file__).resolve().parents[2]
broker_test = pytest.mark.django_db(transaction=True)


# Brokers, listeners, publishers


@pytest.fixture(name="shared_broker")
def shared_broker_fixture():
    need_mqtt()
    return SHARED_URL


@pytest.fixture(name="any_broker", params=["shared", "private"])
def any_broker_fixture(request):
    """Each broker kind in turn: the shared one on 1883 and a private one on a free port."""
    if request.param == "shared":
        return request.getfixturevalue("shared_broker")
    return request.getfixturevalue("private_broker").url


@pytest.fixture(name="prefix")
def prefix_fixture():
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
