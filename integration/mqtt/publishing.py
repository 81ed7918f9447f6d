"""Publishing with a bounded number of messages in flight: the simulator, tests, benchmarks."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import paho.mqtt.client as mqtt

from integration.mqtt.decoding import broker_from_url


def publisher_connect(url: str, *, window: int = 100, client_id: str = "") -> mqtt.Client:
    """A connected MQTT 5 client (network loop running) with `window` messages in flight."""
    broker = broker_from_url(url)
    client = broker.client(client_id=client_id)
    # paho refuses to change this once connected; past ~100 it gets slower, not faster.
    client.max_inflight_messages_set(window)
    client.connect(broker.host, broker.port)
    client.loop_start()
    return client


def publish_bounded(
    client: mqtt.Client,
    messages: Iterable[tuple[str, bytes | str]],
    *,
    qos: int = 1,
    window: int = 100,
    timeout: float = 30.0,
) -> int:
    """Publish, never more than `window` messages waiting for the broker's acknowledgement.

    paho drops publishes silently past ~65K unacknowledged, so publishers (the simulator,
    tests, benchmarks) go through this. Returns the number published once all are
    acknowledged; raises TimeoutError when one is not acknowledged within `timeout` seconds.
    """
    pending: deque[mqtt.MQTTMessageInfo] = deque()
    count = 0

    def wait(info):
        info.wait_for_publish(timeout)
        if not info.is_published():
            raise TimeoutError(f"the broker did not acknowledge message {info.mid} in {timeout} s")

    for topic, payload in messages:
        if len(pending) >= window:
            wait(pending.popleft())
        pending.append(client.publish(topic, payload, qos=qos))
        count += 1
    while pending:
        wait(pending.popleft())
    return count
