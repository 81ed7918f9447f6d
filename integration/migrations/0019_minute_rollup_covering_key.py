"""The minute rollups' primary key also holds every column that charts and checks read, on
PostgreSQL. Rollups arrive minute by minute for every series at once, so a day of one series'
rows lies on ~1,400 heap pages, one row each; from the key's index it is a few dozen pages in
order. At 10,000 integrations with a day of data, a chart nobody read lately and the check
evaluator's minute reads both became index-only reads (docs/BENCHMARKS.md, "Rollups read from
their key"; bench/rollup_index.py). The price: the key about 1.5 times the table's size, and
updates of a rollup row no longer HOT (few were: a row's page is full of newer rows by then).

An index-only read skips the heap only for pages vacuum has marked all-visible, so autovacuum
visits this table after every 50,000 rows inserted (every ~2 minutes at 10,000 integrations of
three metrics), not after 20 % of it: with 90 days kept, that would leave weeks unmarked. A
visit skips the pages marked already.

The new key is built CONCURRENTLY (telemetry keeps arriving while a big table is indexed) and
then swapped in under a lock of at most a few seconds, tried again while queries hold the
table; so the migration is not atomic. Run again after a failure, it keeps a finished build
and drops an unfinished one. While the build runs, PostgreSQL may refuse an upsert of a row
another batch is upserting at that moment with a duplicate-key error (its documented caveat
of INSERT ... ON CONFLICT during CREATE UNIQUE INDEX CONCURRENTLY): that batch is stored
whole or not at all, and is sent again (README, "Upgrading"). SQLite: nothing to do.
"""

import time

from django.db import OperationalError, migrations, transaction

TABLE = "integration_minuterollup"
BUILT = f"{TABLE}_key_build"
COVERING = (
    "(series_id, bucket) INCLUDE (count, min, max, sum, last, last_ts, first_arrival, last_arrival)"
)
PLAIN = "(series_id, bucket)"


SWAP_TRIES = 60  # of at most LOCK_WAIT each, a second apart
LOCK_WAIT = "5s"


def swap_in(schema_editor) -> None:
    """The built index becomes the primary key, under a lock waited for LOCK_WAIT at a time."""
    for attempt in range(SWAP_TRIES):
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                schema_editor.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
                schema_editor.execute(
                    f"ALTER TABLE {TABLE} DROP CONSTRAINT {TABLE}_pkey, "
                    f"ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY USING INDEX {BUILT}"
                )
            return
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", "") != "55P03" or attempt + 1 == SWAP_TRIES:
                raise  # not a lock wait, or waited long enough: run migrate again later
            time.sleep(1)


def swap_key(columns: str, vacuum: str):
    def swap(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        execute = schema_editor.execute
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
                [BUILT],
            )
            built = cursor.fetchone()
        if built and not (built[0] and built[1].endswith(f"USING btree {columns}")):
            execute(f"DROP INDEX CONCURRENTLY {BUILT}")
            built = None
        if not built:
            execute(f"CREATE UNIQUE INDEX CONCURRENTLY {BUILT} ON {TABLE} {columns}")
        swap_in(schema_editor)
        execute(f"ALTER TABLE {TABLE} {vacuum}")

    return swap


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("integration", "0018_seen_minutes_on_time"),
    ]

    operations = [
        migrations.RunPython(
            swap_key(
                COVERING,
                "SET (autovacuum_vacuum_insert_scale_factor = 0, "
                "autovacuum_vacuum_insert_threshold = 50000)",
            ),
            swap_key(
                PLAIN,
                "RESET (autovacuum_vacuum_insert_scale_factor, autovacuum_vacuum_insert_threshold)",
            ),
        ),
    ]
