"""Reading telemetry back: a metric's raw points or rollups, and the figures health needs.

Charts read rollups (a 30-day chart is 720 hourly rows per series), never long runs of raw
points. Windows are half-open, [start, end).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import orjson
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    Func,
    Max,
    Min,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Greatest
from django.db.models.lookups import GreaterThanOrEqual

from integration import conf, health
from integration.models import (
    PING_METRIC,
    RESERVED_PREFIX,
    HourRollup,
    MinuteRollup,
    Point,
    Series,
)

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
        first_bucket = _floor(start, model)
        rows = [
            (bucket, count, low, high, total / count)
            for bucket, count, low, high, total in model.objects.filter(
                series_id__in=series_ids, bucket__gte=first_bucket, bucket__lt=end
            )
            .values("bucket")
            .annotate(c=Sum("count"), low=Min("min"), high=Max("max"), total=Sum("sum"))
            .order_by("bucket")
            .values_list("bucket", "c", "low", "high", "total")[: limit + 1]
        ]
        if with_labels:
            shared = _shared(series_labels.values())
            rows = [(*row, shared) for row in rows]
    if len(rows) > limit:
        raise TooManyRows(
            f"more than {limit} rows in this window: narrow start and end or use a coarser step"
        )
    return rows


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


class _CeilEpoch(Func):
    """Seconds since 1970 of a timestamp column, rounded up to a whole second, as an integer
    (a column: the SQLite template names it three times)."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="CEIL(EXTRACT(EPOCH FROM %(expressions)s))::bigint"
        )

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores "YYYY-MM-DD HH:MM:SS[.ffffff]": longer than its whole second if any
        # fraction. The whole second is read from the first 19 characters: strftime('%s') of
        # the full text rounds to the millisecond (…59.9995 is the next second). %%%%: one %
        # for the template, one for the SQL parameters' formatting.
        return self.as_sql(
            compiler,
            connection,
            template="(CAST(strftime('%%%%s', substr(%(expressions)s, 1, 19)) AS INTEGER)"
            " + (length(%(expressions)s) > 19))",
        )


class _Epoch(Func):
    """Whole seconds since 1970 of a timestamp column, as an integer."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)::bigint"
        )

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            # %%%%: one % for the template, one for the SQL parameters' formatting.
            compiler,
            connection,
            template="CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)",
        )


def telemetry_uptime(*, integration, windows: dict, now: datetime) -> dict:
    """`health.uptime` of each named window (key -> its length before `now`), counted by the
    database in one query: the distinct intervals with a minute of data, not the minutes."""
    interval, created = integration.interval, integration.created
    slots = {
        key: health.uptime_slots(
            interval=interval, window_start=now - length, window_end=now, created=created
        )
        for key, length in windows.items()
    }
    counted = {}
    for key, slot in slots.items():
        if slot is None:
            continue
        start, expected = slot
        # Whole seconds: (bucket - ceil(start)) // interval is (bucket - start) // interval
        # for a bucket on a whole second.
        first = math.ceil(start.timestamp())
        index = ExpressionWrapper(
            (_Epoch("bucket") - first) / int(interval.total_seconds()),
            output_field=BigIntegerField(),
        )
        in_window = When(bucket__gte=start, bucket__lt=start + expected * interval, then=index)
        counted[key] = Count(Case(in_window), distinct=True)
    figures = {key: None for key in windows}
    if counted:
        earliest = min(slot[0] for slot in slots.values() if slot)
        rows = MinuteRollup.objects.filter(
            series__metric__integration=integration,
            bucket__gte=_floor(earliest, MinuteRollup),
            bucket__lt=now,
        ).aggregate(**counted)
        figures |= {key: rows[key] / slots[key][1] for key in counted}
    return figures


def telemetry_uptimes(*, integrations, window, now: datetime) -> dict:
    """Integration id -> `health.uptime` over the `window` before `now`, for a page of
    integrations in one query of the same shape whatever their ages: per integration, the
    distinct intervals with a minute of data, counted by the database (None where no interval
    is complete).

    Each integration's intervals start at S = max(ceil(window start), ceil(its creation)) in
    whole seconds; for a minute bucket b (a whole second) at or after S, (b - S) // interval
    is its interval's index, as `health.uptime` lays them. A bucket before `now` lies in one of
    the complete intervals or in the incomplete one after them (index = their count, known
    here), so that one is taken off when the largest index reaches it."""
    window_start = now - window
    integration = "series__metric__integration__"
    start = Greatest(
        Value(math.ceil(window_start.timestamp())),  # as in telemetry_uptime
        _CeilEpoch(f"{integration}created"),
        output_field=BigIntegerField(),
    )
    index = ExpressionWrapper(
        (_Epoch("bucket") - start) / F(f"{integration}interval_seconds"),
        output_field=BigIntegerField(),
    )
    inside = When(GreaterThanOrEqual(_Epoch("bucket"), start), then=index)
    figures = {}
    for one in integrations:
        slot = health.uptime_slots(
            interval=one.interval, window_start=window_start, window_end=now, created=one.created
        )
        figures[one.pk] = slot and slot[1]
    counted = [pk for pk, count in figures.items() if count]
    if not counted:
        return dict.fromkeys(figures)
    rows = (
        MinuteRollup.objects.filter(
            series__metric__integration__in=counted,
            bucket__gte=_floor(window_start, MinuteRollup),
            bucket__lt=now,
        )
        .values_list(f"{integration}id")
        .annotate(covered=Count(Case(inside), distinct=True), last=Max(Case(inside)))
        .order_by()
    )
    covered = {pk: seen - (last is not None and last >= figures[pk]) for pk, seen, last in rows}
    return {pk: covered.get(pk, 0) / count if count else None for pk, count in figures.items()}


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
