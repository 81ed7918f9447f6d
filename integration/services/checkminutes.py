"""The uptime kinds of `services.checks` from `SeenMinutes`, not from the rollups.

Uptime and both_directions over every metric, at an interval of whole minutes up to
`LAG_TOLERANCE`, with the window in minute rollups and no value rules (`_by_minutes`), count
`SeenMinutes`: an hour of an integration in one row (its minutes, those on time, when they
last changed), so a 30-day window is 720 rows, not ~130,000 rollups. The same judgement as
the rollups give (tests/integration/test_checks_by_minutes.py): a row is late by the same
per-row rule the rollup reads apply (`Bucket.on_time`); an hour changed after `as_of` (or of
unknown arrival) is counted again from its rollups (`_recount`); and an integration whose
minutes cannot rule out that the window arrived in one burst is read from the rollups
(`_seen` gives None).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection

from integration import health
from integration.checks import BURST_SHARE, LAG_TOLERANCE, UPTIME_KINDS, Check, Seen
from integration.models import Integration, MinuteRollup
from integration.services.checkreads import _ROLLUPS, _floor_hour, _resolutions
from integration.services.seenminutes import _FILL_SQL
from integration.services.series import _ceil_second, _covered, _minutes_to
from integration.services.sqltime import db_time
from integration.services.storage import ON_TIME


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
        "low": db_time(_floor_hour(start), sqlite),
        "high": db_time(end, sqlite),
        "as_of": db_time(as_of, sqlite),
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
        "low": db_time(start, sqlite),
        "high": db_time(start + timedelta(hours=1), sqlite),
        "as_of": db_time(as_of, sqlite),
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
