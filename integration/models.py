"""Integrations, their ingest tokens, metrics and the telemetry they push.

Storage (see `integration.services.storage` for how rows are written):

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

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from accounts.models import Organization
from integration import health, quality

PING_METRIC = "_ping"
# Metric names starting with this are Ladder's own (e.g. heartbeats); clients cannot send them.
RESERVED_PREFIX = "_"
# Stored codes of the qualities other than good (NULL); storage writes them in bulk SQL.
QUALITY_CODES = {quality.UNCERTAIN: 1, quality.BAD: 2}
QUALITY_CHOICES = [(code, name) for name, code in QUALITY_CODES.items()]
STATUS_CHOICES = [(status.value, status.value.capitalize()) for status in health.Status]
# Health counts a flow as up until interval + grace have passed without data: uncapped, one
# ping would keep it "up" for years. A day each covers daily batch jobs.
MIN_INTERVAL_SECONDS = 60
MAX_INTERVAL_SECONDS = 24 * 3600
MAX_GRACE_SECONDS = 24 * 3600
# At least this much of the latest readings decide whether an integration is degraded.
QUALITY_WINDOW_MIN = timedelta(minutes=10)


# A Sparkplug id is one MQTT topic level: no wildcard, no separator, no control character.
sparkplug_id_validator = RegexValidator(
    r"\A[^+#/\x00-\x1f\x7f]*\Z",
    "No '+', '#', '/' or control characters: it is one level of an MQTT topic.",
)


class IntegrationQuerySet(models.QuerySet):
    def for_user(self, user):
        """Integrations of every organisation `user` is a member of (none when anonymous)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(organization__memberships__user=user)


class Integration(models.Model):
    """A data flow of an organisation (e.g. press line 3 vibration sensors to the CMMS)."""

    ORG_FIELD = "organization"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="integrations"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    source_system = models.CharField(max_length=120, blank=True)
    target_system = models.CharField(max_length=120, blank=True)
    interval_seconds = models.PositiveIntegerField(
        "expected interval (seconds)",
        default=300,
        validators=[
            MinValueValidator(MIN_INTERVAL_SECONDS),
            MaxValueValidator(
                MAX_INTERVAL_SECONDS, f"Must be at most a day ({MAX_INTERVAL_SECONDS})."
            ),
        ],
        help_text="How often data is expected; at least a minute, at most a day.",
    )
    grace_seconds = models.PositiveIntegerField(
        "grace period (seconds)",
        default=300,
        validators=[
            MaxValueValidator(MAX_GRACE_SECONDS, f"Must be at most a day ({MAX_GRACE_SECONDS}).")
        ],
        help_text="How long after a missed interval the integration still counts as late; "
        "at most a day.",
    )
    paused = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    # Caches kept by the ingest service, so health needs no scan of the points.
    last_seen = models.DateTimeField(null=True, blank=True, editable=False)
    last_failed = models.DateTimeField(null=True, blank=True, editable=False)
    # Set by `manage.py telemetry_health` while most recent readings are not good.
    degraded_since = models.DateTimeField(null=True, blank=True, editable=False)
    # The status last recorded by `manage.py telemetry_health` and since when ("" = none yet).
    # Processes claim a transition with a conditional UPDATE on these two fields, so each one
    # is recorded and emailed once however many run at the same time.
    last_status = models.CharField(
        max_length=10, blank=True, choices=STATUS_CHOICES, editable=False
    )
    last_status_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A Sparkplug B edge node (and optionally one of its devices) whose metrics this is;
    # blank: none. See `integration.sparkplug`.
    # Every binding of one (group, node) belongs to one organisation (`clean()`): the broker
    # lets the node's integration publish for all of its devices.
    sparkplug_group = models.CharField(
        "Sparkplug group id", max_length=200, blank=True, validators=[sparkplug_id_validator]
    )
    sparkplug_node = models.CharField(
        "Sparkplug edge node id", max_length=200, blank=True, validators=[sparkplug_id_validator]
    )
    sparkplug_device = models.CharField(
        "Sparkplug device id", max_length=200, blank=True, validators=[sparkplug_id_validator]
    )

    objects = IntegrationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="unique_integration_name"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    interval_seconds__gte=MIN_INTERVAL_SECONDS,
                    interval_seconds__lte=MAX_INTERVAL_SECONDS,
                ),
                name="integration_interval_range",
            ),
            models.CheckConstraint(
                condition=models.Q(grace_seconds__lte=MAX_GRACE_SECONDS),
                name="integration_grace_at_most_a_day",
            ),
            models.UniqueConstraint(
                fields=["sparkplug_group", "sparkplug_node", "sparkplug_device"],
                condition=~models.Q(sparkplug_group=""),
                name="unique_sparkplug_binding",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        group, node, device = self.sparkplug_group, self.sparkplug_node, self.sparkplug_device
        if (device or node) and not group:
            raise ValidationError({"sparkplug_group": "Needed for an edge node binding."})
        if group and not node:
            raise ValidationError({"sparkplug_node": "Needed for a Sparkplug binding."})
        if group and self.organization_id is not None:
            others = Integration.objects.filter(sparkplug_group=group, sparkplug_node=node)
            if others.exclude(pk=self.pk).exclude(organization_id=self.organization_id).exists():
                raise ValidationError(
                    {"sparkplug_node": "This edge node is bound to another organisation."}
                )

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=self.interval_seconds)

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self.grace_seconds)

    @property
    def quality_window(self) -> timedelta:
        """The recent readings whose quality decides whether it is degraded."""
        return max(self.interval + self.grace, QUALITY_WINDOW_MIN)

    @property
    def sparkplug_binding(self) -> str:
        """GROUP/EDGE[/DEVICE], or "" when not bound to a Sparkplug edge node."""
        parts = [self.sparkplug_group, self.sparkplug_node, self.sparkplug_device]
        return "/".join(part for part in parts if part)

    def status(self, *, now: datetime) -> health.Status:
        """new / up / degraded / late / down / paused at `now`, from the cached last point, fail
        ping and data quality."""
        return health.status(
            last_seen=self.last_seen,
            last_failed=self.last_failed,
            interval=self.interval,
            grace=self.grace,
            paused=self.paused,
            now=now,
            degraded=self.degraded_since is not None,
        )


class Metric(models.Model):
    """A metric name of an integration; created on first sight by the ingest service."""

    ORG_FIELD = "integration__organization"
    MAX_NAME_LENGTH = 200

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="metrics")
    name = models.CharField(max_length=MAX_NAME_LENGTH)
    unit = models.CharField(max_length=30, blank=True)
    expected_min = models.FloatField(null=True, blank=True)
    expected_max = models.FloatField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "name"], name="unique_metric_name")
        ]

    def __str__(self):
        return f"{self.name} ({self.unit})" if self.unit else self.name


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class TokenManager(models.Manager):
    PREFIX = "ldr_"
    LAST_USED_EVERY = timedelta(minutes=1)

    def issue(self, *, integration, name="", now=None) -> tuple["Token", str]:
        """A new token and its plain text, which is shown once and never stored."""
        raw = self.PREFIX + secrets.token_urlsafe(32)
        token = self.create(
            integration=integration,
            name=name,
            hint=raw[: len(self.PREFIX) + 4],
            hash=token_hash(raw),
            created=now or timezone.now(),
        )
        return token, raw

    def authenticate(self, raw: str, *, now) -> "Token | None":
        """The live token for `raw` with its integration, or None; notes `last_used` cheaply."""
        if not raw.startswith(self.PREFIX) or len(raw) > 100:
            return None
        token = (
            self.select_related("integration")
            .filter(hash=token_hash(raw), revoked__isnull=True)
            .first()
        )
        if token is None:
            return None
        # At most one write a minute per token, not one per request.
        if token.last_used is None or now - token.last_used >= self.LAST_USED_EVERY:
            self.filter(pk=token.pk).update(last_used=now)
            token.last_used = now
        return token


class Token(models.Model):
    """A secret of one integration, stored as a SHA-256 hash only; its plain text is shown once.
    Each kind has its own table and prefix, so one kind is never accepted as the other."""

    ORG_FIELD = "integration__organization"
    LABEL = "token"  # what a nameless one is called

    name = models.CharField(max_length=120, blank=True)
    hint = models.CharField(max_length=12, editable=False, help_text="The token's first letters.")
    hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    revoked = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True
        ordering = ["-created"]

    def __str__(self):
        return f"{self.name or self.LABEL} {self.hint}…"

    @property
    def is_active(self) -> bool:
        return self.revoked is None

    def revoke(self, *, now=None) -> None:
        """Refuse this token from now on; revoking twice keeps the first time."""
        if self.revoked is None:
            self.revoked = now or timezone.now()
            self.save(update_fields=["revoked"])


class IngestToken(Token):
    """A secret an integration sends with its data (`ldr_...`)."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="tokens")
    # Since when the broker has this token as its integration's MQTT password (the newest one
    # pushed: the broker holds one password per username); see integration.mqtt.brokerauth.
    on_broker = models.DateTimeField(null=True, blank=True, editable=False)

    objects = TokenManager()

    class Meta(Token.Meta):
        pass


class ReadTokenManager(TokenManager):
    PREFIX = "ldr_read_"


class ReadToken(Token):
    """A secret that reads one integration's series and metrics (dashboards such as Grafana,
    `ldr_read_...`); it can never write: ingest looks tokens up in IngestToken's table only."""

    LABEL = "read token"

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="read_tokens"
    )
    hint = models.CharField(max_length=16, editable=False, help_text="The token's first letters.")

    objects = ReadTokenManager()

    class Meta(Token.Meta):
        pass


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
    STEP = timedelta(minutes=1)


class HourRollup(Rollup):  # noqa: DJ008
    STEP = timedelta(hours=1)


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


class MqttCount(models.Model):
    """What the MQTT listeners did with one integration's messages in one hour.

    Written by `integration.mqtt.ingest` in the transaction of each batch (one UPDATE per
    integration per batch); the integration page shows the last 24 hours.
    """

    ORG_FIELD = "integration__organization"
    # Column, label: the outcomes a message can have, in the order the page lists them.
    OUTCOMES = {
        "messages": "Stored messages",
        "points": "Points in them (repeats included)",
        "bad_payload": "Refused: bad payload (not JSON or line protocol, not UTF-8)",
        "too_large": "Refused: too large (bytes or points over the limits)",
        "invalid_point": "Refused: invalid point (NaN, time out of range, bad name or label)",
        "too_many_metrics": "Refused: too many metrics or series",
        "paused": "Refused: integration paused",
        "retained": "Ignored: retained (the broker's copy of an old message, not new data)",
        "sparkplug_gaps": "Sparkplug: messages lost (gaps in the sequence numbers)",
        "rebirths": "Sparkplug: rebirths requested (sequence gap or unknown alias)",
    }
    SPARKPLUG_OUTCOMES = {"sparkplug_gaps", "rebirths"}  # shown for bound integrations only

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="mqtt_counts"
    )
    hour = models.DateTimeField()
    messages = models.PositiveBigIntegerField(default=0)
    points = models.PositiveBigIntegerField(default=0)
    bad_payload = models.PositiveBigIntegerField(default=0)
    too_large = models.PositiveBigIntegerField(default=0)
    invalid_point = models.PositiveBigIntegerField(default=0)
    too_many_metrics = models.PositiveBigIntegerField(default=0)
    paused = models.PositiveBigIntegerField(default=0)
    retained = models.PositiveBigIntegerField(default=0)
    sparkplug_gaps = models.PositiveBigIntegerField(default=0)
    rebirths = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["integration", "hour"], name="unique_mqtt_count_hour")
        ]

    def __str__(self):
        return f"{self.integration_id} {self.hour:%Y-%m-%d %H:00}"

    @classmethod
    def totals(cls, *, integration, since: datetime) -> dict[str, int]:
        """Each outcome's messages (and points) from the hour holding `since` on; one query."""
        hour = since.replace(minute=0, second=0, microsecond=0)
        rows = cls.objects.filter(integration=integration, hour__gte=hour)
        sums = rows.aggregate(**{column: models.Sum(column) for column in cls.OUTCOMES})
        return {column: sums[column] or 0 for column in cls.OUTCOMES}


class MqttStrayCount(models.Model):
    """Messages a listener received that belong to no integration, per hour (the admin shows
    them): a topic under the prefix that is not `<prefix>/<integration id>/telemetry`, or the
    id of no integration. Also logged by the listener, at most once a minute per topic pattern.
    """

    listener = models.CharField(max_length=200, help_text="The listener's MQTT client id.")
    hour = models.DateTimeField()
    unknown_topic = models.PositiveBigIntegerField(default=0)
    unknown_integration = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-hour", "listener"]
        constraints = [
            models.UniqueConstraint(fields=["listener", "hour"], name="unique_mqtt_stray_hour")
        ]

    def __str__(self):
        return f"{self.listener} {self.hour:%Y-%m-%d %H:00}"


class MqttListener(models.Model):
    """A listener client id the broker may hold a persistent session for, and its heartbeat.

    A running listener writes `last_seen` every `MqttListener.HEARTBEAT` seconds. Mosquitto
    keeps sending a share of the telemetry to the session of a member of the group that is not
    running, so an id not retired and not seen for a while strands messages: it is *stale*
    (`telemetry_listeners` and the admin say so) until it runs again or is retired.
    """

    HEARTBEAT = 30  # seconds between heartbeats
    ALIVE = timedelta(seconds=3 * HEARTBEAT)  # seen this recently: its process is running
    STALE_AFTER = timedelta(minutes=5)

    RUNNING, STOPPED, STALE, RETIRED = "running", "stopped", "stale", "retired"

    client_id = models.CharField(max_length=200, unique=True)
    group = models.CharField(max_length=200, help_text="Its shared subscription group.")
    started = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    stopped = models.DateTimeField(
        null=True, blank=True, help_text="Stopped with its session kept (a restart is expected)."
    )
    retired = models.DateTimeField(
        null=True, blank=True, help_text="Its session drained and ended: nothing waits for it."
    )

    class Meta:
        ordering = ["client_id"]

    def __str__(self):
        return self.client_id

    def state(self, *, now: datetime, stale_after: timedelta = STALE_AFTER) -> str:
        """`retired`, `stale` (session kept, not seen for `stale_after`), `stopped` or `running`."""
        if self.retired is not None:
            return self.RETIRED
        if self.last_seen is None or now - self.last_seen > stale_after:
            return self.STALE
        return self.STOPPED if self.stopped is not None else self.RUNNING

    def is_alive(self, *, now: datetime) -> bool:
        """Whether its process looks like it is running (a recent heartbeat, not stopped)."""
        return self.state(now=now, stale_after=self.ALIVE) == self.RUNNING

    @classmethod
    def note_started(cls, *, client_id: str, group: str, now: datetime) -> None:
        cls.objects.update_or_create(
            client_id=client_id,
            defaults={
                "group": group,
                "started": now,
                "last_seen": now,
                "stopped": None,
                "retired": None,
            },
        )

    @classmethod
    def note_seen(cls, *, client_id: str, now: datetime) -> None:
        cls.objects.filter(client_id=client_id).update(last_seen=now)

    @classmethod
    def note_stopped(cls, *, client_id: str, now: datetime) -> None:
        cls.objects.filter(client_id=client_id).update(last_seen=now, stopped=now)

    @classmethod
    def note_retired(cls, *, client_id: str, group: str, now: datetime) -> None:
        cls.objects.update_or_create(
            client_id=client_id, defaults={"group": group, "stopped": now, "retired": now}
        )


class SparkplugNode(models.Model):
    """What the Sparkplug host learnt from an edge node's births: its metric aliases and bdSeq.

    Kept in the database so that a listener taking over as the host (`SparkplugLease`) resolves
    aliases at once, without asking every edge node for a rebirth.
    """

    group = models.CharField(max_length=200)
    node = models.CharField(max_length=200)
    born = models.BooleanField(default=False)  # an NBIRTH was seen: its aliases are known
    bdseq = models.BigIntegerField(null=True, blank=True)
    online = models.BooleanField(default=False)
    # alias (as text) -> [device id ("" for the node), metric name, datatype]
    aliases = models.JSONField(default=dict, blank=True)
    updated = models.DateTimeField(null=True, blank=True)
    rebirth_requested = models.DateTimeField(null=True, blank=True)
    # The last seq stored: the next host checks the node's first message against it.
    seq = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "node"], name="unique_sparkplug_node")
        ]

    def __str__(self):
        return f"{self.group}/{self.node}"


class SparkplugLease(models.Model):
    """Which listener is the Sparkplug primary host `host_id`, until `expires`.

    The holder renews it every few seconds; another listener takes it over once it expired.
    """

    host_id = models.CharField(max_length=200, primary_key=True)
    holder = models.CharField(max_length=200)
    expires = models.DateTimeField()

    def __str__(self):
        return f"{self.host_id}: {self.holder}"

    @classmethod
    def claim(cls, *, host_id: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Take or renew the lease for `holder`; False while another holder's is unexpired."""
        expires = now + ttl
        claimed = (
            cls.objects.filter(host_id=host_id)
            .filter(models.Q(holder=holder) | models.Q(expires__lt=now))
            .update(holder=holder, expires=expires)
        )
        if claimed:
            return True
        cls.objects.bulk_create(
            [cls(host_id=host_id, holder=holder, expires=expires)], ignore_conflicts=True
        )
        return cls.objects.filter(host_id=host_id, holder=holder, expires=expires).exists()

    @classmethod
    def hold(cls, *, host_id: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Renew `holder`'s unexpired lease inside the caller's transaction, which keeps the row
        locked until it commits (no takeover meanwhile); False when it expired or moved."""
        held = cls.objects.filter(host_id=host_id, holder=holder, expires__gte=now)
        return bool(held.update(expires=now + ttl))

    @classmethod
    def release(cls, *, host_id: str, holder: str) -> None:
        cls.objects.filter(host_id=host_id, holder=holder).delete()
