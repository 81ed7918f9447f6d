"""The Sparkplug host's MQTT side: the lease, the connection, STATE, batches, rebirth requests.

A `SparkplugHost` runs in a thread of the listener. Every `renew_every` s it claims or renews
the lease of `host_id` (`SparkplugLease`); only while it holds it is it connected as the host:

- connects with clean start and the Will `spBv1.0/STATE/<host id>` `{"online": false, ...}`
  (retained, QoS 1), then publishes the same with `"online": true` and the same timestamp, as
  Sparkplug 3.0 asks; edge nodes store and forward while the host is offline;
- subscribes to `spBv1.0/#` (QoS 1; edge nodes publish data at QoS 0), not shared;
- takes messages in batches (`batch_messages`, `batch_seconds`), runs them through the `Host`
  state machine in order and stores each batch in one transaction (`sparkplug_batch_store`);
- publishes the rebirth requests (NCMD `Node Control/Rebirth`) after the commit.

A host that loses its lease (another took it; checked again in each batch's transaction, so
two hosts never both store) or whose database stays down for longer than the lease publishes
its offline STATE and disconnects: edge nodes store and forward until a holder is online. The
queue between paho's thread and the host is bounded (`max_queued`): messages beyond it are
dropped and counted (`overflow`); the seq gaps they leave ask for rebirths.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from dataclasses import asdict, dataclass
from datetime import timedelta

import paho.mqtt.client as mqtt
from django.db import DatabaseError, connection
from django.utils import timezone

from integration.models import SparkplugLease
from integration.mqtt.decoding import Broker
from integration.sparkplug.host import REBIRTH_EVERY, Host
from integration.sparkplug.payload import (
    NAMESPACE,
    BadSparkplug,
    parse_topic,
    rebirth_request,
    state_payload,
    state_topic,
)
from integration.sparkplug.store import (
    LeaseLost,
    sparkplug_batch_store,
    sparkplug_bound_nodes,
    sparkplug_nodes_load,
)

logger = logging.getLogger(__name__)


@dataclass
class SparkplugCounters:
    received: int = 0
    points_accepted: int = 0
    points_duplicate: int = 0
    gaps: int = 0  # messages lost, from the seq numbers
    rebirths: int = 0  # requests sent
    births: int = 0
    deaths: int = 0
    stray: int = 0  # messages of edge nodes no integration is bound to: not looked at
    unbound: int = 0  # messages of a bound edge node's devices no integration takes
    ignored: int = 0  # not Sparkplug B, or not usable (see the log)
    values_refused: int = 0  # values the ingest service would refuse (NaN, time, name)
    database_errors: int = 0
    overflow: int = 0  # messages dropped: the queue was full (the database too slow or down)
    leases: int = 0  # times this listener became the host

    def __str__(self):
        return " ".join(f"{name}={value}" for name, value in asdict(self).items())


OVERFLOW_LOG_EVERY = 60.0  # s between warnings while the queue is full


class SparkplugHost:
    """The primary Sparkplug host `host_id` while this listener holds its lease."""

    def __init__(
        self,
        *,
        broker: Broker,
        host_id: str,
        client_id: str,
        lease_ttl: float = 15.0,
        renew_every: float = 5.0,
        batch_messages: int = 2000,
        batch_seconds: float = 0.2,
        rebirth_every: timedelta = REBIRTH_EVERY,
        stats_every: float = 60.0,
        bindings_every: float = 60.0,
        bindings_on_miss: float = 5.0,
        max_queued: int = 20000,
    ):
        self.broker = broker
        self.host_id = host_id
        self.client_id = client_id
        self.lease_ttl = timedelta(seconds=lease_ttl)
        self.renew_every = renew_every
        self.batch_messages = batch_messages
        self.batch_seconds = batch_seconds
        self.rebirth_every = rebirth_every
        self.stats_every = stats_every  # counters logged this often when they changed
        # The bound (group, node) pairs, read again this often, and on a miss at most this often.
        self.bindings_every = bindings_every
        self.bindings_on_miss = bindings_on_miss
        self._bound: set[tuple[str, str]] = set()
        self._bound_at: float | None = None
        self.counters = SparkplugCounters()
        self.active = threading.Event()  # holds the lease, connected and subscribed
        self._stopping = threading.Event()
        # Bounded: paho's thread must never fill the memory while the database is slow.
        self.max_queued = max_queued
        self._queue: queue.Queue[tuple[str, bytes]] = queue.Queue(max_queued)
        self._client: mqtt.Client | None = None
        self._host: Host | None = None
        self._state_ms = 0
        self._thread: threading.Thread | None = None
        self.failed = False  # the thread ended by an exception, not by `stop()`
        self._ignored_log: dict[str, tuple[float, int]] = {}  # reason -> (logged at, held)
        self._overflow_logged = -OVERFLOW_LOG_EVERY  # monotonic time of the last warning

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="sparkplug-host", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """Claim the lease, be the host while it holds, until `stop()`."""
        last_stats, logged = time.monotonic(), str(self.counters)
        try:
            while not self._stopping.is_set():
                if time.monotonic() - last_stats >= self.stats_every:
                    last_stats = time.monotonic()
                    if str(self.counters) != logged:
                        logged = str(self.counters)
                        logger.info("sparkplug: %s", logged)
                try:
                    self._term()
                except Exception:  # a bug must not end the host for good: start again
                    logger.exception("sparkplug: unexpected error; starting again")
                    if self._client is not None:
                        self._drop("unexpected error")
                    self._stopping.wait(self.renew_every)
        except BaseException:
            self.failed = True
            logger.exception("sparkplug: the host thread died")
            raise
        finally:
            if self._client is not None:
                self._go_offline()
            with contextlib.suppress(DatabaseError):
                connection.close()
            logger.info("sparkplug: stopped: %s", self.counters)

    def _term(self) -> None:
        """Claim or renew the lease, then be the host until the next renewal."""
        if not self._claim():
            if self._client is not None:
                self._drop("lost the lease")
            self._stopping.wait(self.renew_every)
            return
        if self._client is None:
            self._become_host()
        renew_at = time.monotonic() + self.renew_every
        while time.monotonic() < renew_at and self._client and not self._stopping.is_set():
            batch = self._collect()
            if batch:
                self._process(batch)

    @property
    def alive(self) -> bool:
        """Whether the host's thread runs (False once it died; `failed` then says so)."""
        return self._thread is not None and self._thread.is_alive()

    def backlog(self) -> int:
        """Messages received and not yet taken into a batch."""
        return self._queue.qsize()

    def _claim(self) -> bool:
        try:
            return SparkplugLease.claim(
                host_id=self.host_id, holder=self.client_id, now=timezone.now(), ttl=self.lease_ttl
            )
        except DatabaseError as error:
            with contextlib.suppress(DatabaseError):
                connection.close()
            logger.warning("sparkplug: cannot claim the host lease: %s", error)
            return False

    def _become_host(self) -> None:
        self.counters.leases += 1
        self._host = Host(sparkplug_nodes_load(), rebirth_every=self.rebirth_every)
        self._state_ms = int(time.time() * 1000)
        self._queue = queue.Queue(self.max_queued)  # nothing left from an earlier term
        client = self.broker.client(client_id=f"{self.client_id}-sparkplug")
        client.will_set(
            state_topic(self.host_id),
            state_payload(online=False, timestamp_ms=self._state_ms),
            qos=1,
            retain=True,
        )
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.reconnect_delay_set(1, 30)
        self._client = client
        client.connect_async(self.broker.host, self.broker.port, keepalive=10, clean_start=True)
        client.loop_start()
        logger.info(
            "sparkplug: %s is the primary host %r on %s", self.client_id, self.host_id, self.broker
        )

    def _drop(self, why: str) -> None:
        """Stop being the host: the offline STATE first (a clean disconnect sends no Will), so
        edge nodes store and forward until the next holder publishes its online STATE (which
        it publishes again should this one reach the broker after its own)."""
        logger.warning("sparkplug: %s is no longer the host (%s)", self.client_id, why)
        self._go_offline()

    def _go_offline(self) -> None:
        """Publish the offline STATE (Sparkplug 3.0: before disconnecting), then disconnect."""
        self.active.clear()
        client, self._client = self._client, None
        info = client.publish(
            state_topic(self.host_id),
            state_payload(online=False, timestamp_ms=self._state_ms),
            qos=1,
            retain=True,
        )
        with contextlib.suppress(RuntimeError, ValueError):
            info.wait_for_publish(5)
        client.disconnect()
        client.loop_stop()
        with contextlib.suppress(DatabaseError):
            SparkplugLease.release(host_id=self.host_id, holder=self.client_id)

    def _collect(self) -> list[tuple[str, bytes]]:
        try:
            batch = [self._queue.get(timeout=0.2)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.batch_seconds
        while len(batch) < self.batch_messages:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _process(self, batch: list[tuple[str, bytes]]) -> None:
        now = timezone.now()
        outcomes = []
        for topic_text, data in batch:
            try:
                topic = parse_topic(topic_text)
            except BadSparkplug:
                self.counters.ignored += 1
                continue
            if topic.type == "STATE":
                self._on_state(topic.node, data)
                continue
            if topic.type in {"NCMD", "DCMD"}:  # commands to edge nodes (our rebirths)
                continue
            if not self._is_bound(topic.group, topic.node):
                # Another host application's edge node (a shared broker): no rebirth, no rows.
                self.counters.stray += 1
                self._log_ignored(topic_text, "no integration is bound to this edge node")
                continue
            try:
                outcome = self._host.handle(topic, data, now=now)
            except Exception:  # one bad message must never stop the host
                self.counters.ignored += 1
                logger.exception("sparkplug: %s ignored: cannot be read", topic_text[:200])
                continue
            if outcome.ignored and not outcome.rebirth:
                self.counters.ignored += 1
                self._log_ignored(topic_text, outcome.ignored)
            outcomes.append((topic, outcome))
        if not outcomes:
            return
        stored = None
        delay, failing_since = 1.0, None
        while stored is None:
            try:
                stored = sparkplug_batch_store(
                    outcomes=outcomes,
                    host=self._host,
                    now=now,
                    listener=self.client_id,
                    holds_lease=self._holds_lease,
                )
            except LeaseLost:
                # Another listener is the host (or will be): it stores what edge nodes send.
                self._drop("lost the lease; the batch is not stored here")
                return
            except DatabaseError as error:
                self.counters.database_errors += 1
                with contextlib.suppress(DatabaseError):
                    connection.close()
                failing_since = failing_since or time.monotonic()
                if time.monotonic() - failing_since >= self.lease_ttl.total_seconds():
                    # The lease is not renewed meanwhile: go offline, edge nodes store.
                    self._drop(f"the database is down: {error}")
                    return
                logger.warning("sparkplug: cannot store a batch, retrying: %s", error)
                if self._stopping.wait(delay):
                    return
                delay = min(delay * 2, 30.0)
        counters = self.counters
        counters.points_accepted += stored.result.accepted
        counters.points_duplicate += stored.result.duplicates
        counters.births += stored.births
        counters.deaths += stored.deaths
        counters.unbound += sum(stored.unbound.values())
        counters.values_refused += sum(stored.refused.values())
        for kind, count in stored.refused.items():
            example = stored.refused.examples.get(kind, "")
            self._log_ignored(f"{count} value(s), e.g. {example}", f"refused ({kind})")
        for refusal in stored.result.refusals:
            logger.warning(
                "sparkplug: refused for integration %s: %s", refusal.integration_id, refusal.reason
            )
        for topic, outcome in outcomes:
            counters.gaps += outcome.gap
            if outcome.gap:
                logger.warning(
                    "sparkplug: %d message(s) of %s/%s lost (seq)", outcome.gap, *topic_key(topic)
                )
            if outcome.rebirth:
                self._request_rebirth(topic.group, topic.node)

    def _is_bound(self, group: str, node: str) -> bool:
        """From the bindings read at most `bindings_every` s ago, or `bindings_on_miss` s ago
        for a node not in them (a binding just made is seen within seconds)."""
        now = time.monotonic()
        age = None if self._bound_at is None else now - self._bound_at
        known = (group, node) in self._bound
        if (
            age is None
            or age >= self.bindings_every
            or (not known and age >= self.bindings_on_miss)
        ):
            try:
                self._bound = sparkplug_bound_nodes()
            except DatabaseError as error:
                logger.warning("sparkplug: cannot read the bindings: %s", error)
                with contextlib.suppress(DatabaseError):
                    connection.close()
            self._bound_at = now
            known = (group, node) in self._bound
        return known

    def _holds_lease(self) -> bool:
        return SparkplugLease.hold(
            host_id=self.host_id, holder=self.client_id, now=timezone.now(), ttl=self.lease_ttl
        )

    def _log_ignored(self, topic: str, reason: str) -> None:
        """At most one line a minute per reason, with how many were held back."""
        now = time.monotonic()
        if len(self._ignored_log) > 1000:  # reasons name numbers: keep the table small
            self._ignored_log.clear()
        last, held = self._ignored_log.get(reason, (None, 0))
        if last is not None and now - last < 60:
            self._ignored_log[reason] = (last, held + 1)
            return
        self._ignored_log[reason] = (now, 0)
        more = f" ({held} more since the last line)" if held else ""
        logger.info("sparkplug: %s ignored: %s%s", topic[:200], reason, more)

    def _request_rebirth(self, group: str, node: str) -> None:
        self.counters.rebirths += 1
        logger.info("sparkplug: asking %s/%s for a rebirth", group, node)
        if self._client is not None:
            self._client.publish(
                f"{NAMESPACE}/{group}/NCMD/{node}",
                rebirth_request(now_ms=int(time.time() * 1000)),
                qos=0,
            )

    def _on_state(self, host_id: str, data: bytes) -> None:
        # An older holder's late Will may overwrite our online STATE: publish ours again.
        if host_id != self.host_id or self._client is None:
            return
        try:
            online = json.loads(data).get("online")
        except (ValueError, AttributeError):
            online = None
        if online is False:
            self._publish_online(self._client)

    def _publish_online(self, client: mqtt.Client) -> None:
        client.publish(
            state_topic(self.host_id),
            state_payload(online=True, timestamp_ms=self._state_ms),
            qos=1,
            retain=True,
        )

    # paho callbacks, in its network thread

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            logger.error("sparkplug: %s refused the connection: %s", self.broker, reason_code)
            return
        # Everything under the namespace, our own STATE included (to answer a late Will).
        client.subscribe(f"{NAMESPACE}/#", qos=1)
        self._publish_online(client)
        self.active.set()

    def _on_message(self, client, userdata, message) -> None:
        self.counters.received += 1
        try:
            topic = message.topic
        except UnicodeDecodeError:
            return
        try:
            self._queue.put_nowait((topic, message.payload))
        except queue.Full:  # QoS 0 data: the seq gap it leaves asks for a rebirth later
            self.counters.overflow += 1
            now = time.monotonic()
            if now - self._overflow_logged >= OVERFLOW_LOG_EVERY:
                # A warning, at most once a minute: these values are lost (the heartbeat's
                # `dropped` shows the count on the operations page).
                self._overflow_logged = now
                logger.warning(
                    "sparkplug: the queue is full (%d messages): dropping messages, %d so far; "
                    "the database is too slow for this load",
                    self.max_queued,
                    self.counters.overflow,
                )


def topic_key(topic) -> tuple[str, str]:
    return topic.group, topic.node
