"""Bulk writes of raw points with their rollups, one way per database; call inside a transaction.

PostgreSQL: binary COPY into a temporary staging table, then one statement inserts the staged
rows and folds exactly the inserted ones (RETURNING) into the minute and hour rollups. The
insert is optimistic: a plain INSERT (about 1.4 times faster than ON CONFLICT, measured), and
only when it meets a stored key (a retry, or the same point twice in the batch) the savepoint
is rolled back and the batch goes again with ON CONFLICT DO NOTHING, the first of repeated
points winning. COPY itself cannot skip duplicates. Rows are inserted and rollups upserted in
key order, so concurrent batches lock in the same order and cannot deadlock (the points before
the rollups in every statement: keep the rollups reading the RETURNING of the insert). Buckets
are `date_bin` from a UTC midnight: the same as `date_trunc` in UTC for minutes and hours,
without a time zone conversion per row (13 % of the statement's CPU, docs/BENCHMARKS.md).

SQLite: multi-row INSERT OR IGNORE ... RETURNING gives the inserted rows; their rollups are
summed in Python and upserted. SQLite runs one writer at a time (IMMEDIATE transactions).

Both stamp each rollup they touch with the batch's arrival (`now`, one parameter of the same
statement): `first_arrival` keeps the earliest, `last_arrival` the latest. A row stored before
arrival was kept (NULL) counts as arrived at its bucket time, so a late batch cannot make its
history look recent. Checks (`integration.checks`) judge a window on what had arrived by then.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from django.db import IntegrityError, connection, transaction

__all__ = ["points_write"]

# (series_id, ts, value, quality): quality is NULL for good, else a `QUALITY_CODES` code.
Row = tuple[int, datetime, float, int | None]

STAGE = "integration_point_stage"
_ORIGIN = "timestamptz '2000-01-01 00:00:00+00'"

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
           count(*) FILTER (WHERE quality = 2) AS bad,
           %(now)s::timestamptz AS first_arrival, %(now)s::timestamptz AS last_arrival
    FROM inserted GROUP BY 1, 2
), minute_rollups AS (
    INSERT INTO integration_minuterollup AS r
        (series_id, bucket, count, min, max, sum, last, last_ts, uncertain, bad,
         first_arrival, last_arrival)
    SELECT * FROM minutes ORDER BY series_id, bucket
    ON CONFLICT (series_id, bucket) DO UPDATE SET {rollup_set}
), hour_rollups AS (
    INSERT INTO integration_hourrollup AS r
        (series_id, bucket, count, min, max, sum, last, last_ts, uncertain, bad,
         first_arrival, last_arrival)
    SELECT series_id, date_bin('1 hour', bucket, {origin}), sum(count), min(min), max(max),
           sum(sum), (array_agg(last ORDER BY last_ts DESC))[1], max(last_ts),
           sum(uncertain), sum(bad), %(now)s::timestamptz, %(now)s::timestamptz
    FROM minutes GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (series_id, bucket) DO UPDATE SET {rollup_set}
)
SELECT coalesce(sum(count), 0)::bigint, max(last_ts) FROM minutes
"""
POSTGRESQL_INSERT = _POSTGRESQL_INSERT.format(
    stage=STAGE, on_conflict="", rollup_set=_ROLLUP_SET, origin=_ORIGIN
)
POSTGRESQL_INSERT_NEW_ONLY = _POSTGRESQL_INSERT.format(
    stage=STAGE, on_conflict="ON CONFLICT DO NOTHING", rollup_set=_ROLLUP_SET, origin=_ORIGIN
)


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
    with connection.cursor() as cursor:
        # Created once per database session; emptied at commit and here (inside an outer
        # transaction, e.g. a test's, an earlier batch's rows would still be there).
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} "
            "(series_id bigint, ts timestamptz, value float8, quality int2, n int4) "
            "ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"DELETE FROM {STAGE}")
        copy_sql = f"COPY {STAGE} (series_id, ts, value, quality, n) FROM STDIN (FORMAT BINARY)"
        with cursor.copy(copy_sql) as copy:
            copy.set_types(["int8", "timestamptz", "float8", "int2", "int4"])
            write_row = copy.write_row
            for n, row in enumerate(rows):
                write_row((*row, n))
        try:
            with transaction.atomic():
                cursor.execute(POSTGRESQL_INSERT, {"now": now})
        except IntegrityError:
            cursor.execute(POSTGRESQL_INSERT_NEW_ONLY, {"now": now})
        accepted, newest = cursor.fetchone()
    return accepted, newest


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
