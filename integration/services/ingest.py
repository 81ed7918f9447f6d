"""The one way telemetry gets in: HTTP (line protocol, JSON, pings) and MQTT all end here.

A batch is validated whole, then stored in one transaction with its rollups: a refused batch
stores nothing, a point already stored (same series and timestamp) is skipped and counted as a
duplicate, so clients can retry safely.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from django.db import connection, transaction

from integration import conf
from integration.lineprotocol import Point
from integration.models import (
    PING_METRIC,
    QUALITY_CODES,
    RESERVED_PREFIX,
    Integration,
    Metric,
    Series,
)
from integration.services import storage

__all__ = [
    "BatchTooLarge",
    "IngestResult",
    "IntegrationPaused",
    "InvalidPoint",
    "TelemetryRefused",
    "point_problem",
    "telemetry_ingest",
    "telemetry_ingest_many",
    "telemetry_ingest_partial",
    "telemetry_ping",
]

FUTURE_LIMIT = timedelta(minutes=10)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_LABELS = 32
MAX_LABEL_KEY = 100
MAX_LABEL_VALUE = 200
MAX_LABELS_TEXT = 1000  # canonical JSON; keeps the (metric, labels) unique index small
_FINITE_MIN, _FINITE_MAX = -math.inf, math.inf
_MAX_SHOWN = 40
_IN_CHUNK = 500  # values per SQL IN (...), well under SQLite's parameter limit


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int


class TelemetryRefused(ValueError):
    """A batch refused whole; `code` is the API error code."""

    code = "invalid"


class InvalidPoint(TelemetryRefused):
    """A bad point: `index` (0-based) in the batch, `field` of the point, the `metric` name."""

    def __init__(self, reason: str, *, index: int, field: str, metric: str):
        self.reason, self.index, self.field, self.metric = reason, index, field, metric
        super().__init__(f"points[{index}].{field}: {reason}")


class BatchTooLarge(TelemetryRefused):
    code = "request too large"


class TooManyMetrics(TelemetryRefused):
    """The batch would give its integration more metrics or series than the limits allow."""

    code = "too many metrics"


class IntegrationPaused(TelemetryRefused):
    code = "paused"

    def __init__(self, integration: Integration):
        super().__init__(f"integration {integration.pk} is paused: it accepts no data")


def telemetry_ingest(*, integration: Integration, points: Sequence[Point], now: datetime):
    """Store a batch all or nothing; returns how many points were new and how many repeats.

    Raises `TelemetryRefused` (stores nothing): `InvalidPoint` for NaN or infinite values,
    timestamps before 2000 or more than 10 minutes after `now`, bad metric names or labels;
    `BatchTooLarge`; `TooManyMetrics`; `IntegrationPaused`.
    """
    return telemetry_ingest_many(batches=[(integration, points)], now=now)


def telemetry_ingest_many(
    *, batches: Sequence[tuple[Integration, Sequence[Point]]], now: datetime
) -> IngestResult:
    """Several integrations' batches in one write (MQTT's), all or nothing, as one would be.

    At most TELEMETRY_MAX_POINTS points in all; the first refused batch refuses the lot.
    """
    checked = []
    for integration, points in batches:
        if integration.paused:
            raise IntegrationPaused(integration)
        if not _validate(points, now):
            points = [point._replace(value=float(point.value)) for point in points]
        checked.append((integration, points))
    total = sum(len(points) for _, points in checked)
    if total > conf.max_points():
        raise BatchTooLarge(
            f"{total} points in one batch; at most {conf.max_points()} are accepted"
        )
    return _store(checked, now)


def telemetry_ingest_partial(
    *, integration: Integration, groups: Sequence[Sequence[Point]], now: datetime
) -> tuple[IngestResult, dict[int, InvalidPoint]]:
    """InfluxDB's partial write: store every group (a line's points) whose points are all valid.

    Returns what was stored and, for each refused group's index, its first bad point (its
    `index` within the group). The limits still refuse the lot: `BatchTooLarge`,
    `TooManyMetrics`, `IntegrationPaused`.
    """
    if integration.paused:
        raise IntegrationPaused(integration)
    refused: dict[int, InvalidPoint] = {}
    good: list[Point] = []
    for index, points in enumerate(groups):
        try:
            all_floats = _validate(points, now)
        except InvalidPoint as invalid:
            refused[index] = invalid
            continue
        good.extend(points if all_floats else [p._replace(value=float(p.value)) for p in points])
    limit = conf.max_points()
    if len(good) > limit:
        raise BatchTooLarge(f"{len(good)} points in one batch; at most {limit} are accepted")
    return _store([(integration, good)], now), refused


def point_problem(point: Point, *, now: datetime) -> InvalidPoint | None:
    """Why `telemetry_ingest` would refuse this one point, or None: for callers that store a
    message's good values and skip its bad ones (the Sparkplug host)."""
    try:
        _validate([point], now)
    except InvalidPoint as invalid:
        return invalid
    return None


def telemetry_ping(*, integration: Integration, now: datetime, failed: bool = False):
    """Record a heartbeat ("I ran", or "I failed" when `failed`) at `now`."""
    if integration.paused:
        raise IntegrationPaused(integration)
    point = Point(PING_METRIC, (), now, 0.0 if failed else 1.0)
    with transaction.atomic():
        result = _store([(integration, [point])], now)
        if failed:
            Integration.objects.filter(pk=integration.pk).update(last_failed=now)
            integration.last_failed = now
    return result


def _store(batches: list[tuple[Integration, Sequence[Point]]], now) -> IngestResult:
    total = sum(len(points) for _, points in batches)
    if not total:
        return IngestResult(0, 0)
    integrations = {integration.pk: integration for integration, _ in batches}
    with transaction.atomic():
        keys = {(i.pk, p[0], p[1]) for i, points in batches for p in points}
        series_ids = _series_ids(integrations, keys, now)
        codes = QUALITY_CODES
        rows = [
            (series_ids[i.pk, p[0], p[1]], p[2], p[3], codes.get(p[4]))
            for i, points in batches
            for p in points
        ]
        accepted, _ = storage.points_write(rows, now=now)
        if accepted:
            # The newest point sent: a repeat of it was stored before and moved last_seen then.
            newest = {}
            for integration, points in batches:
                if points:
                    newest[integration.pk] = min(max(p[2] for p in points), now)
            _note_seen(integrations, newest)
    return IngestResult(accepted, total - accepted)


def _note_seen(integrations: dict, newest: dict) -> None:
    """Move each integration's last_seen forward to its newest point, in one UPDATE."""
    pk_field, seen_field = Integration._meta.pk, Integration._meta.get_field("last_seen")
    pairs = sorted(newest.items())
    params = [
        value
        for pk, ts in pairs
        for value in (
            pk_field.get_db_prep_value(pk, connection),
            seen_field.get_db_prep_value(ts, connection),
        )
    ]
    # Conditional, so a late batch of old points never moves last_seen back.
    first = "(%s::uuid, %s::timestamptz)" if connection.vendor == "postgresql" else "(%s, %s)"
    values = ", ".join([first] + ["(%s, %s)"] * (len(pairs) - 1))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Integration._meta.db_table} AS i SET last_seen = v.ts "
            f"FROM (SELECT column1 AS id, column2 AS ts FROM (VALUES {values}) AS t) AS v "
            "WHERE i.id = v.id AND (i.last_seen IS NULL OR i.last_seen < v.ts)",
            params,
        )
    for pk, ts in pairs:
        integration = integrations[pk]
        if integration.last_seen is None or integration.last_seen < ts:
            integration.last_seen = ts


# Validation


def _validate(points: Sequence[Point], now: datetime) -> bool:
    """Raise for the first bad point; returns whether every value is already a float."""
    limit = conf.max_points()
    if len(points) > limit:
        raise BatchTooLarge(f"{len(points)} points in one batch; at most {limit} are accepted")
    latest = now + FUTURE_LIMIT
    all_floats = True
    first_seen: dict[tuple, int] = {}
    for index, (metric, labels, ts, value, _quality) in enumerate(points):
        key = (metric, labels)
        if key not in first_seen:
            first_seen[key] = index
        if type(value) is not float:
            _check_number(value, index, metric)
            all_floats = False
        elif not _FINITE_MIN < value < _FINITE_MAX:  # also False for NaN
            raise InvalidPoint("is not a finite number", index=index, field="value", metric=metric)
        if not EARLIEST <= ts <= latest:
            _refuse_ts(ts, now, index, metric)
    for (metric, labels), index in first_seen.items():
        _check_metric(metric, index)
        _check_labels(labels, index, metric)
    return all_floats


def _check_number(value, index: int, metric: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidPoint("must be a number", index=index, field="value", metric=metric)
    try:
        finite = math.isfinite(value)
    except OverflowError:
        finite = False
    if not finite:
        raise InvalidPoint("is not a finite number", index=index, field="value", metric=metric)


def _refuse_ts(ts: datetime, now: datetime, index: int, metric: str) -> None:
    shown = ts.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if ts < EARLIEST:
        reason = f"{shown} is before 2000-01-01"
    else:
        reason = f"{shown} is more than 10 minutes in the future"
    raise InvalidPoint(reason, index=index, field="ts", metric=metric)


def _check_metric(metric, index: int) -> None:
    def refuse(reason):
        raise InvalidPoint(reason, index=index, field="metric", metric=str(metric))

    if not isinstance(metric, str):
        refuse("must be a string")
    if not metric:
        refuse("is empty")
    if len(metric) > Metric.MAX_NAME_LENGTH:
        refuse(f"'{_shown(metric)}' is longer than {Metric.MAX_NAME_LENGTH} characters")
    if metric.startswith(RESERVED_PREFIX):
        refuse(f"'{_shown(metric)}' starts with '{RESERVED_PREFIX}', kept for Ladder's own metrics")
    if not metric.isprintable() or metric.strip() != metric:
        refuse(f"'{_shown(metric)}' has control characters or leading or trailing spaces")


def _check_labels(labels, index: int, metric: str) -> None:
    def refuse(reason):
        raise InvalidPoint(reason, index=index, field="labels", metric=metric)

    if len(labels) > MAX_LABELS:
        refuse(f"{len(labels)} labels; at most {MAX_LABELS}")
    for pair in labels:
        if len(pair) != 2 or not all(isinstance(part, str) for part in pair):
            refuse("must be pairs of strings")
        key, value = pair
        if not key:
            refuse("a label has an empty name")
        if len(key) > MAX_LABEL_KEY:
            refuse(f"label name '{_shown(key)}' is longer than {MAX_LABEL_KEY} characters")
        if len(value) > MAX_LABEL_VALUE:
            refuse(f"value of label '{_shown(key)}' is longer than {MAX_LABEL_VALUE} characters")
    if len(labels_text(labels)) > MAX_LABELS_TEXT:
        refuse(f"labels take more than {MAX_LABELS_TEXT} characters as JSON")


def labels_text(labels) -> str:
    """The canonical JSON of labels (pairs or a dict): sorted keys, no spaces."""
    pairs = labels.items() if isinstance(labels, dict) else labels
    return orjson.dumps(dict(sorted(pairs))).decode()


def _shown(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


# Series


def _series_ids(integrations: dict, keys: set[tuple], now) -> dict[tuple, int]:
    """(integration id, metric, labels) -> series id; metrics and series seen for the first
    time are created."""
    texts = {key: (key[0], key[1], labels_text(key[2])) for key in keys}
    wanted = set(texts.values())
    found = _existing_series(wanted)
    missing = wanted - found.keys()
    new_by_integration: dict = {}
    for integration_id, name, text in missing:
        new_by_integration.setdefault(integration_id, set()).add((name, text))
    for integration_id, new in sorted(new_by_integration.items()):
        integration = integrations[integration_id]
        _refuse_over_limit(
            "series", len(new), Series.objects.filter(metric__integration=integration),
            conf.max_series(), "TELEMETRY_MAX_SERIES",
        )  # fmt: skip
        metric_ids = _metric_ids(integration, {name for name, _ in new}, now)
        # ignore_conflicts: another writer may create the same series at the same time.
        Series.objects.bulk_create(
            [Series(metric_id=metric_ids[name], labels=text) for name, text in sorted(new)],
            ignore_conflicts=True,
        )
    if missing:
        found |= _existing_series(missing)
    return {key: found[text] for key, text in texts.items()}


def _existing_series(wanted: set[tuple]) -> dict[tuple, int]:
    """(integration id, metric, labels text) -> series id, for those of `wanted` stored."""
    found = {}
    for chunk in _chunks(sorted(wanted), _IN_CHUNK):
        rows = Series.objects.filter(
            metric__integration__in={integration_id for integration_id, _, _ in chunk},
            metric__name__in={name for _, name, _ in chunk},
            labels__in={text for _, _, text in chunk},
        ).values_list("metric__integration_id", "metric__name", "labels", "id")
        found.update({row[:3]: row[3] for row in rows if row[:3] in wanted})
    return found


def _metric_ids(integration, names: set[str], now) -> dict[str, int]:
    def existing():
        ids = {}
        for chunk in _chunks(sorted(names), _IN_CHUNK):
            rows = Metric.objects.filter(integration=integration, name__in=chunk)
            ids.update(rows.values_list("name", "id"))
        return ids

    ids = existing()
    new = names - ids.keys()
    if new:
        _refuse_over_limit(
            "metrics", len(new), integration.metrics.all(), conf.max_metrics(),
            "TELEMETRY_MAX_METRICS", sorted(new),
        )  # fmt: skip
        Metric.objects.bulk_create(
            [Metric(integration=integration, name=name, created=now) for name in sorted(new)],
            ignore_conflicts=True,
        )
        ids = existing()
    return ids


def _refuse_over_limit(what, adding, queryset, limit, setting, names=()):
    """TooManyMetrics when `adding` more rows to `queryset` would pass `limit`."""
    have = queryset.count()
    if have + adding > limit:
        shown = f": {', '.join(names[:5])}{'…' if len(names) > 5 else ''}" if names else ""
        raise TooManyMetrics(
            f"the integration has {have} {what} and this batch adds {adding}{shown}; "
            f"at most {limit} are allowed ({setting})"
        )


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
