"""A listener leaving its shared subscription for good, without losing what the broker queued.

`telemetry_listen --retire` (a listener stopping for good) and `--retire-id` (one gone already):
unsubscribe, store and acknowledge what the broker had queued for the session until nothing
arrives for `quiet_seconds`, then disconnect with a session expiry of 0. A mixin of
`integration.mqtt.listener.Listener`, whose connection, batches and shutdown it uses.
"""

from __future__ import annotations

import logging
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

logger = logging.getLogger("integration.mqtt.listener")  # one logger for the listener's lines


class Retirement:
    """Retiring a listener's session; see the module docstring."""

    def retire_session(self, *, timeout: float = 30.0) -> bool:
        """Resume this client id's session (a listener gone for good), drain it and end it.

        True once the broker has dropped the session; False (session kept, nothing lost) when
        the broker cannot be reached in `timeout` s, the connection drops or storing fails.
        """
        self._subscribing = False
        self.retire_requested = True
        self._stopping.set()
        self._connect()
        if not self.connected.wait(timeout):
            logger.error(
                "mqtt: cannot connect to %s as %s to retire it", self.broker, self.client_id
            )
        self._shut_down()
        return self.retired

    def retire(self) -> None:
        """Stop and leave the group for good; safe from a signal handler.

        After the current batch: unsubscribe, store and acknowledge what the broker had queued
        for this session until nothing arrives for `quiet_seconds`, then disconnect with a
        session expiry of 0, so the broker keeps nothing for this client id.
        """
        self.retire_requested = True
        self._stopping.set()

    def _retire(self) -> bool:
        """Unsubscribe, drain the session's queue, disconnect with a session expiry of 0."""
        self._subscribing = False  # a reconnect must not join the group again
        self._draining = True
        try:
            # Both topics: a session from an older listener may hold the telemetry-only one.
            if not self._unsubscribe([self.topic, self.telemetry_topic]):
                return False
            logger.info(
                "mqtt: retiring %s: unsubscribed; storing what the broker queued for it",
                self.client_id,
            )
            while True:
                if not self._drain():
                    return False
                # The broker answers in order: this UNSUBACK means it has read every PUBACK,
                # and sent what they made room for. Anything new: drain again.
                received = self.counters.received
                if not self._unsubscribe([self.topic]):
                    return False
                if self.counters.received == received and self._queue.empty():
                    break
            properties = Properties(PacketTypes.DISCONNECT)
            properties.SessionExpiryInterval = 0  # the broker drops the session now
            self._client.disconnect(properties=properties)
            logger.info(
                "mqtt: retired %s: %d queued message(s) drained, session ended",
                self.client_id,
                self.counters.drained,
            )
            return True
        finally:
            self._draining = False

    def _drain(self) -> bool:
        """Store what arrives until nothing did for `quiet_seconds` since the last message or
        acknowledgement; False if the connection drops or a batch cannot be stored."""
        self._last_message = time.monotonic()
        while True:
            batch = self._collect()
            if self._disconnected.is_set():
                logger.error("mqtt: lost the connection while draining %s", self.client_id)
                return False
            if batch:
                if not self._process(batch):
                    return False
                self._last_message = time.monotonic()
            elif time.monotonic() - self._last_message >= self.quiet_seconds:
                return True

    def _unsubscribe(self, topics: list[str], timeout: float = 10.0) -> bool:
        self._unsubscribed.clear()
        with self._session_lock:  # the callback may come before unsubscribe() returns
            result, self._unsubscribe_mid = self._client.unsubscribe(topics)
        if result != mqtt.MQTT_ERR_SUCCESS or not self._unsubscribed.wait(timeout):
            logger.error("mqtt: the broker did not confirm unsubscribing %s", self.client_id)
            return False
        return True

    def _on_unsubscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        with self._session_lock:
            if mid == self._unsubscribe_mid:
                self._unsubscribed.set()
