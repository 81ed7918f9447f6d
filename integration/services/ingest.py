"""The one way telemetry gets in: HTTP (line protocol, JSON, pings) and MQTT all end here.

A batch is validated whole, then stored in one transaction with its rollups: a refused batch
stores nothing, a point already stored (same series and timestamp) is skipped and counted as a
duplicate, so clients can retry safely.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain, repeat

from django.db import connection, transaction

from integration import conf
from integration.lineprotocol import Point
from integration.models import (
    PING_METRIC,
    QUALITY_CODES,
    RESERVED_PREFIX,
    Integration,
    Metric,
)
from integration.services import storage
from integration.services.seriesids import IngestCache, OverLimit, labels_text, series_ids

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
# Values are stored as float8 and summed into minute and hour rollups, where PostgreSQL
# refuses a sum past float8's range (±1.8e308): two values of 1e308 in one hour failed a whole
# batch. Within ±1e300, a sum overflows only past 1e8 values in one series' hour.
MAX_VALUE = 1e300
_FINITE_MIN, _FINITE_MAX = -MAX_VALUE, MAX_VALUE
_MAX_SHOWN = 40


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


def telemetry_ingest(
    *,
    integration: Integration,
    points: Sequence[Point],
    now: datetime,
    cache: IngestCache | None = None,
):
    """Store a batch all or nothing; returns how many points were new and how many repeats.

    Raises `TelemetryRefused` (stores nothing): `InvalidPoint` for NaN or infinite values,
    timestamps before 2000 or more than 10 minutes after `now`, bad metric names or labels;
    `BatchTooLarge`; `TooManyMetrics`; `IntegrationPaused`.
    """
    return telemetry_ingest_many(batches=[(integration, points)], now=now, cache=cache)


def telemetry_ingest_many(
    *,
    batches: Sequence[tuple[Integration, Sequence[Point]]],
    now: datetime,
    cache: IngestCache | None = None,
) -> IngestResult:
    """Several integrations' batches in one write (MQTT's), all or nothing, as one would be.

    At most TELEMETRY_MAX_POINTS points in all. A paused integration refuses the lot first;
    then the first batch with a bad point does, named as that batch alone would name it.
    `cache`: series ids remembered across calls by a long-running writer (see `IngestCache`).
    """
    for integration, _ in batches:
        if integration.paused:
            raise IntegrationPaused(integration)
    if len(batches) == 1:
        points = batches[0][1]
    else:
        # Checked together (a batch over 1,000 integrations paid the checks' fixed cost 1,000
        # times); only a refusal checks them one by one, to name the batch and point as alone.
        points = [point for _, batch in batches for point in batch]
    try:
        all_floats = _validate(points, now)
    except TelemetryRefused:
        if len(batches) == 1:
            raise
        for _, batch in batches:
            _validate(batch, now)
        raise
    if not all_floats:
        points = [point._replace(value=float(point.value)) for point in points]
    owners = [(integration, len(batch)) for integration, batch in batches]
    return _store(owners, points, now, cache)


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
    return _store([(integration, len(good))], good, now), refused


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
        result = _store([(integration, 1)], [point], now)
        if failed:
            Integration.objects.filter(pk=integration.pk).update(last_failed=now)
            integration.last_failed = now
    return result


def _store(owners: list[tuple[Integration, int]], points: Sequence[Point], now, cache=None):
    """Store validated points: `owners` are the integrations with how many of the points, in
    order, are each one's (an integration may come more than once)."""
    if not points:
        return IngestResult(0, 0)
    integrations = {integration.pk: integration for integration, _ in owners}
    # Column-wise, in built-ins, for all integrations at once: a Python loop per point cost
    # 1.3 ms a 5,000-point batch, one per integration 5 ms a batch over 1,000 integrations.
    metrics, labels, times, values, qualities = zip(*points, strict=True)
    # Keyed by the owner's position: a UUID hashes in Python, so once per key, not per point.
    point_keys = list(zip(_positions(owners, len(points)), metrics, labels, strict=True))
    wanted = dict.fromkeys(point_keys)
    with transaction.atomic():
        keys = {(owners[n][0].pk, metric, pair_labels) for n, metric, pair_labels in wanted}
        try:
            ids = series_ids(integrations, keys, now, cache)
        except OverLimit as over:
            raise TooManyMetrics(str(over)) from None
        for key in wanted:
            wanted[key] = ids[owners[key[0]][0].pk, key[1], key[2]]
        series = map(wanted.__getitem__, point_keys)
        graded = qualities.count(None) != len(qualities)
        codes = map(QUALITY_CODES.get, qualities) if graded else repeat(None, len(qualities))
        rows = list(zip(series, times, values, codes, strict=True))
        accepted, _ = storage.points_write(rows, now=now)
        if accepted:
            _note_seen(integrations, _newest(owners, times, now))
    return IngestResult(accepted, len(points) - accepted)


def _positions(owners: list[tuple[Integration, int]], total: int):
    """Each point's owner's position in `owners`."""
    if len(owners) == 1:
        return repeat(0, total)
    return chain.from_iterable(repeat(n, count) for n, (_, count) in enumerate(owners))


def _newest(owners: list[tuple[Integration, int]], times: tuple, now) -> dict:
    """Integration id -> its newest point's time, at most `now`: a repeat of it was stored
    before and moved last_seen then."""
    newest: dict = {}
    start = 0
    for integration, count in owners:
        if count:
            latest = min(max(times[start : start + count]), now)
            pk = integration.pk
            newest[pk] = max(newest.get(pk, latest), latest)
        start += count
    return newest


def _note_seen(integrations: dict, newest: dict) -> None:
    """Move each integration's last_seen forward to its newest point, in one UPDATE."""
    pairs = sorted(newest.items(), key=_id_order)  # one lock order for every writer
    if connection.vendor == "postgresql":
        # Two arrays, each sent as one text the server parses: a fixed statement (psycopg
        # parses placeholders on the client, per text), and no array adapted item by item in
        # Python (UUIDs and times: 2 ms a batch over 1,000 integrations).
        values = "unnest(%s::uuid[], %s::timestamptz[]) AS v (id, ts)"
        params = [
            "{" + ",".join([str(pk) for pk, _ in pairs]) + "}",
            "{" + ",".join([ts.isoformat() for _, ts in pairs]) + "}",
        ]
    else:
        pk_field, seen_field = Integration._meta.pk, Integration._meta.get_field("last_seen")
        rows = ", ".join(["(%s, %s)"] * len(pairs))
        values = f"(SELECT column1 AS id, column2 AS ts FROM (VALUES {rows})) AS v"
        params = [
            value
            for pk, ts in pairs
            for value in (
                pk_field.get_db_prep_value(pk, connection),
                seen_field.get_db_prep_value(ts, connection),
            )
        ]
    # Conditional, so a late batch of old points never moves last_seen back.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Integration._meta.db_table} AS i SET last_seen = v.ts FROM {values} "
            "WHERE i.id = v.id AND (i.last_seen IS NULL OR i.last_seen < v.ts)",
            params,
        )
    for pk, ts in pairs:
        integration = integrations[pk]
        if integration.last_seen is None or integration.last_seen < ts:
            integration.last_seen = ts


def _id_order(item: tuple) -> int:
    return item[0].int  # a UUID's order, without its comparison methods (Python)


# Validation


def _validate(points: Sequence[Point], now: datetime) -> bool:
    """Raise for the first bad point; returns whether every value is already a float.

    Checked column-wise with built-ins (a sum is finite only if every value is, the range of
    the times is that of their min and max), and point by point only when that finds a problem,
    to name the first bad point as a loop would.
    """
    limit = conf.max_points()
    if len(points) > limit:
        raise BatchTooLarge(f"{len(points)} points in one batch; at most {limit} are accepted")
    if not points:
        return True
    metrics, labels, times, values, _ = zip(*points, strict=True)
    latest = now + FUTURE_LIMIT
    all_floats = set(map(type, values)) == {float}
    if not (
        all_floats
        and math.isfinite(sum(values))  # NaN and infinities (min and max skip a NaN)
        and min(values) >= _FINITE_MIN
        and max(values) <= _FINITE_MAX
        and min(times) >= EARLIEST
        and max(times) <= latest
    ):
        all_floats = _validate_each(points, now, latest)
    pairs = dict.fromkeys(zip(metrics, labels, strict=True))
    for key in pairs:
        if key in _CHECKED:
            continue
        metric, pair_labels = key
        try:
            _check_metric(metric, 0)
            _check_labels(pair_labels, 0, metric)
        except InvalidPoint as invalid:
            index = next(i for i, p in enumerate(points) if p[0] == metric and p[1] == pair_labels)
            raise InvalidPoint(
                invalid.reason, index=index, field=invalid.field, metric=invalid.metric
            ) from None
        if len(metric) + sum(len(k) + len(v) for k, v in pair_labels) <= _MAX_CHECKED_TEXT:
            if len(_CHECKED) >= _MAX_CHECKED:
                _CHECKED.clear()
            _CHECKED.add(key)
    return all_floats


def _validate_each(points: Sequence[Point], now: datetime, latest: datetime) -> bool:
    """Raise for the first point with a bad value or time; returns whether all are floats."""
    all_floats = True
    for index, (metric, _labels, ts, value, _quality) in enumerate(points):
        if type(value) is not float:
            _check_number(value, index, metric)
            all_floats = False
        elif not _FINITE_MIN <= value <= _FINITE_MAX:  # also False for NaN
            raise InvalidPoint(_out_of_range(value), index=index, field="value", metric=metric)
        if not EARLIEST <= ts <= latest:
            _refuse_ts(ts, now, index, metric)
    return all_floats


# (metric, labels) pairs that passed their checks: MQTT at breadth meets the same ones in every
# batch, one integration at a time. Bounded in memory whatever a client sends (a pair is
# remembered before the series limits refuse it): at most 10,000 pairs of at most 256
# characters (emptied when full), a few MB.
_CHECKED: set[tuple] = set()
_MAX_CHECKED = 10_000
_MAX_CHECKED_TEXT = 256


def _check_number(value, index: int, metric: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidPoint("must be a number", index=index, field="value", metric=metric)
    if not _FINITE_MIN <= value <= _FINITE_MAX:  # also False for NaN; ints compare exactly
        raise InvalidPoint(_out_of_range(value), index=index, field="value", metric=metric)


def _out_of_range(value) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "is not a finite number"
    if isinstance(value, int) and abs(value) > sys.float_info.max:  # no float can hold it
        return "is not a finite number"
    return f"is beyond ±{MAX_VALUE:g}: sums of such values overflow"


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


def _shown(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"
