"""Revoking, deleting or re-keying an ingest token bumps the ingest generation, as pausing an integration
does: HTTP workers keep the tokens they authenticated (`IngestCache.tokens`) until it moves.
Written by hand, with 0014's trigger writers."""

from importlib import import_module

from django.db import migrations

first = import_module("integration.migrations.0014_ingest_generation")

# (trigger, table, event, the columns an UPDATE must change to count), as in 0014
WATCHED = [
    (
        "ingesttoken_changed",
        "integration_ingesttoken",
        "UPDATE",
        ["revoked", "hash", "integration_id"],
    ),
    ("ingesttoken_deleted", "integration_ingesttoken", "DELETE", []),
]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":  # 0014 created the function the triggers call
        statements = [first._postgresql(*w) for w in WATCHED]
    elif vendor == "sqlite":
        statements = [first._sqlite(*w) for w in WATCHED]
    else:
        raise NotImplementedError(f"no ingest generation triggers for {vendor}")
    for statement in statements:
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for name, table, _, _ in WATCHED:
        on = f" ON {table}" if postgresql else ""
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}{on}")


class Migration(migrations.Migration):
    dependencies = [
        ("integration", "0015_listener_dropped"),
    ]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers),
    ]
