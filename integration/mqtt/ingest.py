"""Ingest: the database part of MQTT ingest, no MQTT."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F

from integration import conf
from integration.lineprotocol import Point
from integration.models import Integration, MqttCount, MqttStrayCount
from integration.mqtt.decoding import (
    PREFIX,
    BadPayload,
    PayloadTooLarge,
    decode_payloads,
    topic_ids,
)
from integration.services import (
    BatchTooLarge,
    IngestCache,
    IntegrationPaused,
    TelemetryRefused,
    TooManyMetrics,
    telemetry_ingest,
    telemetry_ingest_many,
)

UNKNOWN, PAUSED, BAD_PAYLOAD = "unknown integration", "paused", "bad payload"
UNKNOWN_TOPIC, RETAINED = "unknown topic", "retained"
TOO_LARGE, INVALID_POINT, TOO_MANY_METRICS = "too large", "invalid point", "too many metrics"
# Where each kind of refusal is counted: a column of MqttCount (the integration is known) or
# of MqttStrayCount (it is not).
COLUMNS = {
    PAUSED: "paused",
    BAD_PAYLOAD: "bad_payload",
    TOO_LARGE: "too_large",
    INVALID_POINT: "invalid_point",
    TOO_MANY_METRICS: "too_many_metrics",
    RETAINED: "retained",
}
STRAY_COLUMNS = {UNKNOWN: "unknown_integration", UNKNOWN_TOPIC: "unknown_topic"}


@dataclass(frozen=True)
class Received:
    """A message as the listener got it; `session` is the connection it came on.

    `retain` is set on a message the broker sent because of a subscription (its stored copy of
    the topic's last retained message), not because someone published it now.
    """

    mid: int
    qos: int
    topic: str
    payload: bytes
    session: int = 0
    retain: bool = False


@dataclass(frozen=True)
class Refusal:
    kind: str  # UNKNOWN, UNKNOWN_TOPIC, PAUSED, BAD_PAYLOAD, ... (the keys of the COLUMNS)
    integration_id: str  # as in the topic
    reason: str
    topic: str = ""


@dataclass
class BatchResult:
    stored: int = 0  # messages whose points are committed (possibly all repeats)
    accepted: int = 0
    duplicates: int = 0
    refusals: list[Refusal] = field(default_factory=list)
    # What is written to MqttCount (per integration) and MqttStrayCount, column: count.
    counts: defaultdict[uuid.UUID, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    stray: Counter[str] = field(default_factory=Counter)

    def refuse(self, kind: str, shown: str, reason: str, *, integration=None, topic="") -> None:
        self.refusals.append(Refusal(kind, shown, reason, topic))
        if kind in STRAY_COLUMNS:
            self.stray[STRAY_COLUMNS[kind]] += 1
        else:
            self.counts[integration.pk][COLUMNS[kind]] += 1

    def count_stored(self, integration, messages: int, points: int) -> None:
        self.stored += messages
        counts = self.counts[integration.pk]
        counts["messages"] += messages
        counts["points"] += points


def ingest_messages(
    messages: Sequence[Received],
    *,
    now: datetime,
    prefix: str = PREFIX,
    listener: str = "",
    cache: IngestCache | None = None,
) -> BatchResult:
    """Store the points of a batch of messages in one transaction; refuse bad messages alone.

    Retained messages are never stored: the broker sends its copy of a topic's last retained
    message on every subscription, so it is old data, not new (stored when it was published).
    What happened to each message is counted per integration and hour (`MqttCount`, or
    `MqttStrayCount` for `listener` when no integration matches) in the same transaction.

    Messages are grouped per integration and the groups are stored together with one
    `telemetry_ingest_many` call per TELEMETRY_MAX_POINTS points; a refused call is retried one
    integration at a time, and a refused integration one message at a time, so a bad message
    never sinks good ones. Raises `DatabaseError` (nothing committed) when the
    database fails: the caller must not acknowledge the batch.

    `cache`: the listener's integrations and series ids, kept across batches and checked at the
    start of each (`IngestCache`): a pause, a deletion or a renamed metric counts from the
    first batch that starts after it commits.
    """
    result = BatchResult()
    topics = {message.topic for message in messages}
    ids_by_topic = topic_ids(topics, prefix=prefix)
    ids = set(ids_by_topic.values()) - {None}
    if cache is None:
        integrations = Integration.objects.in_bulk(ids) if ids else {}
    else:
        cache.check()
        integrations = cache.integrations_in_bulk(ids) if ids else {}
    # Per topic, not per message: a UUID hashes in Python.
    by_topic = {topic: integrations.get(pk) for topic, pk in ids_by_topic.items() if pk}
    wanted: list[tuple[str, bytes]] = []
    for message in messages:
        integration = by_topic.get(message.topic)
        if integration is None:
            _refuse_unknown(result, message, ids_by_topic[message.topic], prefix)
        elif message.retain:
            reason = "a retained message (the broker's copy of an old one): not new data"
            result.refuse(RETAINED, str(integration.pk), reason, integration=integration)
        elif integration.paused:
            shown, reason = str(integration.pk), str(IntegrationPaused(integration))
            result.refuse(PAUSED, shown, reason, integration=integration)
        else:
            wanted.append((message.topic, message.payload))
    decoded = decode_payloads([payload for _, payload in wanted], now=now)
    # By topic (one per integration: only its canonical spelling is read).
    groups: dict[str, list[list[Point]]] = {}
    for (topic, _), points in zip(wanted, decoded, strict=True):
        if isinstance(points, BadPayload):
            integration = by_topic[topic]
            kind = TOO_LARGE if isinstance(points, PayloadTooLarge) else BAD_PAYLOAD
            result.refuse(kind, str(integration.pk), str(points), integration=integration)
        else:
            groups.setdefault(topic, []).append(points)

    limit = conf.max_points()
    # In id order, so listeners writing the same integrations take locks in the same order:
    # the topics' order (one prefix, canonical ids), without comparing UUIDs in Python.
    pieces = [
        piece
        for topic in sorted(groups)
        for piece in _pieces(by_topic[topic], groups[topic], limit)
    ]
    with transaction.atomic():
        for call in _calls(pieces, limit):
            _ingest_call(call, now, result, cache)
        _record_counts(result, now=now, listener=listener)
    return result


def _record_counts(result: BatchResult, *, now: datetime, listener: str) -> None:
    """One upsert for every integration's counts (and an UPDATE for the strays), whatever
    the number of integrations in the batch."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    # Only the counters some integration of the batch moved (messages and points, mostly).
    moved = {column for counts in result.counts.values() for column, n in counts.items() if n}
    columns = [column for column in COUNTED if column in moved]
    # In id order, as the points: listeners writing the same integrations lock in one order.
    rows = [
        (integration_id, *(counts[column] for column in columns))
        for integration_id, counts in sorted(result.counts.items(), key=_id_order)
        if any(counts.values())
    ]
    # PostgreSQL: one statement (arrays); SQLite: _UPSERT_CHUNK rows a statement.
    chunk = max(len(rows), 1) if connection.vendor == "postgresql" else _UPSERT_CHUNK
    for start in range(0, len(rows), chunk):
        _upsert_counts(rows[start : start + chunk], hour, columns)
    if result.stray:
        _add(MqttStrayCount, {"listener": listener[:200], "hour": hour}, result.stray)


# Every counter of MqttCount (the Sparkplug host counts gaps and rebirths in the same rows).
COUNTED = tuple(MqttCount.OUTCOMES)
_UPSERT_CHUNK = 500  # rows per statement on SQLite: 6,000 parameters, under its limit
_UPSERT_COUNTS = """
INSERT INTO {table} AS r (integration_id, hour, {columns}) {rows}
ON CONFLICT (integration_id, hour) DO UPDATE SET {increments}
"""


def _upsert_counts(rows: list[tuple], hour: datetime, columns: list[str]) -> None:
    """Add each (integration id, *counts of `columns`) row's counts to its `hour`'s MqttCount
    row.

    PostgreSQL gets one array a column, each sent as one text literal the server parses
    (psycopg adapts a list's items one by one in Python: a third of the batch's bookkeeping).
    """
    # The counters left out are 0 in a new row (Django's defaults are not the database's).
    counted = [column if column in columns else "0" for column in COUNTED]
    if connection.vendor == "postgresql":
        names = ", ".join(columns)
        arrays = ", ".join(["%s::uuid[]", *["%s::bigint[]"] * len(columns)])
        values = (
            f"SELECT v.id, %s::timestamptz, {', '.join(counted)} "
            f"FROM unnest({arrays}) AS v (id, {names})"
        )
        arrays = ["{" + ",".join(map(str, column)) + "}" for column in zip(*rows, strict=True)]
        params = [hour, *arrays]
    else:
        integration_field = MqttCount._meta.get_field("integration")
        hour_text = MqttCount._meta.get_field("hour").get_db_prep_value(hour, connection)
        row = "(%s, %s, " + ", ".join("%s" if c in columns else "0" for c in COUNTED) + ")"
        values = "VALUES " + ", ".join([row] * len(rows))
        params = [
            value
            for integration_id, *counts in rows
            for value in (
                integration_field.get_db_prep_value(integration_id, connection),
                hour_text,
                *counts,
            )
        ]
    sql = _UPSERT_COUNTS.format(
        table=MqttCount._meta.db_table,
        columns=", ".join(COUNTED),
        rows=values,
        increments=", ".join(f"{column} = r.{column} + excluded.{column}" for column in columns),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _add(model, key: dict, counts: Counter[str]) -> None:
    increments = {column: F(column) + n for column, n in counts.items() if n}
    if not increments or model.objects.filter(**key).update(**increments):
        return
    # A new hour: create the row (or find it created meanwhile by another listener), then add.
    model.objects.bulk_create([model(**key)], ignore_conflicts=True)
    model.objects.filter(**key).update(**increments)


def _ingest_call(call: list[tuple], now, result: BatchResult, cache=None) -> None:
    """One `telemetry_ingest_many` for several integrations; if refused, one call each."""
    batches = [(integration, points) for integration, _, points in call]
    try:
        with transaction.atomic():  # a savepoint: a refused call leaves nothing behind
            stored = telemetry_ingest_many(batches=batches, now=now, cache=cache)
    except TelemetryRefused:
        for integration, chunk, _ in call:
            _ingest_chunk(integration, chunk, now, result, cache)
        return
    for integration, chunk, points in call:
        result.count_stored(integration, len(chunk), len(points))
    result.accepted += stored.accepted
    result.duplicates += stored.duplicates


def _ingest_chunk(integration, chunk: list[list[Point]], now, result: BatchResult, cache) -> None:
    """One `telemetry_ingest` call for the chunk; if refused, one per message to find the bad."""
    points = [p for message in chunk for p in message]
    try:
        # In a savepoint (the batch's transaction is open): a refused call leaves nothing behind.
        stored = telemetry_ingest(integration=integration, points=points, now=now, cache=cache)
    except TelemetryRefused as refused:
        if len(chunk) > 1:
            for message in chunk:
                _ingest_chunk(integration, [message], now, result, cache)
        else:
            result.refuse(
                _kind(refused), str(integration.pk), str(refused), integration=integration
            )
        return
    result.count_stored(integration, len(chunk), len(points))
    result.accepted += stored.accepted
    result.duplicates += stored.duplicates


def _calls(pieces: list[tuple], limit: int) -> Iterable[list[tuple]]:
    """`_pieces` packed into calls of at most `limit` points each."""
    call: list[tuple] = []
    size = 0
    for piece in pieces:
        points = len(piece[2])
        if call and size + points > limit:
            yield call
            call, size = [], 0
        call.append(piece)
        size += points
    if call:
        yield call


def _pieces(integration, messages: list[list[Point]], limit: int) -> list[tuple]:
    """An integration's messages as (integration, messages, their points) pieces: consecutive
    messages, at most `limit` points a piece (a bigger message alone)."""
    if len(messages) == 1:  # the common case at breadth
        return [(integration, messages, messages[0])]
    pieces = []
    chunk: list[list[Point]] = []
    points: list[Point] = []
    for message in messages:
        if chunk and len(points) + len(message) > limit:
            pieces.append((integration, chunk, points))
            chunk, points = [], []
        chunk.append(message)
        points += message
    if chunk:
        pieces.append((integration, chunk, points))
    return pieces


def _kind(refused: TelemetryRefused) -> str:
    if isinstance(refused, IntegrationPaused):
        return PAUSED
    if isinstance(refused, BatchTooLarge):
        return TOO_LARGE
    if isinstance(refused, TooManyMetrics):
        return TOO_MANY_METRICS
    return INVALID_POINT


def _refuse_unknown(result: BatchResult, message: Received, pk, prefix: str) -> None:
    if pk is None:
        reason = f"not {prefix}/<integration id>/telemetry"
        result.refuse(UNKNOWN_TOPIC, _topic_id(message.topic), reason, topic=message.topic)
    else:
        shown = str(pk)
        result.refuse(UNKNOWN, shown, f"no integration '{shown[:40]}'", topic=message.topic)


def _id_order(item: tuple) -> int:
    return item[0].int  # a UUID's order, without its comparison methods (Python)


def _topic_id(topic: str) -> str:
    parts = topic.split("/")
    return parts[1] if len(parts) == 3 else topic
