"""The pure part of MQTT ingest: the broker URL, the telemetry topic and the payload."""

from __future__ import annotations

import logging
import re
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime
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


class BadPayload(ValueError):
    """A payload that cannot be read as telemetry; the message says why."""


class PayloadTooLarge(BadPayload):
    """A payload over the byte or point limits."""


def decode_payload(payload: bytes, *, now: datetime) -> list[Point]:
    """Points of one message: JSON when it starts with `{`, else line protocol (ns)."""
    limit = conf.max_body_bytes()
    if len(payload) > limit:
        raise PayloadTooLarge(f"the payload is over {limit} bytes")
    try:
        if payload.lstrip()[:1] == b"{":
            return jsonpoints.parse(payload, now=now, max_points=conf.max_points())
        return lineprotocol.parse(
            payload.decode(),
            precision="ns",
            now=now,
            max_fields=conf.max_line_fields(),
            max_points=conf.max_points(),
        )
    except (jsonpoints.TooManyPoints, lineprotocol.TooManyPoints) as error:
        raise PayloadTooLarge(str(error)) from None
    except UnicodeDecodeError as error:
        raise BadPayload(f"the payload is not UTF-8 (byte {error.start})") from None
    except (jsonpoints.JsonPointsError, lineprotocol.LineProtocolError) as error:
        raise BadPayload(str(error)) from None
    except Exception:
        # The parsers are pure: whatever else they raise, this payload cannot be read, and one
        # unreadable message must not stop the listener.
        logger.exception("mqtt: a payload could not be parsed")
        raise BadPayload("the payload could not be parsed") from None
