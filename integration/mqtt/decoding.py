"""The pure part of MQTT ingest: the broker URL, the telemetry topic and the payload.

Hot path (`decode_payloads`, a batch of messages): at breadth a message is one line of line
protocol, and parsing each alone cost more than storing it (a parser context, the series key
split and sorted, three settings read, per message). So the limits are read once a batch, and
small line protocol payloads are joined by newlines and parsed together with
`lineprotocol.parse_lines` (one context: a series key seen before is not read again); each
payload's lines are then taken back in order, and its first refused line or the points cap
refuses it with the message `lineprotocol.parse` gives it alone (line numbers within the
payload). tests/integration/test_mqtt_decoding.py checks both ways agree, payload by payload.
"""

from __future__ import annotations

import logging
import re
import socket
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from integration import conf, jsonpoints, lineprotocol
from integration.lineprotocol import Point

logger = logging.getLogger(__name__)

PREFIX = "ladder"


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    def __str__(self):
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"

    def client(self, *, client_id: str, **options) -> mqtt.Client:
        """An MQTT 5 client for this broker, with its credentials and TLS; not connected."""
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, **options
        )
        if self.username is not None:
            client.username_pw_set(self.username, self.password)
        if self.tls:
            client.tls_set()  # the system's CAs (or SSL_CERT_FILE)
        return client


def broker_from_url(url: str) -> Broker:
    """`mqtt://[user:password@]host[:port]` (1883) or `mqtts://...` (TLS, 8883)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ValueError(f"MQTT_URL must start with mqtt:// or mqtts://, not {url.split(':')[0]!r}")
    if not parts.hostname:
        raise ValueError("MQTT_URL has no host, e.g. mqtt://127.0.0.1:1883")
    tls = parts.scheme == "mqtts"
    try:
        port = parts.port or (8883 if tls else 1883)
    except ValueError:
        raise ValueError("MQTT_URL has a port that is not a number") from None
    return Broker(
        host=parts.hostname,
        port=port,
        tls=tls,
        username=unquote(parts.username) if parts.username is not None else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def default_client_id() -> str:
    """`ladder-listener-<hostname>`: stable across restarts, so the broker keeps the session."""
    host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname()) or "localhost"
    return f"ladder-listener-{host}"


def parse_topic(topic: str, *, prefix: str = PREFIX) -> uuid.UUID | None:
    """The integration id of `<prefix>/<id>/telemetry`, or None (no such topic, not a UUID)."""
    parts = topic.split("/")
    if len(parts) != 3 or parts[0] != prefix or parts[2] != "telemetry":
        return None
    try:
        value = uuid.UUID(parts[1])
    except ValueError:
        return None
    # Only the canonical spelling: the broker's ACL (`ladder/%u/telemetry`) matches no other.
    return value if str(value) == parts[1] else None


# Valid topics read before, per prefix: a listener meets the same few thousand topics in every
# batch, and reading a UUID costs microseconds. Bounded (emptied when full); only valid topics,
# which are short, are kept.
_TOPIC_IDS: dict[str, dict[str, uuid.UUID]] = {}
_MAX_TOPIC_IDS = 100_000


def topic_ids(topics: Iterable[str], *, prefix: str = PREFIX) -> dict[str, uuid.UUID | None]:
    """`parse_topic` of each of `topics`, remembering the valid ones."""
    known = _TOPIC_IDS.setdefault(prefix, {})
    ids: dict[str, uuid.UUID | None] = {}
    for topic in topics:
        value = known.get(topic)
        if value is None:
            value = parse_topic(topic, prefix=prefix)
            if value is not None:
                if len(known) >= _MAX_TOPIC_IDS:
                    known.clear()
                known[topic] = value
        ids[topic] = value
    return ids


class BadPayload(ValueError):
    """A payload that cannot be read as telemetry; the message says why."""


class PayloadTooLarge(BadPayload):
    """A payload over the byte or point limits."""


def decode_payload(payload: bytes, *, now: datetime) -> list[Point]:
    """Points of one message: JSON when it starts with `{`, else line protocol (ns)."""
    (decoded,) = decode_payloads([payload], now=now)
    if isinstance(decoded, BadPayload):
        raise decoded
    return decoded


def decode_payloads(payloads: Sequence[bytes], *, now: datetime) -> list[list[Point] | BadPayload]:
    """Each payload's points, or the `BadPayload` that refuses it, as `decode_payload` gives.

    The limits are read once (not per message), and the line protocol payloads of up to
    _JOINED_BYTES are parsed together, one line each per message at breadth (see the module's
    docstring).
    """
    limits = _Limits(conf.max_body_bytes(), conf.max_points(), conf.max_line_fields())
    decoded: list[list[Point] | BadPayload | None] = [None] * len(payloads)
    joined: list[tuple[int, str]] = []  # parsed together, up to _JOINED_BYTES at a time
    size = 0
    for index, payload in enumerate(payloads):
        if len(payload) > limits.body_bytes:
            decoded[index] = PayloadTooLarge(f"the payload is over {limits.body_bytes} bytes")
        elif payload.lstrip()[:1] == b"{":
            decoded[index] = _decode_one(payload, now, limits)
        else:
            try:
                text = payload.decode()
            except UnicodeDecodeError as error:
                decoded[index] = BadPayload(f"the payload is not UTF-8 (byte {error.start})")
                continue
            if len(payload) > _JOINED_BYTES:
                decoded[index] = _decode_one(payload, now, limits)
                continue
            joined.append((index, text))
            size += len(payload)
            if size > _JOINED_BYTES:
                _decode_joined(joined, payloads, decoded, now, limits)
                joined, size = [], 0
    _decode_joined(joined, payloads, decoded, now, limits)
    return decoded  # type: ignore[return-value]  # every slot is filled


def _decode_joined(joined, payloads, decoded, now, limits) -> None:
    if not joined:
        return
    try:
        for (index, _), points in zip(joined, _parse_joined(joined, now, limits), strict=True):
            decoded[index] = points
    except Exception:
        # Whatever the parser raised unexpectedly, find the payload: one at a time.
        for index, _ in joined:
            decoded[index] = _decode_one(payloads[index], now, limits)


class _Limits(NamedTuple):
    body_bytes: int
    points: int
    line_fields: int


# Line protocol payloads up to this size are parsed together, this many bytes at a time. A
# payload is parsed to its end there, where `lineprotocol.parse` stops past the points cap:
# bounded by this size, so bounded work; bigger payloads are parsed alone.
_JOINED_BYTES = 64 * 1024


def _parse_joined(
    joined: list[tuple[int, str]], now: datetime, limits: _Limits
) -> list[list[Point] | BadPayload]:
    """`lineprotocol.parse_lines` over the payloads joined by newlines, then each payload's
    lines taken back in order: its first refused line, or the points cap, refuses it as
    `lineprotocol.parse` alone would (line numbers counted within the payload)."""
    body = "\n".join(text for _, text in joined)
    lines = body.count("\n") + 1
    good, refused = lineprotocol.parse_lines(
        body, precision="ns", now=now, max_fields=limits.line_fields, max_refused=lines
    )
    if not refused and len(good) == len(joined):
        # The common case: one good line a payload (no blank line: `good` skips those).
        firsts = [1]
        for _, text in joined[:-1]:
            firsts.append(firsts[-1] + text.count("\n") + 1)
        if all(lineno == first for (lineno, _), first in zip(good, firsts, strict=True)):
            cap = limits.points
            return [points if len(points) <= cap else _too_many(cap) for _, points in good]
    outcomes = {lineno: points for lineno, points in good}
    outcomes.update({error.line: error for error in refused})
    results: list[list[Point] | BadPayload] = []
    first = 1
    for _, text in joined:
        end = first + text.count("\n") + 1
        points: list[Point] = []
        result: list[Point] | BadPayload = points
        for lineno in range(first, end):
            outcome = outcomes.get(lineno)
            if outcome is None:  # blank or a comment
                continue
            if isinstance(outcome, lineprotocol.LineProtocolError):
                result = BadPayload(f"line {lineno - first + 1}: {outcome.reason}")
                break
            points.extend(outcome)
            if len(points) > limits.points:
                result = _too_many(limits.points)
                break
        results.append(result)
        first = end
    return results


def _too_many(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(str(lineprotocol.TooManyPoints(limit)))


def _decode_one(payload: bytes, now: datetime, limits: _Limits) -> list[Point] | BadPayload:
    try:
        if payload.lstrip()[:1] == b"{":
            return jsonpoints.parse(payload, now=now, max_points=limits.points)
        return lineprotocol.parse(
            payload.decode(),
            precision="ns",
            now=now,
            max_fields=limits.line_fields,
            max_points=limits.points,
        )
    except (jsonpoints.TooManyPoints, lineprotocol.TooManyPoints) as error:
        return PayloadTooLarge(str(error))
    except UnicodeDecodeError as error:
        return BadPayload(f"the payload is not UTF-8 (byte {error.start})")
    except (jsonpoints.JsonPointsError, lineprotocol.LineProtocolError) as error:
        return BadPayload(str(error))
    except Exception:
        # The parsers are pure: whatever else they raise, this payload cannot be read, and one
        # unreadable message must not stop the listener.
        logger.exception("mqtt: a payload could not be parsed")
        return BadPayload("the payload could not be parsed")
