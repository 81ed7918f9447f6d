"""Reading telemetry back: a metric's raw points or rollups, and the figures health needs.

Charts read rollups (a 30-day chart is 720 hourly rows per series), never long runs of raw
points. Windows are half-open, [start, end).
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from django.db import connection
from django.db.models import Q, Sum

from integration import conf, health
from integration.models import (
    PING_METRIC,
    RESERVED_PREFIX,
    HourRollup,
    MinuteRollup,
    Point,
    SeenMinutes,
    Series,
)
from integration.services.sqltime import MICROS, db_time, read_time

__all__ = [
    "STEPS",
    "SeriesRefused",
    "TooManyRows",
    "UnknownMetric",
    "telemetry_good_shares",
    "telemetry_metrics",
    "telemetry_recent_good_shares",
    "telemetry_ping_counts",
    "telemetry_seen_buckets",
    "telemetry_uptime",
    "telemetry_uptimes",
    "telemetry_series",
]

STEPS = {"raw": None, "1m": MinuteRollup, "1h": HourRollup}


class SeriesRefused(ValueError):
    """A read that cannot be answered as asked."""


class UnknownMetric(SeriesRefused):
    pass


class TooManyRows(SeriesRefused):
    pass


def telemetry_series(
    *,
    integration,
    metric: str,
    start: datetime,
    end: datetime,
    step: str = "raw",
    labels: dict[str, str] | None = None,
    with_labels: bool = False,
) -> list[tuple]:
    """`metric`'s rows in [start, end), oldest first.

    `raw`: (ts, value); `1m` / `1h`: (bucket start, count, min, max, avg), buckets that start
    in the window (the first one from `start` rounded down). When several series match (other
    labels), raw points are merged and rollups combined per bucket; `labels` narrows to the
    series having all those labels. Raises `UnknownMetric`, `TooManyRows` (over
    TELEMETRY_READ_MAX_POINTS) or `SeriesRefused` for a bad step or window.

    `with_labels` appends each row's labels (a dict): a raw point's series' labels; for a
    rollup bucket, the labels every matching series shares (one series: all of its labels).
    """
    if step not in STEPS:
        raise SeriesRefused(f"step must be one of {', '.join(STEPS)}, not '{step}'")
    if end <= start:
        raise SeriesRefused("end must be after start")
    series_labels = _series_labels(integration, metric, labels or {})
    series_ids = list(series_labels)
    limit = conf.read_max_points()
    model = STEPS[step]
    if model is None:
        rows = list(
            Point.objects.filter(series_id__in=series_ids, ts__gte=start, ts__lt=end)
            .order_by("ts", "series_id")
            .values_list("ts", "value", "series_id")[: limit + 1]
        )
        if with_labels:
            rows = [(ts, value, series_labels[pk]) for ts, value, pk in rows]
        else:
            rows = [(ts, value) for ts, value, _ in rows]
    else:
        rows = _rollups(model, series_ids, _floor(start, model), end, limit + 1)
        if with_labels:
            shared = _shared(series_labels.values())
            rows = [(*row, shared) for row in rows]
    if len(rows) > limit:
        raise TooManyRows(
            f"more than {limit} rows in this window: narrow start and end or use a coarser step"
        )
    return rows


# A metric's buckets, its series combined. Plain SQL: a 24-hour chart reads 1,440 rows, and
# the ORM's converters and psycopg's timestamp text took 12 of the page's ms (`sqltime`).
_ROLLUPS = """
SELECT {time[0]}bucket{time[1]}, CAST(sum(count) AS BIGINT), min(min), max(max), sum(sum)
FROM {table}
WHERE series_id IN ({series}) AND bucket >= %(low)s AND bucket < %(high)s
GROUP BY bucket
ORDER BY bucket
LIMIT %(limit)s"""


def _rollups(model, series_ids: list, low: datetime, high: datetime, limit: int) -> list[tuple]:
    """(bucket start, count, min, max, average) of the `series_ids` combined per bucket of
    `model` in [low, high), oldest first, at most `limit`."""
    if not series_ids:
        return []
    vendor = connection.vendor
    sqlite = vendor == "sqlite"
    ids = {f"s{n}": pk for n, pk in enumerate(series_ids)}
    sql = _ROLLUPS.format(
        time=MICROS[vendor],
        table=model._meta.db_table,
        series=", ".join(f"%({name})s" for name in ids),
    )
    params = {**ids, "low": db_time(low, sqlite), "high": db_time(high, sqlite), "limit": limit}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    time = read_time(vendor)
    return [(time(at), count, lo, hi, total / count) for at, count, lo, hi, total in rows]


def _series_labels(integration, metric: str, labels: dict[str, str]) -> dict[int, dict]:
    """{series id: its labels} of `metric`'s series having all of `labels`."""
    candidates = Series.objects.filter(metric__integration=integration, metric__name=metric)
    found = list(candidates.values_list("id", "labels"))
    if not found:
        raise UnknownMetric(f"integration has no metric '{metric}'")
    wanted = labels.items()
    parsed = ((pk, orjson.loads(text)) for pk, text in found)
    return {pk: have for pk, have in parsed if wanted <= have.items()}


def _shared(label_sets) -> dict[str, str]:
    """The labels (name and value) every one of `label_sets` has."""
    sets = [set(labels.items()) for labels in label_sets]
    return dict(sorted(set.intersection(*sets))) if sets else {}


def telemetry_metrics(*, integration, max_values: int = 100, max_keys: int = 50) -> list[dict]:
    """Each metric of `integration` (not Ladder's own) with its unit, number of series and the
    label values seen per label name, sorted: at most `max_keys` names and `max_values` values
    each; `truncated` says whether any were left out. Two queries; bounded by the caps on
    metrics and series per integration."""
    metrics = [
        m for m in integration.metrics.order_by("name") if not m.name.startswith(RESERVED_PREFIX)
    ]
    seen: dict[int, list[dict]] = {m.pk: [] for m in metrics}
    for metric_id, text in Series.objects.filter(metric__in=metrics).values_list(
        "metric_id", "labels"
    ):
        seen[metric_id].append(orjson.loads(text))
    answer = []
    for metric in metrics:
        values: dict[str, set[str]] = {}
        for labels in seen[metric.pk]:
            for key, value in labels.items():
                values.setdefault(key, set()).add(value)
        keys = sorted(values)[:max_keys]
        truncated = len(values) > max_keys or any(len(values[k]) > max_values for k in keys)
        answer.append(
            {
                "name": metric.name,
                "unit": metric.unit,
                "series": len(seen[metric.pk]),
                "labels": {key: sorted(values[key])[:max_values] for key in keys},
                "truncated": truncated,
            }
        )
    return answer


def _floor(ts: datetime, model) -> datetime:
    ts = ts.astimezone(UTC).replace(second=0, microsecond=0)
    return ts.replace(minute=0) if model is HourRollup else ts


def telemetry_seen_buckets(*, integration, start: datetime, end: datetime) -> list[datetime]:
    """Starts of the minutes in [start, end) with any point or ping, oldest first.

    Feeds `health.uptime` (buckets no wider than the interval, which is at least a minute).
    """
    return list(
        MinuteRollup.objects.filter(
            series__metric__integration=integration, bucket__gte=_floor(start, MinuteRollup)
        )
        .filter(bucket__lt=end)
        .values_list("bucket", flat=True)
        .distinct()
        .order_by("bucket")
    )


def telemetry_uptime(*, integration, windows: dict, now: datetime) -> dict:
    """`health.uptime` of each named window (key -> its length before `now`), from one query
    of the integration's `SeenMinutes`."""
    slots = {
        key: health.uptime_slots(
            interval=integration.interval,
            window_start=now - length,
            window_end=now,
            created=integration.created,
        )
        for key, length in windows.items()
    }
    figures = dict.fromkeys(windows)
    if not any(slots.values()):
        return figures
    earliest = min(slot[0] for slot in slots.values() if slot)
    hours = _seen_hours([integration.pk], earliest, now)[integration.pk]
    interval = integration.interval_seconds
    for key, slot in slots.items():
        if slot:
            start, expected = slot
            covered = _covered(hours, _ceil_second(start), interval, expected)
            figures[key] = covered / expected
    return figures


def telemetry_uptimes(*, integrations, window, now: datetime) -> dict:
    """Integration id -> `health.uptime` over the `window` before `now`, for a page of
    integrations in one query of their `SeenMinutes` (None where no interval is complete)."""
    integrations = list(integrations)
    slots = {
        one.pk: health.uptime_slots(
            interval=one.interval, window_start=now - window, window_end=now, created=one.created
        )
        for one in integrations
    }
    counted = [pk for pk, slot in slots.items() if slot]
    if not counted:
        return dict.fromkeys(slots)
    hours = _seen_hours(counted, now - window, now)
    figures = dict.fromkeys(slots)
    for one in integrations:
        if slot := slots[one.pk]:
            start, expected = slot
            interval = one.interval_seconds
            covered = _covered(hours[one.pk], _ceil_second(start), interval, expected)
            figures[one.pk] = covered / expected
    return figures


def _seen_hours(pks: list, start: datetime, end: datetime) -> dict:
    """Integration id -> [(hour in seconds since 1970, its minutes' bits)] in hour order, for
    the hours overlapping [start, end)."""
    rows = (
        SeenMinutes.objects.filter(
            integration__in=pks, hour__gte=_floor(start, HourRollup), hour__lt=end
        )
        .order_by("integration", "hour")
        .values_list("integration", "hour", "minutes")
    )
    hours = {pk: [] for pk in pks}
    for pk, hour, bits in rows:
        hours[pk].append((int(hour.timestamp()), bits))
    return hours


def _ceil_second(moment: datetime) -> int:
    """`moment` in seconds since 1970, rounded up to a whole second (exactly: no float)."""
    return int(moment.replace(microsecond=0).timestamp()) + (moment.microsecond > 0)


def _covered(hours: list, first: int, interval: int, expected: int) -> int:
    """How many of `expected` intervals of `interval` seconds laid from `first` (seconds since
    1970, the intervals half-open) hold a minute that had data, a minute counting in the
    interval it starts in: `health.uptime` over one timestamp a minute. (The intervals end at
    most at `now` rounded up to a second, so a minute from `now` on counts in none.)

    `hours` are (hour, bits) in hour order, bit m for the minute starting at hour + 60 m.
    Intervals of a minute or less: each minute is its own interval, so the bits are counted.
    Longer ones: an hour with every minute set covers each interval from its first minute's
    to its last's (an interval is longer than the minute between them); in any other hour,
    the first minute left gives its interval, and the bits of that interval's minutes are
    dropped. Linear in the hours plus the intervals covered in partly set hours.
    """
    end = first + expected * interval
    covered, last = 0, -1  # `last`: the index of the last interval counted
    for hour, bits in hours:
        low = max(0, _minutes_to(first - hour))  # the first minute starting at or after `first`
        high = min(60, _minutes_to(end - hour))  # the first minute starting at or after `end`
        if low >= high:
            continue
        every = (1 << high) - (1 << low)
        bits &= every
        if interval <= 60:
            covered += bits.bit_count()
            continue
        if bits == every:  # each interval from the first minute's to the last's holds one
            start = (hour + 60 * low - first) // interval
            stop = (hour + 60 * (high - 1) - first) // interval
            covered += stop - start + 1
            if start == last:  # counted already, from the hour before
                covered -= 1
            last = stop
            continue
        while bits:
            minute = (bits & -bits).bit_length() - 1
            index = (hour + 60 * minute - first) // interval
            if index != last:
                covered, last = covered + 1, index
            after = _minutes_to(first + (index + 1) * interval - hour)  # the next interval's
            if after >= 60:
                break
            bits = bits >> after << after  # its minutes dropped
    return covered


def _minutes_to(seconds: int) -> int:
    """Whole minutes from an hour's start to the first minute starting at or after `seconds`
    past it (negative before the hour)."""
    return -(-seconds // 60)


def telemetry_ping_counts(*, integration, start: datetime, end: datetime) -> tuple[int, int]:
    """(ok, failed) heartbeats in the minutes of [start, end), for `health.error_rate`."""
    totals = MinuteRollup.objects.filter(
        series__metric__integration=integration,
        series__metric__name=PING_METRIC,
        bucket__gte=_floor(start, MinuteRollup),
        bucket__lt=end,
    ).aggregate(count=Sum("count"), ok=Sum("sum"))
    count, ok = totals["count"] or 0, round(totals["ok"] or 0)
    return ok, count - ok


def telemetry_good_shares(*, integration, windows: dict, now: datetime) -> dict:
    """`health.good_share` of the readings (heartbeats aside) in each named window (key -> its
    length before `now`), from the hour rollups in one query; None where there were none."""
    sums = {}
    for key, length in windows.items():
        inside = Q(bucket__gte=_floor(now - length, HourRollup))
        for column in ("count", "uncertain", "bad"):
            sums[f"{key}_{column}"] = Sum(column, filter=inside)
    rows = (
        HourRollup.objects.filter(
            series__metric__integration=integration,
            bucket__gte=_floor(now - max(windows.values()), HourRollup),
            bucket__lt=now,
        )
        .exclude(series__metric__name=PING_METRIC)
        .aggregate(**sums)
    )
    return {
        key: health.good_share(
            total=rows[f"{key}_count"] or 0,
            uncertain=rows[f"{key}_uncertain"] or 0,
            bad=rows[f"{key}_bad"] or 0,
        )
        for key in windows
    }


def telemetry_recent_good_shares(*, integrations, now: datetime) -> dict:
    """Integration id -> `health.good_share` of its readings within its `quality_window`
    before `now` (minute rollups, heartbeats aside), None when it sent none; one query per
    distinct window length."""
    by_window: dict = {}
    for integration in integrations:
        by_window.setdefault(integration.quality_window, []).append(integration.pk)
    shares = dict.fromkeys((pk for pks in by_window.values() for pk in pks), None)
    for window, pks in by_window.items():
        rows = (
            MinuteRollup.objects.filter(
                series__metric__integration__in=pks,
                bucket__gte=_floor(now - window, MinuteRollup),
                bucket__lte=now,
            )
            .exclude(series__metric__name=PING_METRIC)
            .values_list("series__metric__integration_id")
            .annotate(Sum("count"), Sum("uncertain"), Sum("bad"))
            .order_by()
        )
        for pk, total, uncertain, bad in rows:
            shares[pk] = health.good_share(total=total, uncertain=uncertain, bad=bad)
    return shares
