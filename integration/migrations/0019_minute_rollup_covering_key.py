"""The minute rollups' primary key also holds every column that charts and checks read, on
PostgreSQL. Rollups arrive minute by minute for every series at once, so a day of one series'
rows lies on ~1,400 heap pages, one row each; from the key's index it is a few dozen pages in
order. At 10,000 integrations with a day of data, a chart nobody read lately and the check
evaluator's minute reads both became index-only reads (docs/BENCHMARKS.md, "Rollups read from
their key"; bench/rollup_index.py). The price: the index about as large as the table, and
updates of a rollup row no longer HOT (few were: a row's page is full of newer rows by then).

An index-only read skips the heap only for pages vacuum has marked all-visible, so autovacuum
visits this table after 1 % of it was inserted, not PostgreSQL's 20 %: with a week of minute
rollups kept, 20 % would leave more than the last day's rows unmarked.

The new key is built CONCURRENTLY (writes go on while a big table is indexed) and then swapped
in (a brief lock), so the migration is not atomic. A build that failed leaves an invalid index,
dropped first when the migration is run again. SQLite: nothing to do (a rollup's row is read
from its table's b-tree either way).
"""

from django.db import migrations

TABLE = "integration_minuterollup"
BUILT = f"{TABLE}_key_build"
COVERING = (
    "(series_id, bucket) INCLUDE (count, min, max, sum, last, last_ts, first_arrival, last_arrival)"
)
PLAIN = "(series_id, bucket)"


def swap_key(columns: str, vacuum: str):
    def swap(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        execute = schema_editor.execute
        execute(f"DROP INDEX CONCURRENTLY IF EXISTS {BUILT}")
        execute(f"CREATE UNIQUE INDEX CONCURRENTLY {BUILT} ON {TABLE} {columns}")
        execute(
            f"ALTER TABLE {TABLE} DROP CONSTRAINT {TABLE}_pkey, "
            f"ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY USING INDEX {BUILT}"
        )
        execute(f"ALTER TABLE {TABLE} {vacuum}")

    return swap


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("integration", "0018_seen_minutes_on_time"),
    ]

    operations = [
        migrations.RunPython(
            swap_key(COVERING, "SET (autovacuum_vacuum_insert_scale_factor = 0.01)"),
            swap_key(PLAIN, "RESET (autovacuum_vacuum_insert_scale_factor)"),
        ),
    ]
