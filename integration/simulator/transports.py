"""Sending: the HTTP and MQTT transports and `run`, the simulator's loop."""

from __future__ import annotations

import contextlib
import logging
import random
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import orjson

from integration.lineprotocol import Point
from integration.simulator.feeds import Feed

log = logging.getLogger(__name__)


class Unavailable(Exception):
    """The server or broker cannot be reached (or answered 5xx): try again later."""


class Refused(Exception):
    """The server refused what was sent (4xx): retrying would not help."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(f"HTTP {status}: {message}")


class Transport(Protocol):
    name: str

    def points(self, feed: Feed, points: list[Point]) -> None: ...

    def ping(self, feed: Feed, *, failed: bool) -> bool:
        """Send a heartbeat; False when this transport cannot carry pings."""

    def flush(self) -> None:
        """Wait until everything handed over is acknowledged; raise Unavailable otherwise."""

    def close(self) -> None: ...


def json_body(points: Iterable[Point]) -> bytes:
    """The JSON body of `POST /api/v1/telemetry` (and of an MQTT message)."""
    return orjson.dumps(
        {
            "points": [
                {
                    "metric": point.metric,
                    "value": point.value,
                    "ts": point.ts.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                    **({"labels": dict(point.labels)} if point.labels else {}),
                }
                for point in points
            ]
        }
    )


class HttpTransport:
    """The JSON API with one Bearer token per integration (`tokens`: feed key -> token)."""

    name = "http"

    def __init__(self, url: str, tokens: dict[str, str], *, timeout: float = 10):
        self.url = url.rstrip("/")
        self.tokens = tokens
        self.timeout = timeout
        # No proxies: the server is usually on this machine, whatever http_proxy says.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def points(self, feed: Feed, points: list[Point]) -> None:
        self._post("/api/v1/telemetry", feed, json_body(points))

    def ping(self, feed: Feed, *, failed: bool) -> bool:
        self._post("/api/v1/ping/fail" if failed else "/api/v1/ping", feed, b"")
        return True

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def _post(self, path: str, feed: Feed, body: bytes) -> None:
        request = urllib.request.Request(
            self.url + path,
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {self.tokens[feed.key]}",
                "Content-Type": "application/json",
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            if error.code >= 500:
                raise Unavailable(f"{self.url} answered HTTP {error.code}") from None
            raise Refused(error.code, _error_message(error)) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise Unavailable(f"{self.url}: {reason}") from None


def _error_message(error: urllib.error.HTTPError) -> str:
    try:
        return orjson.loads(error.read()).get("message", "")
    except (orjson.JSONDecodeError, AttributeError, OSError):
        return error.reason or ""


class MqttTransport:
    """QoS 1 publishes to `<prefix>/<integration id>/telemetry` with at most `max_inflight`
    unacknowledged (paho drops publishes past ~65K waiting, and slows down with many in
    flight). paho reconnects by itself and resends what was not acknowledged; MQTT ingest
    takes telemetry only, so pings are not sent this way.

    `url`: mqtt://[user:password@]host[:port] or mqtts:// for TLS.
    """

    name = "mqtt"

    def __init__(
        self,
        url: str,
        *,
        client_id: str = "",
        prefix: str = "ladder",
        max_inflight: int = 100,
        timeout: float = 10,
    ):
        import paho.mqtt.client as mqtt

        from integration.mqtt.decoding import broker_from_url  # the listener's reading of MQTT_URL

        broker = broker_from_url(url)  # ValueError for a bad URL
        self.url = str(broker)
        self.prefix = prefix
        self.max_inflight = max_inflight
        self.timeout = timeout
        self._unacked: set[int] = set()
        self._acked_early: set[int] = set()  # acknowledged before publish() returned
        self._changed = threading.Condition()
        self._connected = False
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311
        )
        if broker.username is not None:
            client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            client.tls_set_context(ssl.create_default_context())
        client.max_inflight_messages_set(max_inflight)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        self._client = client
        # Connects (and keeps reconnecting with back-off) in paho's own thread.
        client.connect_async(broker.host, broker.port, keepalive=30)
        client.loop_start()

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        with self._changed:
            self._connected = not reason_code.is_failure
            self._changed.notify_all()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        with self._changed:
            self._connected = False
            self._changed.notify_all()

    def _on_publish(self, client, userdata, mid, reason_code, properties):
        with self._changed:
            if mid in self._unacked:
                self._unacked.discard(mid)
            else:
                self._acked_early.add(mid)
            self._changed.notify_all()

    def _wait(self, ready: Callable[[], bool], what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(ready, timeout=self.timeout):
                raise Unavailable(f"{self.url}: {what}")

    def points(self, feed: Feed, points: list[Point]) -> None:
        import paho.mqtt.client as mqtt

        self._wait(lambda: self._connected, "not connected")
        self._wait(lambda: len(self._unacked) < self.max_inflight, "no acknowledgements")
        # Not under our lock: paho calls on_publish holding its own lock, which publish takes.
        topic = f"{self.prefix}/{feed.key}/telemetry"
        info = self._client.publish(topic, json_body(points), qos=1)
        # NO_CONN: paho keeps the message and sends it on reconnecting; wait for it too.
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            raise Unavailable(f"{self.url}: {mqtt.error_string(info.rc)}")
        with self._changed:
            if info.mid in self._acked_early:
                self._acked_early.discard(info.mid)
            else:
                self._unacked.add(info.mid)

    def ping(self, feed: Feed, *, failed: bool) -> bool:
        return False

    def flush(self) -> None:
        self._wait(lambda: not self._unacked, f"{len(self._unacked)} messages not acknowledged")

    def close(self) -> None:
        with contextlib.suppress(Unavailable):
            self.flush()
        self._client.disconnect()
        self._client.loop_stop()


@dataclass
class Totals:
    rounds: int = 0
    points: int = 0
    pings: int = 0
    fail_pings: int = 0
    refused: int = 0


def run(
    feeds: Sequence[Feed],
    transport: Transport,
    *,
    interval: float,
    once: bool = False,
    rng: random.Random | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
    max_backoff: float = 30,
    give_up_after: float | None = None,
    say: Callable[[str], None] = log.info,
) -> Totals:
    """Send a round for every feed every `interval` seconds (one round if `once`).

    A round the server or broker does not take is retried after 1, 2, 4 ... up to
    `max_backoff` seconds; after `give_up_after` seconds of retries, `Unavailable` is raised.
    A refused request (4xx, e.g. a paused integration) is logged and dropped.
    """
    rng = rng or random.Random()
    totals = Totals()
    pings_unsupported = False
    while True:
        started = clock()
        actions: list[tuple[Feed, list[Point] | bool]] = []
        for feed in feeds:
            sent = feed.round(started, rng)
            if sent.points:
                actions.append((feed, sent.points))
            actions.extend((feed, failed) for failed in sent.pings)
        waited, delay = 0.0, 1.0
        while True:
            try:
                while actions:
                    feed, what = actions[0]
                    try:
                        if isinstance(what, bool):
                            if transport.ping(feed, failed=what):
                                totals.pings += 1
                                totals.fail_pings += what
                            elif not pings_unsupported:
                                pings_unsupported = True
                                say(f"{transport.name} carries no heartbeats: pings are skipped")
                        else:
                            transport.points(feed, what)
                            totals.points += len(what)
                    except Refused as refused:
                        totals.refused += 1
                        say(f"{feed.name}: refused, {refused}")
                    actions.pop(0)
                transport.flush()
                break
            except Unavailable as error:
                if give_up_after is not None and waited >= give_up_after:
                    raise
                say(f"not reachable yet ({error}); trying again in {delay:g} s")
                sleep(delay)
                waited += delay
                delay = min(delay * 2, max_backoff)
        if waited:
            say("reachable again")
        totals.rounds += 1
        if once:
            return totals
        elapsed = (clock() - started).total_seconds()
        sleep(max(0.0, interval - elapsed))
