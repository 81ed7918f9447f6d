"""Ingest: the database part of MQTT ingest, no MQTT."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from integration import conf
from integration.lineprotocol import Point
from integration.models import Integration
from integration.mqtt.decoding import PREFIX, BadPayload, decode_payload, parse_topic
from integration.services import IntegrationPaused, TelemetryRefused, telemetry_ingest

UNKNOWN, PAUSED, BAD_PAYLOAD = "unknown integration", "paused", "bad payload"


@dataclass(frozen=True)
class Received:
    """A message as the listener got it; `session` is the connection it came on."""

    mid: int
    qos: int
    topic: str
    payload: bytes
    session: int = 0


@dataclass(frozen=True)
class Refusal:
    kind: str  # UNKNOWN, PAUSED or BAD_PAYLOAD
    integration_id: str  # as in the topic
    reason: str


@dataclass
class BatchResult:
    stored: int = 0  # messages whose points are committed (possibly all repeats)
    accepted: int = 0
    duplicates: int = 0
    refusals: list[Refusal] = field(default_factory=list)


def ingest_messages(
    messages: Sequence[Received], *, now: datetime, prefix: str = PREFIX
) -> BatchResult:
    """Store the points of a batch of messages in one transaction; refuse bad messages alone.

    Messages are grouped per integration and each group is ingested with one
    `telemetry_ingest` call; a group that is refused is retried one message at a time, so a
    bad message never sinks good ones. Raises `DatabaseError` (nothing committed) when the
    database fails: the caller must not acknowledge the batch.
    """
    result = BatchResult()
    topics = {message.topic for message in messages}
    ids_by_topic = {topic: parse_topic(topic, prefix=prefix) for topic in topics}
    ids = set(ids_by_topic.values()) - {None}
    integrations = Integration.objects.in_bulk(ids) if ids else {}
    groups: dict[uuid.UUID, list[list[Point]]] = {}
    for message in messages:
        integration_id = ids_by_topic[message.topic]
        shown = str(integration_id) if integration_id else _topic_id(message.topic)
        integration = integrations.get(integration_id)
        if integration is None:
            result.refusals.append(Refusal(UNKNOWN, shown, f"no integration '{shown[:40]}'"))
        elif integration.paused:
            result.refusals.append(Refusal(PAUSED, shown, str(IntegrationPaused(integration))))
        else:
            try:
                points = decode_payload(message.payload, now=now)
            except BadPayload as error:
                result.refusals.append(Refusal(BAD_PAYLOAD, shown, str(error)))
            else:
                groups.setdefault(integration_id, []).append(points)

    limit = conf.max_points()
    with transaction.atomic():
        # In id order, so listeners writing the same integrations take locks in the same order.
        for integration_id in sorted(groups):
            integration = integrations[integration_id]
            for chunk in _chunks(groups[integration_id], limit):
                _ingest_chunk(integration, chunk, now, result)
    return result


def _ingest_chunk(integration, chunk: list[list[Point]], now, result: BatchResult) -> None:
    """One `telemetry_ingest` call for the chunk; if refused, one per message to find the bad."""
    try:
        # In a savepoint (the batch's transaction is open): a refused call leaves nothing behind.
        stored = telemetry_ingest(
            integration=integration, points=[p for points in chunk for p in points], now=now
        )
    except TelemetryRefused as refused:
        if len(chunk) > 1:
            for points in chunk:
                _ingest_chunk(integration, [points], now, result)
        else:
            kind = PAUSED if isinstance(refused, IntegrationPaused) else BAD_PAYLOAD
            result.refusals.append(Refusal(kind, str(integration.pk), str(refused)))
        return
    result.stored += len(chunk)
    result.accepted += stored.accepted
    result.duplicates += stored.duplicates


def _chunks(messages: list[list[Point]], limit: int) -> Iterable[list[list[Point]]]:
    """Consecutive messages, at most `limit` points a chunk (a bigger message alone)."""
    chunk: list[list[Point]] = []
    size = 0
    for points in messages:
        if chunk and size + len(points) > limit:
            yield chunk
            chunk, size = [], 0
        chunk.append(points)
        size += len(points)
    if chunk:
        yield chunk


def _topic_id(topic: str) -> str:
    parts = topic.split("/")
    return parts[1] if len(parts) == 3 else topic
