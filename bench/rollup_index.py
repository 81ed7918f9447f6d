"""Minute rollups with a covering primary key: what reads gain, what the ingest's upserts pay.

    .venv/bin/python bench/rollup_index.py                      # 30,000 series, 6 hours
    .venv/bin/python bench/rollup_index.py --series 3000 --hours 2 --minutes 3

PostgreSQL only. Creates its own database (--db, dropped and re-created, dropped at the end
unless --keep) with two copies of the minute rollup table (integration_minuterollup's
columns): `plain`, keyed (series_id, bucket) as before migration 0019, and `covering`, the
same key including every column charts and checks read, as after it. Both are filled alike
with --hours of one row per series and minute, minute after minute as live data arrives (so
one series' rows lie on as many heap pages as it has minutes), then VACUUM ANALYZE.

Then, the same work on each table, their order alternating:

- writes: --minutes live minutes of every series reporting every 10 s, in batches of --batch
  series as the ingest upserts them (one INSERT ... ON CONFLICT DO UPDATE of the statement's
  shape in `services.storage`, rows in key order): the first batch of a minute inserts, the
  five after it update. Time per minute, WAL written, share of HOT updates.
- reads, of --reads series picked at random, each first read (its pages not in PostgreSQL's
  buffers: the table is larger than they are) and read again: a chart's (`services.series.
  _rollups`: the series' buckets over the filled hours) and a check's (`services.checkreads`:
  its buckets in 5-minute groups with the value of the newest point and the arrivals).

A benchmark, never a test.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.serving import PG, check_database_name, drop_database, recreate_database  # noqa: E402

TABLES = {
    "plain": "PRIMARY KEY (series_id, bucket)",
    "covering": "PRIMARY KEY (series_id, bucket) INCLUDE (count, min, max, sum, last, last_ts, "
    "first_arrival, last_arrival)",
}
COLUMNS = """(series_id bigint NOT NULL, bucket timestamptz NOT NULL, count integer NOT NULL,
    min double precision NOT NULL, max double precision NOT NULL, sum double precision NOT NULL,
    last double precision NOT NULL, last_ts timestamptz NOT NULL, uncertain integer NOT NULL
    DEFAULT 0, bad integer NOT NULL DEFAULT 0, first_arrival timestamptz,
    last_arrival timestamptz, {key})"""
# The ingest's upsert (`services.storage._UPSERTS`, its SET clause verbatim), rows from arrays.
UPSERT = """
INSERT INTO {table} AS r (series_id, bucket, count, min, max, sum, last, last_ts, uncertain,
    bad, first_arrival, last_arrival)
SELECT s, %(bucket)s, 1, v, v, v, v, %(ts)s, 0, 0, %(now)s, %(now)s
FROM unnest(%(series)s::bigint[], %(values)s::float8[]) AS x(s, v) ORDER BY s
ON CONFLICT (series_id, bucket) DO UPDATE SET
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
READS = {
    "chart": """
SELECT bucket, CAST(sum(count) AS BIGINT), min(min), max(max), sum(sum) FROM {table}
WHERE series_id IN (%(series)s) AND bucket >= %(low)s AND bucket < %(high)s
GROUP BY bucket ORDER BY bucket""",
    # `services.checkreads._SELECT`'s shape for one series, as_of the read's end.
    "check": """
SELECT k, sum(count), min(min), max(max), sum(sum), max(last_value), max(last_ts),
       min(first_arrival), max(last_arrival)
FROM (
    SELECT EXTRACT(EPOCH FROM bucket)::bigint / 300 AS k, count, min, max, sum, last_ts,
           first_value(last) OVER (PARTITION BY EXTRACT(EPOCH FROM bucket)::bigint / 300
                                   ORDER BY last_ts DESC) AS last_value,
           coalesce(first_arrival, bucket) AS first_arrival,
           coalesce(last_arrival, bucket) AS last_arrival
    FROM {table}
    WHERE series_id IN (%(series)s) AND bucket >= %(low)s AND bucket < %(high)s
      AND coalesce(first_arrival, bucket) <= %(high)s
) grouped
GROUP BY k""",
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=30_000, help="10,000 integrations of 3")
    parser.add_argument("--hours", type=int, default=6, help="filled before the run")
    parser.add_argument("--minutes", type=int, default=6, help="live minutes written")
    parser.add_argument("--batch", type=int, default=300, help="series per ingest batch")
    parser.add_argument("--reads", type=int, default=40)
    parser.add_argument("--db", default="rollup_index_bench")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    check_database_name(parser, args.db)
    if not (1 <= args.series <= 1_000_000 and 1 <= args.hours <= 48 and args.minutes >= 1):
        parser.error("--series 1 to 1,000,000, --hours 1 to 48, --minutes at least 1")
    return args


def fill(db, args, start: datetime) -> None:
    for table, key in TABLES.items():
        began = time.perf_counter()
        db.execute(f"CREATE TABLE {table} {COLUMNS.format(key=key)}")
        db.execute(
            f"""INSERT INTO {table} (series_id, bucket, count, min, max, sum, last, last_ts,
                first_arrival, last_arrival)
            SELECT s, b, 6, 20, 22, 126, 21, b + interval '50 s', b + interval '1 minute',
                   b + interval '1 minute'
            FROM generate_series(%s::timestamptz, %s, '1 minute') b,
                 generate_series(1, %s) s
            ORDER BY b, s""",
            [start, start + timedelta(hours=args.hours, minutes=-1), args.series],
        )
        db.execute(f"VACUUM ANALYZE {table}")
        print(f"filled {table} in {time.perf_counter() - began:.0f} s")


def write_minute(db, table: str, bucket: datetime, args, rnd) -> tuple[float, int]:
    """One live minute of every series, six rounds of batches: (seconds, WAL bytes)."""
    lsn = db.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]
    began = time.perf_counter()
    for round_ in range(6):
        ts = bucket + timedelta(seconds=10 * round_)
        for low in range(1, args.series + 1, args.batch):
            series = list(range(low, min(low + args.batch, args.series + 1)))
            values = [20 + rnd.random() * 2 for _ in series]
            with db.transaction():
                db.execute(
                    UPSERT.format(table=table),
                    {"bucket": bucket, "ts": ts, "now": ts, "series": series, "values": values},
                )
    seconds = time.perf_counter() - began
    wal = db.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)", [lsn]).fetchone()[0]
    return seconds, int(wal)


def read(db, sql: str, table: str, series: int, low: datetime, high: datetime) -> float:
    began = time.perf_counter()
    db.execute(sql.format(table=table), {"series": series, "low": low, "high": high}).fetchall()
    return time.perf_counter() - began


def main() -> None:
    import psycopg

    args = parse_args()
    rnd = random.Random(args.seed)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = now - timedelta(hours=args.hours)
    recreate_database(args.db)
    try:
        with psycopg.connect(f"{PG}/{args.db}", autocommit=True) as db:
            fill(db, args, start)
            times = {table: [] for table in TABLES}
            wal = {table: 0 for table in TABLES}
            for minute in range(args.minutes):
                order = list(TABLES) if minute % 2 == 0 else list(TABLES)[::-1]
                for table in order:
                    seconds, written = write_minute(
                        db, table, now + timedelta(minutes=minute), args, random.Random(minute)
                    )
                    times[table].append(seconds)
                    wal[table] += written
            print(
                f"\n{args.series:,} series, {args.hours} h filled, {args.minutes} live "
                f"minutes in batches of {args.batch}\n"
            )
            print(
                "| table | upserts per live minute, median s | WAL per minute | HOT updates "
                "| index | heap |"
            )
            print("|---|--:|--:|--:|--:|--:|")
            for table in TABLES:
                upd, hot, index, heap = db.execute(
                    """SELECT n_tup_upd, n_tup_hot_upd,
                              pg_size_pretty(pg_relation_size(%s::regclass)),
                              pg_size_pretty(pg_relation_size(relid))
                       FROM pg_stat_user_tables WHERE relname = %s""",
                    [f"{table}_pkey", table],
                ).fetchone()
                print(
                    f"| {table} | {statistics.median(times[table]):.2f} | "
                    f"{wal[table] / args.minutes / 2**20:.0f} MB | {hot / max(upd, 1):.0%} | "
                    f"{index} | {heap} |"
                )
            picks = iter(rnd.sample(range(1, args.series + 1), args.reads * 4))
            high = now + timedelta(minutes=args.minutes)
            print("\n| read | table | first read, median / p90 ms | read again, median ms |")
            print("|---|---|--:|--:|")
            for name, sql in READS.items():
                for table in TABLES:
                    first, again = [], []
                    for _ in range(args.reads):
                        series = next(picks)
                        first.append(read(db, sql, table, series, start, high))
                        again.append(read(db, sql, table, series, start, high))
                    first.sort()
                    print(
                        f"| {name} | {table} | {statistics.median(first) * 1e3:.1f} / "
                        f"{first[int(len(first) * 0.9)] * 1e3:.1f} | "
                        f"{statistics.median(again) * 1e3:.1f} |"
                    )
    finally:
        if not args.keep:
            drop_database(args.db)


if __name__ == "__main__":
    main()
