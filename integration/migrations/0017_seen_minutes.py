"""`SeenMinutes`: which minutes of each hour an integration sent in, for uptime; filled from the
minute rollups already stored."""

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    # Today's code, on the table made just above: the migration adds nothing else to it.
    from integration.services.storage import seen_minutes_fill

    seen_minutes_fill()


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
