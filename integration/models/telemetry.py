"""Telemetry storage: series, raw points, minute and hour rollups, and health events.

- `Series`: one row per (metric, labels); labels are canonical JSON text (sorted keys).
- `Point`: the narrow raw table, primary key (series, ts), so a retried point is stored once.
  On PostgreSQL it is partitioned by day on `ts` (created by raw SQL in the migration, kept by
  `manage.py telemetry_partitions`); its series column has no database foreign key, so bulk
  writes pay no per-row check (Django still cascades deletes, with one DELETE statement).
- `MinuteRollup` / `HourRollup`: count, min, max, sum and last per series and bucket, updated
  in the same transaction as the raw points, so they always agree with them.

Heartbeats are points of the reserved metric `_ping` (1 = ok, 0 = fail), so they share the
dedup, the rollups (error rate = 1 - sum / count) and `Integration.last_seen`.
"""

from datetime import timedelta

from django.db import models
from django.utils import timezone

from integration import health
from integration.models.integration import QUALITY_CHOICES, STATUS_CHOICES, Integration, Metric


class Series(models.Model):
    """One metric with one set of labels: what raw points and rollups hang off."""

    ORG_FIELD = "metric__integration__organization"

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="series")
    # Canonical JSON of the labels (keys sorted, no spaces), "{}" when there are none.
    labels = models.TextField(default="{}")

    class Meta:
        verbose_name_plural = "series"
        constraints = [
            models.UniqueConstraint(fields=["metric", "labels"], name="unique_series_labels")
        ]

    def __str__(self):
        return f"{self.metric.name}{self.labels if self.labels != '{}' else ''}"


class Point(models.Model):
    """A raw value. The table is created by SQL in the migration (partitioned on PostgreSQL)."""

    pk = models.CompositePrimaryKey("series_id", "ts")
    # The primary key (series_id, ts) is the index; no separate one.
    series = models.ForeignKey(
        Series, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )
    ts = models.DateTimeField()
    value = models.FloatField()
    # Data quality as the device reported it (`integration.quality`); NULL is good.
    quality = models.SmallIntegerField(null=True, blank=True, choices=QUALITY_CHOICES)

    def __str__(self):
        return f"{self.ts:%Y-%m-%d %H:%M:%S} {self.value:g}"


class Rollup(models.Model):
    """Aggregate of a series' points in one bucket (a minute or an hour)."""

    pk = models.CompositePrimaryKey("series_id", "bucket")
    series = models.ForeignKey(Series, on_delete=models.CASCADE, db_index=False, related_name="+")
    bucket = models.DateTimeField()
    count = models.IntegerField()
    min = models.FloatField()
    max = models.FloatField()
    sum = models.FloatField()
    last = models.FloatField()
    last_ts = models.DateTimeField()
    # Of `count`, the readings their device reported as uncertain or bad; the rest are good.
    uncertain = models.IntegerField(db_default=0)
    bad = models.IntegerField(db_default=0)
    # When the bucket's points arrived (the ingest's `now`): the first and the latest batch.
    # NULL on rows stored before arrival was kept: read as arrived at their bucket time.
    first_arrival = models.DateTimeField(null=True, blank=True)
    last_arrival = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.bucket:%Y-%m-%d %H:%M} n={self.count} avg={self.avg:g}"

    @property
    def avg(self) -> float:
        return self.sum / self.count

    @property
    def good(self) -> int:
        return self.count - self.uncertain - self.bad


class MinuteRollup(Rollup):  # noqa: DJ008 (Rollup's __str__)
    """On PostgreSQL its primary key also holds the columns charts and checks read, so that
    they read the index alone (migration 0019)."""

    STEP = timedelta(minutes=1)


class HourRollup(Rollup):  # noqa: DJ008
    STEP = timedelta(hours=1)


class SeenMinutes(models.Model):
    """The minutes of one UTC hour in which an integration sent anything (any metric, its
    heartbeats too): bit m of `minutes` is set for minute m.

    What uptime counts (`services.series.telemetry_uptimes`), an hour in one row rather than
    one minute rollup per series and minute: a day of a list page of 50 integrations is 1,200
    rows, not ~240,000. OR-ed in by the statement that writes the minute rollups
    (`services.storage`), so it agrees with them; kept as long as they are
    (`services.retention`). A metric deleted in the admin has them counted again from the
    rollups left (`services.seen_minutes_recount`), so that uptime counts what they hold.

    `on_time` has the bits of the minutes of which a point arrived at most
    `checks.LAG_TOLERANCE` after the minute's end, what an uptime check counts
    (`services.checkminutes`); `arrived`, when the newest data the bits hold arrived (the arrival of
    the write that last changed them): a check judged at an earlier time reads the rollups.
    """

    pk = models.CompositePrimaryKey("integration_id", "hour")
    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, db_index=False, related_name="+"
    )
    hour = models.DateTimeField()
    minutes = models.BigIntegerField()
    on_time = models.BigIntegerField(db_default=0)  # processes of before it insert without
    arrived = models.DateTimeField(null=True)

    class Meta:
        verbose_name_plural = "seen minutes"

    def __str__(self):
        return f"{self.hour:%Y-%m-%d %H}:00 {self.minutes.bit_count()} minutes"


class HealthEvent(models.Model):
    """A change of an integration's status (e.g. up -> down), recorded by telemetry_health."""

    ORG_FIELD = "integration__organization"
    Status = health.Status

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="health_events"
    )
    previous = models.CharField("from", max_length=10, choices=STATUS_CHOICES)
    status = models.CharField("to", max_length=10, choices=STATUS_CHOICES)
    at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["integration", "-at"], name="healthevent_integration_at")]

    def __str__(self):
        return f"{self.integration}: {self.previous} -> {self.status} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def is_down(self) -> bool:
        return health.is_down_event(health.Status(self.previous), health.Status(self.status))

    @property
    def is_recovery(self) -> bool:
        return health.is_recovery_event(health.Status(self.previous), health.Status(self.status))


class IngestGeneration(models.Model):
    """One row whose `value` database triggers bump when what ingest caches changes: an
    integration paused, unpaused or deleted; a metric or series renamed, moved or deleted.

    Long-running writers (the MQTT listener's `IngestCache`) read it once a batch and forget
    what they remembered when it moved. Triggers, not code, so that no path (a page, the admin,
    a shell, a cascade) can forget to bump it; created in migration 0014.
    """

    value = models.BigIntegerField(default=0)

    def __str__(self):
        return f"ingest generation {self.value}"

    @classmethod
    def current(cls) -> int | None:
        return cls.objects.filter(pk=1).values_list("value", flat=True).first()
