"""The listener: subscribe, batch, store with `ingest_messages`, then acknowledge. Its
retirement (unsubscribe, drain what the broker queued for its session, end the session) is in
`integration.mqtt.retirement`."""

from __future__ import annotations

import contextlib
import gc
import logging
import queue
import threading
import time

import paho.mqtt.client as mqtt
from django.db import DatabaseError, connection
from django.utils import timezone
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from integration.models import MqttListener
from integration.mqtt.counters import Counters, TopicLog, backoff, count_batch
from integration.mqtt.decoding import PREFIX, broker_from_url
from integration.mqtt.ingest import (
    Received,
    ingest_messages,
)
from integration.mqtt.retirement import Retirement
from integration.services import IngestCache
from integration.sparkplug.client import SparkplugHost

logger = logging.getLogger(__name__)

SESSION_TAKEN_OVER = 142  # MQTT 5 reason code: another client connected with our client id
# QoS 1, and no retained messages on subscribing: they are the broker's copy of old data.
# Mosquitto 2.0 sends them to shared subscriptions too (the MQTT 5 spec says it should not).
SUBSCRIBE_OPTIONS = SubscribeOptions(qos=1, retainHandling=SubscribeOptions.RETAIN_DO_NOT_SEND)


class Listener(Retirement):
    """Subscribes to the telemetry topics and stores what arrives until `stop()` is called.

    `run()` blocks: the paho network thread queues messages, `run()` takes them in batches of
    up to `batch_messages` or `batch_seconds` (whichever comes first), stores them with
    `ingest_messages` and acknowledges them. Call `stop()` from a signal handler or another
    thread: the current batch is finished and acknowledged, then the client disconnects.
    Call `retire()` instead to leave the group for good (see `retire()`), or `retire_session()`
    instead of `run()` to do that for a listener that is gone. While it runs, it records a
    heartbeat in `MqttListener`.
    """

    def __init__(
        self,
        *,
        url: str,
        client_id: str,
        group: str = "ladder",
        prefix: str = PREFIX,
        batch_messages: int = 2000,
        batch_seconds: float = 0.2,
        session_expiry: int = 86400,
        reconnect_delay: tuple[int, int] = (1, 30),
        database_delay: tuple[float, float] = (1.0, 30.0),
        stats_every: float = 60.0,
        quiet_seconds: float = 2.0,
        heartbeat_every: float = MqttListener.HEARTBEAT,
        sparkplug_host_id: str = "",
    ):
        self.broker = broker_from_url(url)
        self.client_id = client_id
        # Everything under the prefix, so that messages on wrong topics are counted and logged;
        # the telemetry topics alone if the broker refuses that (e.g. an older ACL).
        self.group = group
        self.topic = f"$share/{group}/{prefix}/#"
        self.telemetry_topic = f"$share/{group}/{prefix}/+/telemetry"
        self._resumed = False
        self.topic_log = TopicLog()
        self.cache = IngestCache()  # integrations and series ids, across batches
        self._frozen = 0  # the cache's size when the heap was last frozen
        self.prefix = prefix
        self.batch_messages = batch_messages
        self.batch_seconds = batch_seconds
        self.session_expiry = session_expiry
        self.database_delay = database_delay
        self.stats_every = stats_every
        self.quiet_seconds = quiet_seconds
        self.heartbeat_every = heartbeat_every
        self.retired = False  # set once the broker has dropped the session
        self.failed = False  # stopped because a part died (the Sparkplug host's thread)
        self.connected = threading.Event()
        self._subscribing = True  # subscribe on connecting; off while retiring
        self.retire_requested = False
        self._draining = False
        self._unstored = False  # a batch was given up unacknowledged: the session must stay
        self._last_message = 0.0
        self._unsubscribed = threading.Event()
        self._unsubscribe_mid: int | None = None
        self.counters = Counters()
        self.subscribed = threading.Event()  # set once the broker confirms the subscription
        self._stopping = threading.Event()
        self._disconnected = threading.Event()
        self._disconnected.set()  # until connected
        self._queue: queue.SimpleQueue[Received] = queue.SimpleQueue()
        self._session = 0
        self._session_lock = threading.Lock()
        self._connected_at = 0.0
        self._client = self._make_client(*reconnect_delay)
        # The Sparkplug B host (integration.sparkplug), while this listener holds its lease.
        self.sparkplug = (
            SparkplugHost(broker=self.broker, host_id=sparkplug_host_id, client_id=client_id)
            if sparkplug_host_id
            else None
        )

    def _make_client(self, min_delay: int, max_delay: int) -> mqtt.Client:
        client = self.broker.client(client_id=self.client_id, manual_ack=True)
        client.reconnect_delay_set(min_delay, max_delay)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_unsubscribe = self._on_unsubscribe
        client.on_message = self._on_message
        return client

    def run(self) -> None:
        """Connect (retrying with back-off), then store batches until `stop()` or `retire()`."""
        self._note("started")
        self._connect()
        logger.info("mqtt: listening on %s to %s as %s", self.broker, self.topic, self.client_id)
        last_stats, last_logged = time.monotonic(), None
        last_beat = time.monotonic()
        if self.sparkplug is not None:
            self.sparkplug.start()
        try:
            while not self._stopping.is_set():
                batch = self._collect()
                if batch:
                    self._process(batch)
                if self.sparkplug is not None and not self.sparkplug.alive:
                    # Without it no one may be the Sparkplug host: stop, the supervisor restarts.
                    logger.critical("mqtt: the Sparkplug host thread died; stopping the listener")
                    self.failed = True
                    self._stopping.set()
                if time.monotonic() - last_beat >= self.heartbeat_every:
                    last_beat = time.monotonic()
                    self._note("seen")
                if time.monotonic() - last_stats >= self.stats_every:
                    last_stats = time.monotonic()
                    if str(self.counters) != last_logged:
                        last_logged = str(self.counters)
                        logger.info("mqtt: %s", self.counters)
        finally:
            if self.sparkplug is not None:
                self.sparkplug.stop()
            self._shut_down()

    def _connect(self) -> None:
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self.session_expiry
        # How many unacknowledged messages the broker may send us: room for the batch being
        # stored and the next one filling up.
        properties.ReceiveMaximum = min(2 * self.batch_messages, 65535)
        self._client.connect_async(
            self.broker.host,
            self.broker.port,
            keepalive=30,
            clean_start=False,
            properties=properties,
        )
        self._client.loop_start()

    def stop(self) -> None:
        """Finish the current batch, acknowledge it and disconnect; safe from a signal handler."""
        self._stopping.set()

    def _collect(self) -> list[Received]:
        try:
            batch = [self._queue.get(timeout=0.2)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.batch_seconds
        while len(batch) < self.batch_messages and (self._draining or not self._stopping.is_set()):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _process(self, batch: list[Received]) -> bool:
        """Store and acknowledge the batch; False if stopped before it could be stored."""
        delays = backoff(*self.database_delay)
        # A connection idle since the last batch may have been closed by the server meanwhile.
        if connection.connection is not None and not connection.is_usable():
            _close_database_connection()
        while True:
            try:
                result = ingest_messages(
                    batch,
                    now=timezone.now(),
                    prefix=self.prefix,
                    listener=self.client_id,
                    cache=self.cache,
                )
                break
            except DatabaseError as error:
                self.counters.database_errors += 1
                _close_database_connection()
                delay = next(delays)
                logger.warning(
                    "mqtt: cannot store %d messages, retrying in %.0f s; not acknowledged: %s",
                    len(batch),
                    delay,
                    str(error).strip() or type(error).__name__,
                )
                if self._stopping.wait(delay):
                    logger.warning(
                        "mqtt: stopping with %d messages not stored: the broker will deliver "
                        "them again",
                        len(batch),
                    )
                    self._unstored = True
                    return False
        count_batch(self.counters, self.topic_log, result, self.prefix)
        self._acknowledge(batch)
        self._frozen = freeze_if_grown(self.cache, self._frozen)
        return True

    def _acknowledge(self, batch: list[Received]) -> None:
        with self._session_lock:
            for message in batch:
                # A message from an earlier connection is delivered again on this one (same
                # packet id) and acknowledged then; acknowledging it now could acknowledge a
                # newer message that reuses the id.
                if message.session == self._session and message.qos > 0:
                    self._client.ack(message.mid, message.qos)
                    self.counters.acknowledged += 1

    def _shut_down(self) -> None:
        if self.retire_requested and self.connected.is_set() and not self._unstored:
            self.retired = self._retire()
        if self.retire_requested and not self.retired:
            logger.error(
                "mqtt: %s NOT retired: the broker keeps its session and its messages; run "
                "`manage.py telemetry_listen --retire-id %s` again",
                self.client_id,
                self.client_id,
            )
        if not self.retired:
            if not self._disconnected.is_set():
                self._confirm_acknowledgements()
            self._client.disconnect()
        self._disconnected.wait(5)
        self._client.loop_stop()
        self._note("retired" if self.retired else "stopped")
        _close_database_connection()
        logger.info("mqtt: %s: %s", "retired" if self.retired else "stopped", self.counters)

    def _note(self, what: str) -> None:
        """Record the heartbeat row; a database that is down must not stop the listener."""
        now = timezone.now()
        try:
            if what == "started":
                MqttListener.note_started(client_id=self.client_id, group=self.group, now=now)
            elif what == "seen":
                counters, host = self.counters, self.sparkplug
                MqttListener.note_seen(
                    client_id=self.client_id,
                    now=now,
                    backlog=self._queue.qsize() + (host.backlog() if host else 0),
                    errors=counters.database_errors
                    + counters.disconnects
                    + (host.counters.database_errors if host else 0),
                    dropped=host.counters.overflow if host else 0,
                )
            elif what == "stopped":
                MqttListener.note_stopped(client_id=self.client_id, now=now)
            else:
                MqttListener.note_retired(client_id=self.client_id, group=self.group, now=now)
        except DatabaseError as error:
            _close_database_connection()
            logger.warning("mqtt: cannot record the listener's heartbeat (%s): %s", what, error)

    def _confirm_acknowledgements(self) -> None:
        """Return once the broker has handled every acknowledgement sent so far.

        The broker keeps sending while we stop, and closing a socket with unread data resets the
        connection: the broker then drops the PUBACKs it had not read yet and delivers those
        messages again (stored once, but counted twice). It answers packets in order, so the
        SUBACK of a repeated subscription means the PUBACKs before it were handled.
        """
        self.subscribed.clear()
        result, _ = self._client.subscribe(self.topic, options=SUBSCRIBE_OPTIONS)
        if result != mqtt.MQTT_ERR_SUCCESS or not self.subscribed.wait(5):
            logger.warning(
                "mqtt: the broker did not confirm the last acknowledgements: it may deliver "
                "those messages again (they are stored once)"
            )

    # paho callbacks, called in its network thread

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            logger.error(
                "mqtt: %s refused the connection as %s: %s; retrying",
                self.broker,
                self.client_id,
                reason_code,
            )
            return
        with self._session_lock:
            self._session += 1
            session = self._session
        self._disconnected.clear()
        self.connected.set()
        self._connected_at = time.monotonic()
        if session > 1 and not flags.session_present:
            logger.warning(
                "mqtt: %s had no session for %s: messages published while it was away may be "
                "lost (broker persistence, session expiry)",
                self.broker,
                self.client_id,
            )
        logger.info(
            "mqtt: connected to %s as %s (session %s)",
            self.broker,
            self.client_id,
            "resumed" if flags.session_present else "new",
        )
        self._resumed = flags.session_present
        if self._subscribing:
            client.subscribe(self.topic, options=SUBSCRIBE_OPTIONS)

    def _on_connect_fail(self, client, userdata) -> None:
        logger.warning("mqtt: cannot reach %s; retrying with back-off", self.broker)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        with self._session_lock:
            self._session += 1  # no acknowledgement for the lost connection's messages
        self._disconnected.set()
        self.connected.clear()
        if self._stopping.is_set():
            return
        self.counters.disconnects += 1
        self.subscribed.clear()
        # Mosquitto 2.0 just closes the socket of a client whose id another client takes; two
        # listeners with one id then keep taking it from each other, a few seconds at a time.
        brief = time.monotonic() - self._connected_at < 5
        if reason_code == SESSION_TAKEN_OVER or brief:
            logger.error(
                "mqtt: lost the connection to %s right after connecting (%s); if this repeats, "
                "another client uses the client id %s: give every listener its own --client-id",
                self.broker,
                reason_code,
                self.client_id,
            )
        else:
            logger.warning(
                "mqtt: lost the connection to %s (%s); reconnecting with back-off",
                self.broker,
                reason_code,
            )

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        failed = [code for code in reason_codes if code.is_failure]
        if failed and self.topic != self.telemetry_topic and not self._stopping.is_set():
            logger.warning(
                "mqtt: %s refused the subscription to %s (%s); subscribing to %s only: "
                "messages on other topics under %s/ are not counted (allow the listener's "
                "account to subscribe to %s)",
                self.broker,
                self.topic,
                failed[0],
                self.telemetry_topic,
                self.prefix,
                self.topic,
            )
            self.topic = self.telemetry_topic
            client.subscribe(self.topic, options=SUBSCRIBE_OPTIONS)
            return
        if failed:
            logger.error(
                "mqtt: %s refused the subscription to %s: %s", self.broker, self.topic, failed[0]
            )
            return
        if not self._stopping.is_set():
            logger.info("mqtt: subscribed to %s", self.topic)
            if self._resumed:
                # A session from before the listener subscribed to the whole prefix still has
                # the telemetry-only subscription: both would deliver each message.
                self._resumed = False
                if self.topic != self.telemetry_topic:
                    client.unsubscribe(self.telemetry_topic)
        self.subscribed.set()

    def _on_message(self, client, userdata, message) -> None:
        self._last_message = time.monotonic()
        self.counters.received += 1
        if self.retire_requested:
            self.counters.drained += 1
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = ""
        self._queue.put(
            Received(
                message.mid, message.qos, topic, message.payload, self._session, message.retain
            )
        )


def freeze_if_grown(cache: IngestCache, frozen: int) -> int:
    """Freeze the heap (`gc.freeze`) when the cache's size moved since the last freeze, and
    return its size.

    The cache holds tens of thousands of long-lived objects, which every full collection would
    walk again: about 30 % of a batch's CPU at 1,000 integrations (profiled). Frozen, they are
    still freed by reference counting when dropped (they hold no cycles). A cycle still
    waiting for the collector would be frozen with them and never freed (e.g. a failed COPY's
    traceback holding a batch's rows), so the collector runs first; it walks only what is not
    frozen yet. Freezes are rare: when the cache learnt something or was emptied.
    """
    size = len(cache.integrations) + len(cache.series)
    if size != frozen:
        gc.collect()
        gc.freeze()
    return size


def _close_database_connection() -> None:
    with contextlib.suppress(DatabaseError):  # closing a broken connection may complain
        connection.close()
