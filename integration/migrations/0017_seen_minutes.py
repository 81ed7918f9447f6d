"""`SeenMinutes`: which minutes of each hour an integration sent in, for uptime; filled from the
minute rollups already stored, as `integration.services.seenminutes.seen_minutes_fill` does
(the SQL kept here, so that later changes to that code cannot change this migration)."""

import django.db.models.deletion
from django.db import migrations, models

FILL = """
INSERT INTO integration_seenminutes (integration_id, hour, minutes)
SELECT m.integration_id, {hour}, {bits}
FROM integration_minuterollup r
JOIN integration_series s ON s.id = r.series_id
JOIN integration_metric m ON m.id = s.metric_id
WHERE TRUE
GROUP BY 1, 2
"""
HOUR_BITS = {
    "postgresql": (
        "date_bin('1 hour', r.bucket, timestamptz '2000-01-01 00:00:00+00')",
        "sum(DISTINCT 1::int8 << extract(minute FROM r.bucket AT TIME ZONE 'UTC')::int)::int8",
    ),
    "sqlite": (
        "substr(r.bucket, 1, 13) || ':00:00'",
        "sum(DISTINCT 1 << CAST(substr(r.bucket, 15, 2) AS INTEGER))",
    ),
}


def fill(apps, schema_editor):
    hour, bits = HOUR_BITS[schema_editor.connection.vendor]
    schema_editor.execute(FILL.format(hour=hour, bits=bits))


class Migration(migrations.Migration):
    dependencies = [
        ("integration", "0016_token_generation"),
    ]

    operations = [
        migrations.CreateModel(
            name="SeenMinutes",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "integration_id",
                        "hour",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("hour", models.DateTimeField()),
                ("minutes", models.BigIntegerField()),
                (
                    "integration",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="integration.integration",
                    ),
                ),
            ],
            options={"verbose_name_plural": "seen minutes"},
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
