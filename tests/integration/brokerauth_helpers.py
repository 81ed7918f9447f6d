"""The private broker and helpers of the broker account tests (brokerauth, brokersync)."""

import queue
import threading
import time
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from integration.models import IngestToken
from integration.mqtt.decoding import broker_from_url
from tests.instances import (
    DynsecBroker,
    need_dynsec,
)
from tests.integration.test_pages_form import management
from tests.integration.test_pages_tokens import create_url, shown_token

broker_test = pytest.mark.django_db(transaction=True)


@pytest.fixture(name="broker")
def broker_fixture(tmp_path, settings):
    """A private mosquitto with dynamic security, which Ladder drives (MQTT_ADMIN_URL)."""
    need_dynsec()
    broker = DynsecBroker(tmp_path / "dynsec-broker")
    settings.MQTT_ADMIN_URL = broker.admin_url
    yield broker
    broker.stop()


def login(broker, username, password):
    """A client logged in as `username`, or None when the broker refuses; `client.dropped` is
    set when the broker disconnects it."""
    client = broker_from_url(broker.url).client(
        client_id=f"test-{uuid.uuid4().hex[:8]}", reconnect_on_failure=False
    )
    client.username_pw_set(username, password)
    answers, client.dropped = queue.Queue(), threading.Event()
    client.on_connect = lambda c, u, flags, code, props: answers.put(code)
    client.on_disconnect = lambda *args: client.dropped.set()
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    if answers.get(timeout=5).is_failure:
        client.loop_stop()
        return None
    return client


class Subscriber:
    """The broker's `admin` reading everything under ladder/ (its role from `dynsec init`)."""

    def __init__(self, broker):
        self.received: list[tuple[str, bytes]] = []
        self.client = login(broker, "admin", "admin-password")
        self.client.on_message = lambda c, u, m: self.received.append((m.topic, m.payload))
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.subscribe("ladder/#", qos=1)
        assert subscribed.wait(5)

    def got(self, payload: bytes, timeout: float = 2.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p == payload for _, p in self.received):
                return True
            time.sleep(0.02)
        return False


def publish(client, topic: str) -> bytes:
    payload = f"vibration rms={time.monotonic()}".encode()
    client.publish(topic, payload, qos=1).wait_for_publish(5)
    return payload


def reverse_detail(integration) -> str:
    return reverse(
        "integration:integration-detail", args=[integration.organization.slug, integration.pk]
    )


def topic(integration) -> str:
    return f"ladder/{integration.pk}/telemetry"


def issue(browser, integration, *, mqtt=True) -> tuple[str, str]:
    """A token issued on the page (made the MQTT password, unless not `mqtt`): its plain text
    and the page that shows it."""
    data = {"name": "press-3 gateway", **({"mqtt": "on"} if mqtt else {})}
    posted = browser.post(create_url(integration), data)
    html = browser.get(posted.url).content.decode()
    return shown_token(html), html


def works_over_http(raw: str) -> bool:
    # What the HTTP API authenticates with. (Not a POST: ingest is broken at this commit by
    # Point.quality, which the ingest loop does not unpack yet.)
    return IngestToken.objects.authenticate(raw, now=timezone.now()) is not None


def pause_data(integration, paused: bool) -> dict:
    data = {"name": integration.name, "interval_seconds": "300", "grace_seconds": "300"}
    return {**data, **management(total=0), **({"paused": "on"} if paused else {})}
