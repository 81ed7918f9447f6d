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
from integration.services import (
    IntegrationPaused,
    TelemetryRefused,
    telemetry_ingest,
    telemetry_ingest_many,
)

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

    Messages are grouped per integration and the groups are stored together with one
    `telemetry_ingest_many` call per TELEMETRY_MAX_POINTS points; a refused call is retried one
    integration at a time, and a refused integration one message at a time, so a bad message
    never sinks good ones. Raises `DatabaseError` (nothing committed) when the
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
    # In id order, so listeners writing the same integrations take locks in the same order.
    pieces = [
        (integrations[integration_id], chunk)
        for integration_id in sorted(groups)
        for chunk in _chunks(groups[integration_id], limit)
    ]
    with transaction.atomic():
        for call in _calls(pieces, limit):
            _ingest_call(call, now, result)
    return result


def _ingest_call(call: list[tuple], now, result: BatchResult) -> None:
    """One `telemetry_ingest_many` for several integrations; if refused, one call each."""
    batches = [
        (integration, [p for points in chunk for p in points]) for integration, chunk in call
    ]
    try:
        with transaction.atomic():  # a savepoint: a refused call leaves nothing behind
            stored = telemetry_ingest_many(batches=batches, now=now)
    except TelemetryRefused:
        for integration, chunk in call:
            _ingest_chunk(integration, chunk, now, result)
        return
    result.stored += sum(len(chunk) for _, chunk in call)
    result.accepted += stored.accepted
    result.duplicates += stored.duplicates


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


def _calls(pieces: list[tuple], limit: int) -> Iterable[list[tuple]]:
    """(integration, messages) pieces packed into calls of at most `limit` points each."""
    call: list[tuple] = []
    size = 0
    for integration, chunk in pieces:
        points = sum(len(points) for points in chunk)
        if call and size + points > limit:
            yield call
            call, size = [], 0
        call.append((integration, chunk))
        size += points
    if call:
        yield call


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
