"""`SeenMinutes.on_time` and `arrived`, what uptime checks read: filled in for the rows already
stored from their minute rollups, as `integration.services.seenminutes.seen_minutes_fill` does
(the SQL kept here, so that later changes to that code cannot change this migration). A row
left without rollups (minutes of metrics deleted since) is deleted: uptime counts what the
rollups hold, as uptime checks do."""

from django.db import migrations, models

FILL = """
UPDATE integration_seenminutes AS t SET on_time = f.on_time, arrived = f.arrived
FROM (
    SELECT m.integration_id, {hour} AS hour, {on_time} AS on_time,
           max(coalesce(r.first_arrival, r.bucket)) AS arrived
    FROM integration_minuterollup r
    JOIN integration_series s ON s.id = r.series_id
    JOIN integration_metric m ON m.id = s.metric_id
    GROUP BY 1, 2
) f
WHERE t.integration_id = f.integration_id AND t.hour = f.hour
"""
SQL = {
    "postgresql": {
        "hour": "date_bin('1 hour', r.bucket, timestamptz '2000-01-01 00:00:00+00')",
        "on_time": "coalesce(sum(DISTINCT 1::int8 << extract(minute FROM r.bucket AT TIME ZONE "
        "'UTC')::int) FILTER (WHERE coalesce(r.first_arrival, r.bucket) <= r.bucket "
        "+ interval '960 s'), 0)::int8",
    },
    "sqlite": {
        "hour": "substr(r.bucket, 1, 13) || ':00:00'",
        "on_time": "sum(DISTINCT CASE WHEN coalesce(r.first_arrival, r.bucket) <= "
        "datetime(r.bucket, '+960 seconds') THEN 1 << CAST(substr(r.bucket, 15, 2) AS INTEGER) "
        "ELSE 0 END)",
    },
}


def fill(apps, schema_editor):
    schema_editor.execute(FILL.format(**SQL[schema_editor.connection.vendor]))
    schema_editor.execute("DELETE FROM integration_seenminutes WHERE arrived IS NULL")


class Migration(migrations.Migration):
    dependencies = [
        ("integration", "0017_seen_minutes"),
    ]

    operations = [
        migrations.AddField(
            model_name="seenminutes",
            name="arrived",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="seenminutes",
            name="on_time",
            field=models.BigIntegerField(db_default=0),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
