"""One value per day of a metric, from its hour rollups (which outlive raw points).

Days are UTC dates. Per day, over every series of the metric (all label sets) and every hour
bucket that starts that day:
- mean: the sum of the hours' sums over the sum of their counts (every point weighs the same);
- sum: the sum of the hours' sums; max / min: the largest / smallest hourly max / min;
- last: the `last` value of the hour row whose `last_ts` is latest.
A day without any rollup row has no value (it is left out, never zero).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from integration.models import HourRollup

AGGREGATES = ("mean", "sum", "max", "min", "last")


def days_from_hours(rows, aggregate: str) -> dict[date, float]:
    """Pure: hour rows (bucket, count, min, max, sum, last, last_ts) to {day: value}."""
    if aggregate not in AGGREGATES:
        raise ValueError(f"aggregate must be one of {', '.join(AGGREGATES)}, not {aggregate!r}")
    days: dict[date, list] = {}
    for row in rows:
        days.setdefault(row[0].astimezone(UTC).date(), []).append(row)
    values = {}
    for day, hours in sorted(days.items()):
        if aggregate == "mean":
            count = sum(h[1] for h in hours)
            if not count:
                continue
            values[day] = sum(h[4] for h in hours) / count
        elif aggregate == "sum":
            values[day] = sum(h[4] for h in hours)
        elif aggregate == "max":
            values[day] = max(h[3] for h in hours)
        elif aggregate == "min":
            values[day] = min(h[2] for h in hours)
        else:
            values[day] = max(hours, key=lambda h: h[6])[5]
    return values


def telemetry_daily(
    *, integration, metric: str, start: date, end: date, aggregate: str
) -> dict[date, float]:
    """`metric`'s value per day in [start, end) as `aggregate` says; {} for an unknown metric."""
    rows = HourRollup.objects.filter(
        series__metric__integration=integration,
        series__metric__name=metric,
        bucket__gte=datetime.combine(start, time(), tzinfo=UTC),
        bucket__lt=datetime.combine(end, time(), tzinfo=UTC),
    ).values_list("bucket", "count", "min", "max", "sum", "last", "last_ts")
    return days_from_hours(rows, aggregate)
