"""Measuring checks on live data: rollups read here, judged by `integration.checks`.

Each integration's buckets are read in one query per resolution: minute rollups where a check
needs them (a window of a day or less, or uptime with an interval under an hour) and they are
kept (`conf.minute_rollup_retention_days`), hour rollups for the rest of the window. The
database groups the rows (every series of the metric, only rows arrived by `as_of`) into the
interval for uptime and about 288 groups a window for the others; the staged-data rules then
see groups, not single minutes. A round of many checks goes through `checks_measure_many`,
which reads each distinct set of groups once for all integrations (docs/BENCHMARKS.md: one by
one is ~6 times slower).

Uptime and both_directions over every metric, at an interval of whole minutes up to
`LAG_TOLERANCE`, with the window in minute rollups and no value rules (`_by_minutes`), count
`SeenMinutes` instead: an hour of an integration in one row (its minutes, those on time, when
they last changed), so a 30-day window is 720 rows, not ~130,000 rollups. The same judgement
(tests/integration/test_checks_by_minutes.py): a row is late by the same per-row rule the
rollup reads apply (`Bucket.on_time`); an hour changed after `as_of` (or of unknown arrival)
is counted again from its rollups (`_recount`); and an integration whose minutes cannot rule
out that the window arrived in one burst is read from the rollups.

Freshness, uptime and both_directions also read when each integration's values last changed
(`_changes`: one more query per window, shared by every such check and integration, on hour
rollups for windows of six hours or more): `integration.checks` fails data in which nothing moves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime, timedelta

from django.db import connection

from integration import conf, health
from integration.checks import (
    BURST_SHARE,
    LAG_TOLERANCE,
    MOVING_KINDS,
    UPTIME_KINDS,
    Bucket,
    Check,
    Measurement,
    Seen,
    measure,
    measure_seen,
)
from integration.models import PING_METRIC, HourRollup, Integration, MinuteRollup
from integration.services.series import _ceil_second, _covered, _minutes_to
from integration.services.storage import ON_TIME

__all__ = ["check_measure", "checks_measure_many"]

CHECK_FIELDS = {f.name for f in fields(Check)} - {"kind"}
FINE = timedelta(days=1)  # windows up to a day are read by the minute
COARSE = timedelta(hours=6)  # when values last changed: to the hour from windows this long


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
    (default `as_of`) dates the minute rollups' retention: pass the present when judging the
    past, or a window retention has cut since would be read as still held by the minute."""
    return checks_measure_many(
        checks=[(kind, integrations, params)], window_end=window_end, as_of=as_of, now=now
    )[0]


def checks_measure_many(
    *,
    checks: Sequence[tuple[str, Sequence[Integration], dict]],
    window_end: datetime,
    as_of: datetime,
    now: datetime | None = None,
) -> list[Measurement]:
    """`check_measure` of each (kind, integrations, params), in order, reading each set of
    rollups once for every check and integration that needs it: one query per distinct read
    (metric, resolution, grouping), all integrations at once; the uptime kinds' minutes
    (`_by_minutes`) one query per window length."""
    now = now or as_of
    planned: list = []
    wanted: dict[tuple, dict] = {}
    moving: dict[tuple, dict] = {}
    minutes: dict[timedelta, dict] = {}
    for kind, integrations, params in checks:
        if not integrations:
            planned.append(Measurement(None, None, "no integration bound"))
            continue
        check = _check(kind, integrations[0], params)
        metric = _metric(kind, params)
        if metric is _MISSING:
            planned.append(Measurement(None, None, "no metric bound"))
            continue
        changes = _changes_key(check, metric, window_end, as_of, now)
        if changes is not None:
            for integration in integrations:
                moving.setdefault(changes, {})[integration.pk] = integration
        item = [check, metric, integrations, None, changes]
        if _by_minutes(check, metric, window_end, now):
            for integration in integrations:
                minutes.setdefault(check.window, {})[integration.pk] = integration
        else:
            _plan_reads(item, wanted, window_end, as_of, now)
        planned.append(item)
    hours = {
        window: _seen_hours(window_end - window, window_end, as_of, list(found.values()))
        for window, found in minutes.items()
    }
    for item in planned:
        if isinstance(item, list) and item[3] is None:
            check, _, integrations, _, _ = item
            counted = [_seen(check, hours[check.window][i.pk], i, window_end) for i in integrations]
            if None in counted:  # the window's data may have arrived in one burst
                _plan_reads(item, wanted, window_end, as_of, now)
            else:
                item[3] = counted
    done = {key: _read(key, list(found.values())) for key, found in wanted.items()}
    moved = {key: _changes(key, list(found.values())) for key, found in moving.items()}
    results = []
    for item in planned:
        if isinstance(item, Measurement):
            results.append(item)
            continue
        check, _, integrations, reads, changes = item
        created = [integration.created for integration in integrations]
        changed = None
        if changes is not None:
            changed = [moved[changes].get(integration.pk) for integration in integrations]
        if isinstance(reads[0], Seen):
            results.append(
                measure_seen(check, reads, end=window_end, created=created, changed=changed)
            )
            continue
        rows = [
            [b for key in keys for b in done[key].get(integration.pk, [])]
            for integration, keys in zip(integrations, reads, strict=True)
        ]
        results.append(
            measure(check, rows, end=window_end, as_of=as_of, created=created, changed=changed)
        )
    return results


def _plan_reads(item: list, wanted: dict, end, as_of, now) -> None:
    """Put the rollup reads of a planned check (`item`) in it and in `wanted`."""
    check, metric, integrations = item[:3]
    item[3] = [_reads(check, metric, one, end, as_of, now) for one in integrations]
    for integration, keys in zip(integrations, item[3], strict=True):
        for key in keys:
            wanted.setdefault(key, {})[integration.pk] = integration


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


def _origin(check: Check, start: datetime, integration: Integration) -> datetime:
    """Where groups start: uptime lays its intervals from the integration's creation."""
    if check.kind in ("uptime", "both_directions"):
        return max(start, integration.created)
    return start


def _ceil_hour(ts: datetime) -> datetime:
    floor = ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return floor if floor == ts else floor + timedelta(hours=1)


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
# The times as PostgreSQL sends them: microseconds since 1970, made datetimes by `_micro` in a
# fifth of the time Django's converter takes for a timestamp's text (3.4 µs; a round of 9,000
# checks on a day of data read 19 million). SQLite's text is parsed by `_time`.
_TIME = {"postgresql": ("(EXTRACT(EPOCH FROM ", ") * 1000000)::int8"), "sqlite": ("", "")}
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


def _reads(check: Check, metric, integration, end, as_of, now) -> list[tuple]:
    """What to read of an integration for `check`: (model, low, high, width, origin, metric,
    with_last, as_of, due) per resolution; checks and integrations with the same share a
    query. `due`: for the uptime kinds, by when after its start a row is in time."""
    start = end - check.window
    origin_at = _origin(check, start, integration)
    with_last = check.needs_variation or check.aggregate == "last"
    lag = max(check.interval, LAG_TOLERANCE) if check.kind in UPTIME_KINDS else None
    return [
        (
            model,
            max(low, origin_at),
            high,
            _width(check, model),
            origin_at,
            metric,
            with_last,
            as_of,
            None if lag is None else model.STEP + lag,
        )
        for model, low, high in _resolutions(check, start, end, now)
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
        time=_TIME[vendor],
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
        "low": _db_time(low, sqlite),
        "high": _db_time(high, sqlite),
        "as_of": _db_time(as_of, sqlite),
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
    convert = _time if sqlite else _micro
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
    params = {**ids, "as_of": _db_time(as_of, sqlite), "ping": PING_METRIC, "metric": metric}
    for n, (_, low, high) in enumerate(pieces):
        params[f"low{n}"], params[f"high{n}"] = _db_time(low, sqlite), _db_time(high, sqlite)
    by_key = {(i.pk.hex if sqlite else i.pk): i.pk for i in integrations}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = {}
    for pk, bucket in rows:
        if bucket is None:
            continue
        at = _time(bucket) if sqlite else bucket
        step = next((m.STEP for m, low, high in pieces if low <= at < high), pieces[-1][0].STEP)
        found[by_key.get(pk, pk)] = at + step
    return found


def _db_time(ts: datetime, sqlite: bool):
    # Django's own SQLite format: naive UTC text.
    return str(ts.astimezone(UTC).replace(tzinfo=None)) if sqlite else ts


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


_1970 = datetime(1970, 1, 1, tzinfo=UTC)


def _micro(micro: int) -> datetime:
    return _1970 + timedelta(microseconds=micro)


# The uptime kinds from `SeenMinutes`: an hour of an integration in one row, not a rollup per
# series and minute (a 30-day window: 720 rows an integration instead of ~130,000).


def _by_minutes(check: Check, metric, end: datetime, now: datetime) -> bool:
    """Whether `check` is judged on its integrations' `SeenMinutes` rather than their rollups:
    an uptime kind over every metric, no value rules, an interval of whole minutes within the
    lag (so that a minute on time is one in time for the check), the window all in minutes."""
    if check.kind not in UPTIME_KINDS or metric or check.needs_variation:
        return False
    if check.interval > LAG_TOLERANCE or check.interval % _MINUTE:
        return False
    pieces = _resolutions(check, end - check.window, end, now)
    return len(pieces) == 1 and pieces[0][0] is MinuteRollup


_MINUTE = timedelta(minutes=1)
# An integration's hours, with `arrived` where it is by `as_of` (an hour holding data that
# arrived later, or of unknown arrival, is counted again from the rollups: `_recount`).
_SEEN = {
    "postgresql": """
SELECT integration_id, EXTRACT(EPOCH FROM hour)::int8, minutes, on_time,
       CASE WHEN arrived <= %(as_of)s THEN floor(EXTRACT(EPOCH FROM arrived))::int8 END
FROM integration_seenminutes
WHERE integration_id IN ({integrations}) AND hour >= %(low)s AND hour < %(high)s
ORDER BY 1, 2""",
    "sqlite": """
SELECT integration_id, CAST(strftime('%%s', hour) AS INTEGER), minutes, on_time,
       CASE WHEN arrived <= %(as_of)s THEN CAST(strftime('%%s', arrived) AS INTEGER) END
FROM integration_seenminutes
WHERE integration_id IN ({integrations}) AND hour >= %(low)s AND hour < %(high)s
ORDER BY 1, 2""",
}
# An hour of integrations counted from their minute rollups arrived by `as_of`, as
# `seen_minutes_fill` counts them.
_RECOUNT = """
SELECT m.integration_id, {bits}, {on_time}
FROM {rollups}
WHERE m.integration_id IN ({integrations}) AND r.bucket >= %(low)s AND r.bucket < %(high)s
  AND coalesce(r.first_arrival, r.bucket) <= %(as_of)s
GROUP BY 1"""


def _seen_hours(start: datetime, end: datetime, as_of: datetime, integrations) -> dict:
    """Integration id -> [(hour, minutes, on_time, arrived)] of the hours overlapping
    [start, end), as they stood at `as_of` (times in seconds since 1970; `arrived` None for
    an hour counted again from the rollups)."""
    sqlite = connection.vendor == "sqlite"
    ids = {f"i{n}": (i.pk.hex if sqlite else i.pk) for n, i in enumerate(integrations)}
    by_key = {(i.pk.hex if sqlite else i.pk): i.pk for i in integrations}
    params = {
        **ids,
        "low": _db_time(_floor_hour(start), sqlite),
        "high": _db_time(end, sqlite),
        "as_of": _db_time(as_of, sqlite),
    }
    sql = _SEEN[connection.vendor].format(integrations=", ".join(f"%({n})s" for n in ids))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found: dict = {i.pk: [] for i in integrations}
    stale: dict[int, list] = {}
    for key, hour, bits, on_time, arrived in rows:
        pk = by_key.get(key, key)
        found[pk].append((hour, bits, on_time, arrived))
        if arrived is None:
            stale.setdefault(hour, []).append(pk)
    for hour, pks in stale.items():
        wanted = set(pks)
        recount = _recount(hour, as_of, [i for i in integrations if i.pk in wanted])
        for pk in pks:
            bits, on_time = recount.get(pk, (0, 0))
            found[pk] = [
                (hour, bits, on_time, None) if row[0] == hour else row for row in found[pk]
            ]
    return found


def _recount(hour: int, as_of: datetime, integrations) -> dict:
    """Integration id -> (minutes, on_time) of the `hour` (seconds since 1970) from its minute
    rollups that had arrived by `as_of`."""
    from integration.services.seenminutes import _FILL_SQL

    vendor = connection.vendor
    sqlite = vendor == "sqlite"
    ids = {f"i{n}": (i.pk.hex if sqlite else i.pk) for n, i in enumerate(integrations)}
    start = datetime.fromtimestamp(hour, UTC)
    sql = _RECOUNT.format(
        bits=_FILL_SQL[vendor]["bits"],
        on_time=_FILL_SQL[vendor]["on_time"],
        rollups=_ROLLUPS[vendor].format(table=MinuteRollup._meta.db_table, low="low", high="high"),
        integrations=", ".join(f"%({n})s" for n in ids),
    )
    params = {
        **ids,
        "low": _db_time(start, sqlite),
        "high": _db_time(start + timedelta(hours=1), sqlite),
        "as_of": _db_time(as_of, sqlite),
    }
    by_key = {(i.pk.hex if sqlite else i.pk): i.pk for i in integrations}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {by_key.get(k, k): (bits, on_time) for k, bits, on_time in cursor.fetchall()}


def _seen(check: Check, hours: list, integration: Integration, end: datetime) -> Seen | None:
    """What `integration`'s `hours` count for `check` over the window before `end`; None when
    they cannot rule out that the window's data arrived in one burst (rule 4: its rollups
    are read instead). Not one burst: a minute on time in the window (its data arrived by
    `ON_TIME` after its start) and an hour wholly in it whose data last changed at least the
    burst's share of the window later."""
    window = check.window
    slots = health.uptime_slots(
        interval=check.interval,
        window_start=end - window,
        window_end=end,
        created=integration.created,
    )
    if slots is None:
        return Seen(0, False)  # not tested, whatever the minutes
    first_at, expected = slots
    first, stop = _ceil_second(first_at), _ceil_second(end)
    column = 1 if check.allow_backfill_lag else 2  # every minute, or those on time
    interval = int(check.interval.total_seconds())
    filled = _covered([(row[0], row[column]) for row in hours], first, interval, expected)
    any_data, earliest, latest, start, end_ = False, None, None, None, None
    for hour, bits, on_time, arrived in hours:
        low, high = max(0, _minutes_to(first - hour)), min(60, _minutes_to(stop - hour))
        if low >= high:
            continue
        inside = (1 << high) - (1 << low)  # the minutes starting in the window
        if data := bits & inside:
            any_data = True
            if start is None:
                start = hour + 60 * ((data & -data).bit_length() - 1)
            end_ = hour + 60 * (data.bit_length() - 1)  # the last minute with data
        timely = on_time & inside
        if earliest is None and timely:
            earliest = hour + 60 * ((timely & -timely).bit_length() - 1)
        if arrived is not None and low == 0 and high == 60:  # the hour is wholly in it
            latest = arrived if latest is None else max(latest, arrived)
    if not any_data:
        return Seen(0, False)
    # Rule 4's one burst needs points spanning over half the window (from its first group's
    # start, at most an interval before the first minute, to the last minute's end) and
    # every arrival within BURST_SHARE of it (the first arrival is by earliest + ON_TIME).
    span = end_ + 60 - start + interval
    seconds = window.total_seconds()
    if window >= timedelta(hours=1) and span > seconds / 2:
        if earliest is None or latest is None:
            return None
        if latest - earliest - ON_TIME.total_seconds() < seconds * BURST_SHARE:
            return None
    return Seen(filled, True)


def _floor_hour(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
