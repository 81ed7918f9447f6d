"""The rollup reads of `services.checks`: a check's buckets, grouped in the database.

Each integration's buckets are read in one query per resolution: minute rollups where a check
needs them (a window of a day or less, or uptime with an interval under an hour) and they are
kept (`conf.minute_rollup_retention_days`), hour rollups for the rest of the window (and,
for freshness judged on the present, for the whole hours inside it: `_whole_hours`). The
database groups the rows (every series of the metric, only rows arrived by `as_of`) into the
interval for uptime and about 288 groups a window for the others; the staged-data rules then
see groups, not single minutes. A read (`_reads` gives its key) serves every check and
integration with the same key.

Freshness, uptime and both_directions also read when each integration's values last changed
(`_changes`: one more query per window, shared by every such check and integration, on hour
rollups for windows of six hours or more): `integration.checks` fails data in which nothing moves.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from django.db import connection

from integration import conf
from integration.checks import LAG_TOLERANCE, MOVING_KINDS, UPTIME_KINDS, Bucket, Check
from integration.models import PING_METRIC, HourRollup, Integration, MinuteRollup
from integration.services.sqltime import MICROS, db_time, read_time, text_time

FINE = timedelta(days=1)  # windows up to a day are read by the minute
COARSE = timedelta(hours=6)  # when values last changed: to the hour from windows this long


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


def _origin(check: Check, start: datetime, integration: Integration) -> datetime:
    """Where groups start: uptime lays its intervals from the integration's creation."""
    if check.kind in ("uptime", "both_directions"):
        return max(start, integration.created)
    return start


def _floor_hour(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _ceil_hour(ts: datetime) -> datetime:
    floor = _floor_hour(ts)
    return floor if floor == ts else floor + timedelta(hours=1)


def _whole_hours(check: Check, pieces: list, present: bool) -> tuple[list, bool]:
    """(`pieces` with the whole hours inside a piece of minutes read from the hour rollups,
    True) for freshness judged on the present; else (`pieces`, False).

    Freshness without value rules needs of its buckets only the newest point and the burst
    rule's arrivals and span, and an hour's rollup holds its minutes' newest point and first
    and last arrivals. A day's window then reads ~23 hours and two partial hours of minutes
    per series instead of 1,440 minutes: at 10,000 integrations, the biggest read of an
    evaluator's round (docs/BENCHMARKS.md). Only on the present (`present`: the caller gave
    `now` and `as_of` is not before it): judging the past, an hour that arrived by `as_of` may
    hold points that arrived after it. An hour's start stands for its first point, which can
    stretch the points' span: `checks_measure_many` judges a burst found so again by the
    minute."""
    if not present or check.kind != "freshness" or check.needs_variation:
        return pieces, False
    split = []
    for model, low, high in pieces:
        first, last = _ceil_hour(low), _floor_hour(high)
        if model is not MinuteRollup or first >= last:
            split.append((model, low, high))
            continue
        split += [
            piece
            for piece in ((model, low, first), (HourRollup, first, last), (model, last, high))
            if piece[1] < piece[2]
        ]
    return split, True


# One row per group of rollup rows `width` seconds wide from `origin` (epoch seconds): the
# series combined, `last` of the row with the newest point, arrival read as NULL -> bucket.
_SELECT = """
SELECT integration_id, k, sum(count), min(min), max(max), sum(sum), max(last_value),
       {time[0]}max(last_ts){time[1]}, {time[0]}min(first_arrival){time[1]},
       {time[0]}max(last_arrival){time[1]}, {any}(on_time)
FROM (
    SELECT m.integration_id, {epoch} AS k, r.count, r.min, r.max, r.sum, r.last_ts,
           {last} AS last_value, {on_time} AS on_time,
           coalesce(r.first_arrival, r.bucket) AS first_arrival,
           coalesce(r.last_arrival, r.bucket) AS last_arrival
    FROM {rollups}
    WHERE m.integration_id IN ({integrations}) AND r.bucket >= %(low)s AND r.bucket < %(high)s
      AND coalesce(r.first_arrival, r.bucket) <= %(as_of)s {metric}
) grouped
GROUP BY integration_id, k
"""
_EPOCH = {
    "postgresql": "(EXTRACT(EPOCH FROM r.bucket)::bigint - %(origin)s) / %(width)s",
    "sqlite": "(CAST(strftime('%%s', r.bucket) AS INTEGER) - %(origin)s) / %(width)s",
}
# Whether a row arrived in time for uptime (`integration.checks` rule 5): by `due` after its
# start (its step and the lag); a group is when one of its rows is.
_ON_TIME = {
    "postgresql": (
        "coalesce(r.first_arrival, r.bucket) <= r.bucket + %(due)s",
        "bool_or",
        "NULL::bool",
    ),
    "sqlite": ("coalesce(r.first_arrival, r.bucket) <= datetime(r.bucket, %(due)s)", "max", "NULL"),
}
# The value of the row with the newest point; a window function, so read only when judged.
_LAST = "first_value(r.last) OVER (PARTITION BY m.integration_id, {epoch} ORDER BY r.last_ts DESC)"
# The rollups (`r`) of the integrations' series (`s`) and metrics (`m`). PostgreSQL reads each
# series' buckets from the (series_id, bucket) index whatever the statistics say: with
# statistics older than the data (a big table between two ANALYZEs, a restore, autovacuum
# off), the planner took the window's buckets for a few rows and scanned every rollup of the
# window, all integrations', in every chunk: 400 ms a read against 21 ms after an ANALYZE at
# 10,000 integrations, and two evaluators gained nothing. OFFSET 0 keeps the LATERAL whole.
_ROLLUPS = {
    "postgresql": """integration_metric m
    JOIN integration_series s ON s.metric_id = m.id
    CROSS JOIN LATERAL (
        SELECT * FROM {table} r0
        WHERE r0.series_id = s.id AND r0.bucket >= %({low})s AND r0.bucket < %({high})s
        OFFSET 0
    ) r""",
    "sqlite": """{table} r
    JOIN integration_series s ON s.id = r.series_id
    JOIN integration_metric m ON m.id = s.metric_id""",
}
GROUPS = 288  # a value check's window is read in about this many groups (24 h: 5 minutes)


def _width(check: Check, model) -> int:
    """Seconds per group: the interval for uptime (when whole steps), else ~window / GROUPS."""
    step = int(model.STEP.total_seconds())
    if check.kind in ("uptime", "both_directions"):
        interval = int(check.interval.total_seconds())
        return interval if interval % step == 0 else step
    if check.hours:
        return step  # operating hours are judged on each bucket's own start
    return max(step, int(check.window.total_seconds()) // GROUPS // step * step)


def _reads(
    check: Check, metric, integration, end, as_of, now, present: bool = False
) -> list[tuple]:
    """What to read of an integration for `check`: (model, low, high, width, origin, metric,
    with_last, as_of, due) per resolution; checks and integrations with the same share a
    query. `due`: for the uptime kinds, by when after its start a row is in time. `present`:
    judged on the present (`_whole_hours`)."""
    start = end - check.window
    origin_at = _origin(check, start, integration)
    with_last = check.needs_variation or check.aggregate == "last"
    lag = max(check.interval, LAG_TOLERANCE) if check.kind in UPTIME_KINDS else None
    pieces, split = _whole_hours(check, _resolutions(check, start, end, now), present)
    return [
        (
            model,
            max(low, origin_at),
            high,
            _width(check, model),
            low if split else origin_at,  # a split's pieces grouped from their starts
            metric,
            with_last,
            as_of,
            None if lag is None else model.STEP + lag,
        )
        for model, low, high in pieces
    ]


def _read(key: tuple, integrations) -> dict:
    """Integration id -> its buckets of the read `key`, grouped in the database (`_width`).

    Plain SQL: grouping cuts the rows to read by the group's width (uptime at a 5-minute
    interval: 5 times), and on SQLite it skips Django's datetime converters (about 8 µs a
    value, measured with bench/check_eval.py); times come back as text and are parsed here.
    """
    model, low, high, width, origin_at, metric, with_last, as_of, due = key
    vendor = connection.vendor
    sqlite = vendor == "sqlite"
    origin = math.ceil(origin_at.timestamp())
    epoch = _EPOCH[vendor]
    ids = {f"i{n}": (i.pk.hex if sqlite else i.pk) for n, i in enumerate(integrations)}
    on_time, any_, null = _ON_TIME[vendor]
    sql = _SELECT.format(
        time=MICROS[vendor],
        epoch=epoch,
        last=_LAST.format(epoch=epoch) if with_last else "NULL",
        on_time=null if due is None else on_time,
        any=any_,
        rollups=_ROLLUPS[vendor].format(table=model._meta.db_table, low="low", high="high"),
        integrations=", ".join(f"%({name})s" for name in ids),
        metric="AND m.name = %(metric)s" if metric else "",
    )
    params = {
        **ids,
        "low": db_time(low, sqlite),
        "high": db_time(high, sqlite),
        "as_of": db_time(as_of, sqlite),
        "origin": origin,
        "width": width,
        "metric": metric,
        "due": due if due is None or not sqlite else f"+{due.total_seconds():.0f} seconds",
    }
    by_key = {(i.pk.hex if sqlite else i.pk): i.pk for i in integrations}
    step = timedelta(seconds=width)
    found: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    convert = read_time(vendor)
    for pk, k, count, low_, high_, total, last, last_ts, first, latest, in_time in rows:
        start = datetime.fromtimestamp(origin + k * width, UTC)
        last_ts, first, latest = convert(last_ts), convert(first), convert(latest)
        in_time = None if in_time is None else bool(in_time)
        found.setdefault(by_key.get(pk, pk), []).append(
            Bucket(start, step, count, low_, high_, total, last, last_ts, first, latest, in_time)
        )
    return found


# When each integration's values last changed: per series (heartbeats aside) its last value,
# then the newest bucket of the integration holding another value than its series' last.
_CHANGES = """
SELECT integration_id, max(CASE WHEN low <> v OR high <> v THEN bucket END)
FROM (
    SELECT integration_id, bucket, low, high,
           first_value(last) OVER (PARTITION BY series_id ORDER BY last_ts DESC) AS v
    FROM ({pieces}) piece
) x
GROUP BY integration_id
"""
_PIECE = """
    SELECT m.integration_id, r.series_id, r.bucket, r.min AS low, r.max AS high, r.last,
           r.last_ts
    FROM {rollups}
    WHERE m.integration_id IN ({integrations}) AND r.bucket >= %(low{n})s
      AND r.bucket < %(high{n})s AND coalesce(r.first_arrival, r.bucket) <= %(as_of)s
      AND m.name <> %(ping)s {metric}
"""


def _changes_key(check: Check, metric, end, as_of, now) -> tuple | None:
    """What `_changes` reads for `check` (None: its kind is not judged on it): the pieces of
    its window (hour rollups for a window of COARSE or more: a change known to the hour is
    close enough for a rule on half the window, and a 24-hour window reads 60 times fewer
    rows), the metric (if bound) and `as_of`; checks of the same window share it."""
    if check.kind not in MOVING_KINDS:
        return None
    start = end - check.window
    if check.window >= COARSE:
        pieces = [(HourRollup, start, end)]
    else:
        pieces = _resolutions(check, start, end, now)
    return (tuple(pieces), metric, as_of)


def _changes(key: tuple, integrations) -> dict:
    """Integration id -> the end of the last bucket in which one of its series (heartbeats
    aside) held another value than its own last one over the window; missing: none did."""
    pieces, metric, as_of = key
    sqlite = connection.vendor == "sqlite"
    ids = {f"i{n}": (i.pk.hex if sqlite else i.pk) for n, i in enumerate(integrations)}
    sql = _CHANGES.format(
        pieces=" UNION ALL ".join(
            _PIECE.format(
                rollups=_ROLLUPS[connection.vendor].format(
                    table=model._meta.db_table, low=f"low{n}", high=f"high{n}"
                ),
                integrations=", ".join(f"%({name})s" for name in ids),
                n=n,
                metric="AND m.name = %(metric)s" if metric else "",
            )
            for n, (model, _, _) in enumerate(pieces)
        )
    )
    params = {**ids, "as_of": db_time(as_of, sqlite), "ping": PING_METRIC, "metric": metric}
    for n, (_, low, high) in enumerate(pieces):
        params[f"low{n}"], params[f"high{n}"] = db_time(low, sqlite), db_time(high, sqlite)
    by_key = {(i.pk.hex if sqlite else i.pk): i.pk for i in integrations}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = {}
    for pk, bucket in rows:
        if bucket is None:
            continue
        at = text_time(bucket) if sqlite else bucket
        step = next((m.STEP for m, low, high in pieces if low <= at < high), pieces[-1][0].STEP)
        found[by_key.get(pk, pk)] = at + step
    return found
