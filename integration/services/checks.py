"""Measuring checks on live data: rollups read here, judged by `integration.checks`.

Each integration's buckets are read in one query per resolution: minute rollups where a check
needs them (a window of a day or less, or uptime with an interval under an hour) and they are
kept (`conf.minute_rollup_retention_days`), hour rollups for the rest of the window. The series
of the metric are combined per bucket in Python (most metrics have one series).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime, timedelta

from integration import conf
from integration.checks import Bucket, Check, Measurement, measure
from integration.models import PING_METRIC, HourRollup, Integration, MinuteRollup

__all__ = ["check_measure"]

COLUMNS = (
    *("bucket", "count", "min", "max", "sum", "last", "last_ts"),
    *("first_arrival", "last_arrival"),
)
CHECK_FIELDS = {f.name for f in fields(Check)} - {"kind"}
FINE = timedelta(days=1)  # windows up to a day are read by the minute


def check_measure(
    *,
    kind: str,
    integrations: Sequence[Integration],
    params: dict,
    window_end: datetime,
    as_of: datetime,
    now: datetime | None = None,
) -> Measurement:
    """Judge a check of `kind` over the `params["window"]` before `window_end`, on what had
    arrived by `as_of`. `params`: the `Check` fields and `metric` (the value kinds need one;
    heartbeat reads `_ping`; freshness and uptime read every metric unless given). `now`
    (default `as_of`) dates the minute rollups' retention."""
    if not integrations:
        return Measurement(None, None, "no integration bound")
    check = _check(kind, integrations[0], params)
    metric = _metric(kind, params)
    if metric is _MISSING:
        return Measurement(None, None, "no metric bound")
    start = window_end - check.window
    parts = _resolutions(check, start, window_end, now or as_of)
    rows = [_buckets(integration, metric, parts) for integration in integrations]
    return measure(
        check,
        rows,
        end=window_end,
        as_of=as_of,
        created=[integration.created for integration in integrations],
    )


_MISSING = object()


def _check(kind: str, integration: Integration, params: dict) -> Check:
    values = {k: v for k, v in params.items() if k in CHECK_FIELDS}
    values.setdefault("interval", integration.interval)
    return Check(kind=kind, **values)


def _metric(kind: str, params: dict):
    if kind == "heartbeat":
        return PING_METRIC
    metric = params.get("metric")
    if kind in ("aggregate", "variation") and not metric:
        return _MISSING
    return metric


def _resolutions(check: Check, start, end, now) -> list[tuple[type, datetime, datetime]]:
    """(model, from, to) pieces covering [start, end): minutes where needed and kept."""
    fine = check.window <= FINE or (
        check.kind in ("uptime", "both_directions") and check.interval < timedelta(hours=1)
    )
    if not fine:
        return [(HourRollup, start, end)]
    kept = now - timedelta(days=conf.minute_rollup_retention_days())
    boundary = _ceil_hour(kept)
    if boundary <= start:
        return [(MinuteRollup, start, end)]
    if boundary >= end:
        return [(HourRollup, start, end)]
    return [(HourRollup, start, boundary), (MinuteRollup, boundary, end)]


def _ceil_hour(ts: datetime) -> datetime:
    floor = ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return floor if floor == ts else floor + timedelta(hours=1)


def _buckets(integration, metric, parts) -> list[Bucket]:
    buckets: list[Bucket] = []
    for model, low, high in parts:
        rows = model.objects.filter(
            series__metric__integration=integration, bucket__gte=low, bucket__lt=high
        )
        if metric:
            rows = rows.filter(series__metric__name=metric)
        combined: dict[datetime, list] = {}
        for row in rows.values_list(*COLUMNS).order_by():
            current = combined.get(row[0])
            if current is None:
                combined[row[0]] = list(row)
            else:
                _combine(current, row)
        step = model.STEP
        buckets.extend(Bucket(b[0], step, *b[1:]) for b in combined.values())
    return buckets


def _combine(acc: list, row) -> None:
    """Fold another series' bucket into `acc` (the COLUMNS of one bucket)."""
    _, count, low, high, total, last, last_ts, first, latest = row
    acc[1] += count
    acc[2] = min(acc[2], low)
    acc[3] = max(acc[3], high)
    acc[4] += total
    if last_ts > acc[6]:
        acc[5], acc[6] = last, last_ts
    acc[7] = _earliest(acc[7] or acc[0], first or row[0])
    acc[8] = max(acc[8] or acc[0], latest or row[0])


def _earliest(a: datetime, b: datetime) -> datetime:
    return a if a <= b else b
