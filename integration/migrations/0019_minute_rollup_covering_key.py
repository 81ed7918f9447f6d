"""The minute rollups' primary key also holds what a chart reads (count, min, max, sum), on
PostgreSQL: a day's chart of a series is then read from ~10 pages of the key's index instead of
~1,400 heap pages of one row each (rollups arrive minute by minute for every series at once).
At 10,000 integrations with a day of data: 21 ms (p90 55 ms) → 2.5 ms for a chart nobody read
lately, for about 15 % more database time per rollup upsert (docs/BENCHMARKS.md, "The chart
read from the index"; bench/rollup_index.py).

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
COVERING = "(series_id, bucket) INCLUDE (count, min, max, sum)"
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
