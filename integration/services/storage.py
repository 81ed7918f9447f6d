"""Bulk writes of raw points with their rollups, one way per database; call inside a transaction.

PostgreSQL, optimistic: one binary COPY straight into the points table, in a savepoint. COPY is
the cheapest way in (multi-row inserts per partition) but cannot skip a stored key, so when it
meets one (a retry, or the same point twice in the batch) the savepoint is rolled back and the
batch takes the staged path: COPY into a temporary table, then one statement inserts the staged
rows with ON CONFLICT DO NOTHING (the first of repeated points winning) and folds exactly the
inserted ones (RETURNING) into the minute and hour rollups. When COPY succeeds every row was
new, so the rollups are summed in Python from the rows (below) and upserted from arrays by a
statement of the same shape. Measured on a 5,000-point batch: PostgreSQL CPU 15 -> 8.5 ms, for
about 1 ms more Python (docs/BENCHMARKS.md, HTTP ingest with the defaults).

A batch whose points fall on more than one UTC day takes the staged path at once: COPY into
the partitioned table buffers rows per partition (one a day) and writes the buffers in turn, so
its key locks would not be taken in key order (two such batches sharing points deadlocked).

Lock order, so that concurrent batches cannot deadlock: rows are written in key order, the
points before the rollups, and both paths upsert the rollups in one statement of the same shape
(minute_rollups and hour_rollups CTEs over rows sorted by key), so they take rollup row locks in
the same order. The rows are put in key order in Python: a stable sort on the series id (ints:
fast), then a check that each series' times are in order, as writers send them; only if not,
a full sort. The rollups of the sorted rows: per series, each minute's rows are found by
bisection and summed with built-ins, so the Python cost per row is the sort's and the COPY's.
Buckets are `date_bin` from a UTC midnight in SQL, the UTC minute and hour in Python: the same.

SQLite: multi-row INSERT OR IGNORE ... RETURNING gives the inserted rows; their rollups are
summed in Python and upserted. SQLite runs one writer at a time (IMMEDIATE transactions).

Both also OR each minute they write into its integration's `SeenMinutes` row for the hour (a
bit a minute, what uptime counts; in `on_time` too when the batch arrived at most `ON_TIME`
after the minute's start, and `arrived` then set to the batch's arrival, unless it is empty:
written by code from before it, counted from the rollups until filled): on PostgreSQL a CTE
of the same statement, its rows in (integration, hour) order, and no new row version when the
row had the batch's bits already (it is still locked). PostgreSQL runs the statement's CTEs
in an order of its own, the same for every batch since all have this shape, so the lock order
holds across them.

Both stamp each rollup they touch with the batch's arrival (`now`, one parameter of the same
statement): `first_arrival` keeps the earliest, `last_arrival` the latest. A row stored before
arrival was kept (NULL) counts as arrived at its bucket time, so a late batch cannot make its
history look recent. Checks (`integration.checks`) judge a window on what had arrived by then.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from operator import itemgetter, le

from django.db import IntegrityError, connection, transaction

from integration.checks import LAG_TOLERANCE

__all__ = ["points_write"]

# (series_id, ts, value, quality): quality is NULL for good, else a `QUALITY_CODES` code.
Row = tuple[int, datetime, float, int | None]
# (series_id, bucket, count, min, max, sum, last, last_ts, uncertain, bad)
Rollup = tuple[int, datetime, int, float, float, float, float, datetime, int, int]

STAGE = "integration_point_stage"
_ORIGIN = "timestamptz '2000-01-01 00:00:00+00'"
_UNCERTAIN, _BAD = 1, 2  # `QUALITY_CODES`

_ROLLUP_SET = """
    count = r.count + excluded.count,
    min = least(r.min, excluded.min),
    max = greatest(r.max, excluded.max),
    sum = r.sum + excluded.sum,
    last = CASE WHEN excluded.last_ts > r.last_ts THEN excluded.last ELSE r.last END,
    last_ts = greatest(r.last_ts, excluded.last_ts),
    uncertain = r.uncertain + excluded.uncertain,
    bad = r.bad + excluded.bad,
    first_arrival = least(coalesce(r.first_arrival, r.bucket), excluded.first_arrival),
    last_arrival = greatest(coalesce(r.last_arrival, r.bucket), excluded.last_arrival)
"""
_ROLLUP_COLUMNS = """(series_id, bucket, count, min, max, sum, last, last_ts, uncertain, bad,
         first_arrival, last_arrival)"""

# A minute of which a point arrives by this after its start is on time (`SeenMinutes.on_time`).
ON_TIME = timedelta(minutes=1) + LAG_TOLERANCE

# The bit of a minute bucket's minute in its hour (`SeenMinutes`), summed once per integration
# and hour: a sum of distinct powers of two is their OR.
_MINUTE_SUM = "sum(DISTINCT 1::int8 << extract(minute FROM {0} AT TIME ZONE 'UTC')::int)"
_MINUTE_BITS = _MINUTE_SUM + "::int8"

# The rollup upserts both paths end with: `minutes` and `hours` are given before it.
_UPSERTS = f"""
minute_rollups AS (
    INSERT INTO integration_minuterollup AS r {_ROLLUP_COLUMNS}
    SELECT * FROM minutes ORDER BY series_id, bucket
    ON CONFLICT (series_id, bucket) DO UPDATE SET {_ROLLUP_SET}
), hour_rollups AS (
    INSERT INTO integration_hourrollup AS r {_ROLLUP_COLUMNS}
    SELECT * FROM hours ORDER BY series_id, bucket
    ON CONFLICT (series_id, bucket) DO UPDATE SET {_ROLLUP_SET}
), seen_minutes AS (
    INSERT INTO integration_seenminutes AS r (integration_id, hour, minutes, on_time, arrived)
    SELECT m.integration_id, date_bin('1 hour', x.bucket, {_ORIGIN}),
           {_MINUTE_BITS.format("x.bucket")},
           coalesce({_MINUTE_SUM.format("x.bucket")} FILTER (
               WHERE x.bucket >= %(now)s::timestamptz - interval '{ON_TIME.total_seconds():.0f} s'
           ), 0)::int8,
           %(now)s::timestamptz
    FROM minutes x
    JOIN integration_series s ON s.id = x.series_id
    JOIN integration_metric m ON m.id = s.metric_id
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (integration_id, hour) DO UPDATE SET
        minutes = r.minutes | excluded.minutes,
        on_time = r.on_time | excluded.on_time,
        arrived = CASE WHEN r.arrived IS NOT NULL THEN greatest(r.arrived, excluded.arrived) END
    WHERE (r.minutes | excluded.minutes, r.on_time | excluded.on_time) <> (r.minutes, r.on_time)
)
SELECT coalesce(sum(count), 0)::bigint, max(last_ts) FROM minutes
"""

_ARRIVALS = "%(now)s::timestamptz AS first_arrival, %(now)s::timestamptz AS last_arrival"

# The hour rollups of the `minutes` both paths give (the database sums them: in Python, the
# arrays' text for a second set of rows cost more than the GROUP BY).
_HOURS = f"""hours AS (
    SELECT series_id, date_bin('1 hour', bucket, {_ORIGIN}) AS bucket, sum(count) AS count,
           min(min) AS min, max(max) AS max, sum(sum) AS sum,
           (array_agg(last ORDER BY last_ts DESC))[1] AS last, max(last_ts) AS last_ts,
           sum(uncertain) AS uncertain, sum(bad) AS bad, {_ARRIVALS}
    FROM minutes GROUP BY 1, 2
)"""

_POSTGRESQL_INSERT = """
WITH inserted AS (
    INSERT INTO integration_point (series_id, ts, value, quality)
    SELECT series_id, ts, value, quality FROM {stage} ORDER BY series_id, ts, n
    {on_conflict}
    RETURNING series_id, ts, value, quality
), minutes AS (
    SELECT series_id, date_bin('1 minute', ts, {origin}) AS bucket, count(*) AS count,
           min(value) AS min, max(value) AS max, sum(value) AS sum,
           (array_agg(value ORDER BY ts DESC))[1] AS last, max(ts) AS last_ts,
           count(*) FILTER (WHERE quality = 1) AS uncertain,
           count(*) FILTER (WHERE quality = 2) AS bad, {arrivals}
    FROM inserted GROUP BY 1, 2
), {hours},"""
POSTGRESQL_INSERT_NEW_ONLY = (
    _POSTGRESQL_INSERT.format(
        stage=STAGE,
        on_conflict="ON CONFLICT DO NOTHING",
        origin=_ORIGIN,
        arrivals=_ARRIVALS,
        hours=_HOURS,
    )
    + _UPSERTS
)

_UNNEST = """unnest(
        %({0}_series)s::int8[], %({0}_bucket)s::timestamptz[], %({0}_count)s::int4[],
        %({0}_min)s::float8[], %({0}_max)s::float8[], %({0}_sum)s::float8[],
        %({0}_last)s::float8[], %({0}_last_ts)s::timestamptz[], %({0}_uncertain)s::int4[],
        %({0}_bad)s::int4[]
    ) AS a (series_id, bucket, count, min, max, sum, last, last_ts, uncertain, bad)"""
POSTGRESQL_ROLLUPS = (
    f"""
WITH minutes AS (
    SELECT a.*, {_ARRIVALS} FROM {_UNNEST.format("minute")}
), {_HOURS},"""
    + _UPSERTS
)
# Each field's array as text: psycopg binds parameters on the client, and its own arrays cost
# 1.2 ms a batch against 0.3 ms for these (repr is a float's exact, shortest text).
_ROLLUP_FIELDS = (
    *(("series", str), ("bucket", datetime.isoformat), ("count", str)),
    *(("min", repr), ("max", repr), ("sum", repr), ("last", repr)),
    *(("last_ts", datetime.isoformat), ("uncertain", str), ("bad", str)),
)

COPY_POINTS = "COPY integration_point (series_id, ts, value, quality) FROM STDIN (FORMAT BINARY)"
COPY_STAGE = f"COPY {STAGE} (series_id, ts, value, quality, n) FROM STDIN (FORMAT BINARY)"
_POINT_TYPES = ["int8", "timestamptz", "float8", "int2"]

_SERIES = itemgetter(0)
_KEY = itemgetter(0, 1)
_MINUTE = timedelta(minutes=1)


def points_write(rows: Sequence[Row], *, now: datetime) -> tuple[int, datetime | None]:
    """Insert the (series_id, ts, value, quality) rows not stored yet and update their rollups,
    stamping them as arrived at `now`.

    Of rows repeating a (series_id, ts), the first is kept. Returns the number inserted and
    the newest inserted timestamp (None when every row was already stored).
    """
    if not rows:
        return 0, None
    if not connection.in_atomic_block:
        raise RuntimeError("points_write must run inside a transaction")
    if connection.vendor == "postgresql":
        return _write_postgresql(rows, now)
    if connection.vendor == "sqlite":
        return _write_sqlite(rows, now)
    raise NotImplementedError(f"telemetry storage does not support {connection.vendor}")


def _write_postgresql(rows: Sequence[Row], now: datetime) -> tuple[int, datetime | None]:
    rows, runs, columns = _in_key_order(rows)
    with connection.cursor() as cursor:
        if _days(columns[1]) > 1:
            # COPY into the partitioned table buffers rows per partition and writes the
            # buffers in turn, so across days it takes the key's locks out of key order: two
            # batches sharing points could deadlock. INSERT ... SELECT writes in key order.
            return _write_staged(cursor, rows, now)
        try:
            with (
                transaction.atomic(),
                connection.wrap_database_errors,
                cursor.copy(COPY_POINTS) as copy,
            ):
                copy.set_types(_POINT_TYPES)
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
        except IntegrityError:  # a key stored already, or twice in the batch
            return _write_staged(cursor, rows, now)
        minutes = _minute_rollups(runs, *columns)
        params = {"now": now}
        for (field, text), values in zip(_ROLLUP_FIELDS, zip(*minutes, strict=True), strict=True):
            params[f"minute_{field}"] = "{" + ",".join(map(text, values)) + "}"
        cursor.execute(POSTGRESQL_ROLLUPS, params)
        return cursor.fetchone()


def _write_staged(cursor, rows: Sequence[Row], now: datetime) -> tuple[int, datetime | None]:
    # Created once per database session; emptied at commit and here (inside an outer
    # transaction, e.g. a test's, an earlier batch's rows would still be there).
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} "
        "(series_id bigint, ts timestamptz, value float8, quality int2, n int4) "
        "ON COMMIT DELETE ROWS"
    )
    cursor.execute(f"DELETE FROM {STAGE}")
    with cursor.copy(COPY_STAGE) as copy:
        copy.set_types([*_POINT_TYPES, "int4"])
        write_row = copy.write_row
        for n, row in enumerate(rows):
            write_row((*row, n))
    cursor.execute(POSTGRESQL_INSERT_NEW_ONLY, {"now": now})
    return cursor.fetchone()


def _days(times) -> int:
    """How many UTC days (the points table's partitions) the times fall on, 1 or more."""
    first, last = min(times).astimezone(UTC).date(), max(times).astimezone(UTC).date()
    return 1 if first == last else 2


def _in_key_order(rows: Sequence[Row]) -> tuple[list[Row], list[tuple[int, int]], tuple]:
    """The rows sorted by (series_id, ts), stably; each series' (start, end) in them; and the
    rows as four columns."""
    rows = sorted(rows, key=_SERIES)
    columns = tuple(zip(*rows, strict=True))
    series, times = columns[0], columns[1]
    if len(set(series)) == len(series):  # a point a series (MQTT at breadth): sorted already
        return rows, [(i, i + 1) for i in range(len(rows))], columns
    runs = []
    start, end = 0, len(rows)
    while start < end:
        stop = bisect_right(series, series[start], start)
        runs.append((start, stop))
        start = stop
    if not all(all(map(le, times[i:j], times[i + 1 : j])) for i, j in runs):
        rows.sort(key=_KEY)
        columns = tuple(zip(*rows, strict=True))
    return rows, runs, columns


def _minute_rollups(runs, series, times, values, qualities) -> list[Rollup]:
    """The minute rollups of rows in key order, with no (series_id, ts) twice, in key order."""
    graded = qualities.count(None) != len(qualities)
    minutes = []
    for start, end in runs:
        series_id = series[start]
        if end - start == 1:  # a point a series, the common case at breadth: no bisect, slices
            ts, value = times[start], values[start]
            mark = qualities[start] if graded else None
            minutes.append(
                (series_id, ts.astimezone(UTC).replace(second=0, microsecond=0), 1, value)
                + (value, value, value, ts, int(mark == _UNCERTAIN), int(mark == _BAD))
            )
            continue
        while start < end:
            bucket = times[start].astimezone(UTC).replace(second=0, microsecond=0)
            stop = bisect_left(times, bucket + _MINUTE, start, end)
            chunk = values[start:stop]
            uncertain = bad = 0
            if graded:
                marks = qualities[start:stop]
                uncertain, bad = marks.count(_UNCERTAIN), marks.count(_BAD)
            minutes.append(
                (series_id, bucket, stop - start, min(chunk), max(chunk), sum(chunk))
                + (values[stop - 1], times[stop - 1], uncertain, bad)
            )
            start = stop
    return minutes


# SQLite

_SQLITE_CHUNK = 300  # rows per INSERT: 900 parameters, under every SQLite's limit
_SQLITE_UPSERT = """
INSERT INTO {table} AS r
    (series_id, bucket, count, min, max, sum, last, last_ts, uncertain, bad,
     first_arrival, last_arrival)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (series_id, bucket) DO UPDATE SET
    count = r.count + excluded.count,
    min = min(r.min, excluded.min),
    max = max(r.max, excluded.max),
    sum = r.sum + excluded.sum,
    last = CASE WHEN excluded.last_ts > r.last_ts THEN excluded.last ELSE r.last END,
    last_ts = max(r.last_ts, excluded.last_ts),
    uncertain = r.uncertain + excluded.uncertain,
    bad = r.bad + excluded.bad,
    first_arrival = min(coalesce(r.first_arrival, r.bucket), excluded.first_arrival),
    last_arrival = max(coalesce(r.last_arrival, r.bucket), excluded.last_arrival)
"""


# A series' minutes of an hour OR-ed into its integration's `SeenMinutes` (the first WHERE
# also keeps SQLite from reading ON CONFLICT as a join's).
_SQLITE_SEEN = """
INSERT INTO integration_seenminutes AS r (integration_id, hour, minutes, on_time, arrived)
SELECT m.integration_id, %s, %s, %s, %s
FROM integration_series s JOIN integration_metric m ON m.id = s.metric_id WHERE s.id = %s
ON CONFLICT (integration_id, hour) DO UPDATE SET
    minutes = r.minutes | excluded.minutes,
    on_time = r.on_time | excluded.on_time,
    arrived = CASE WHEN r.arrived IS NOT NULL THEN max(r.arrived, excluded.arrived) END
WHERE r.minutes | excluded.minutes <> r.minutes OR r.on_time | excluded.on_time <> r.on_time
"""


def _sqlite_text(ts: datetime) -> str:
    # Django's own SQLite format (naive UTC, str()), so the ORM reads and compares these rows.
    return str(ts.astimezone(UTC).replace(tzinfo=None))


def _write_sqlite(rows: Sequence[Row], now: datetime) -> tuple[int, datetime | None]:
    texts: dict[datetime, str] = {}
    staged = []
    for series_id, ts, value, quality in rows:
        text = texts.get(ts)
        if text is None:
            text = texts[ts] = _sqlite_text(ts)
        staged.append((series_id, text, value, quality))

    inserted_keys = set()
    with connection.cursor() as cursor:
        for start in range(0, len(staged), _SQLITE_CHUNK):
            chunk = staged[start : start + _SQLITE_CHUNK]
            # CAST: a plain column would come back converted to a datetime by Django's adapter.
            cursor.execute(
                "INSERT OR IGNORE INTO integration_point (series_id, ts, value, quality) VALUES "
                + ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
                + " RETURNING series_id, CAST(ts AS TEXT)",
                [part for row in chunk for part in row],
            )
            inserted_keys.update(cursor.fetchall())
        if not inserted_keys:
            return 0, None
        inserted = []
        for row, (series_id, text, _, _) in zip(rows, staged, strict=True):
            # Of repeated rows INSERT OR IGNORE kept the first; later ones find the key gone.
            if (series_id, text) in inserted_keys:
                inserted_keys.remove((series_id, text))
                inserted.append(row)
        minutes = _rollup(
            (
                series_id,
                ts.astimezone(UTC).replace(second=0, microsecond=0),
                *(1, v, v, v, v, ts, int(quality == 1), int(quality == 2)),
            )
            for series_id, ts, v, quality in inserted
        )
        hours = _rollup(
            (series_id, bucket.replace(minute=0), *aggregate)
            for (series_id, bucket), aggregate in minutes.items()
        )
        arrival = _sqlite_text(now)
        for table, rollups in (
            ("integration_minuterollup", minutes),
            ("integration_hourrollup", hours),
        ):
            cursor.executemany(
                _SQLITE_UPSERT.format(table=table),
                [
                    (
                        *(sid, _sqlite_text(bucket), n, low, high, total, last, _sqlite_text(ts)),
                        *(u, b, arrival, arrival),
                    )
                    for (sid, bucket), (n, low, high, total, last, ts, u, b) in sorted(
                        rollups.items()
                    )
                ],
            )
        seen: dict[tuple, list[int]] = {}
        on_time = now - ON_TIME
        for series_id, bucket in minutes:
            bits = seen.setdefault((series_id, bucket.replace(minute=0)), [0, 0])
            bits[0] |= 1 << bucket.minute
            if bucket >= on_time:
                bits[1] |= 1 << bucket.minute
        cursor.executemany(
            _SQLITE_SEEN,
            [
                (_sqlite_text(hour), bits, timely, arrival, sid)
                for (sid, hour), (bits, timely) in sorted(seen.items())
            ],
        )
    newest = max(aggregate[5] for aggregate in hours.values())
    return len(inserted), newest


def _rollup(parts) -> dict[tuple, list]:
    """(series_id, bucket) -> [count, min, max, sum, last, last_ts, uncertain, bad] from
    partial aggregates."""
    acc: dict[tuple, list] = {}
    for series_id, bucket, count, low, high, total, last, last_ts, uncertain, bad in parts:
        key = (series_id, bucket)
        current = acc.get(key)
        if current is None:
            acc[key] = [count, low, high, total, last, last_ts, uncertain, bad]
            continue
        current[6] += uncertain
        current[7] += bad
        current[0] += count
        if low < current[1]:
            current[1] = low
        if high > current[2]:
            current[2] = high
        current[3] += total
        if last_ts > current[5]:
            current[4], current[5] = last, last_ts
    return acc
