"""Integrations and their metrics, and the limits that keep their health meaningful."""

import uuid
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Case, F, Func, Q, Value, When
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


class _Seconds(Func):
    """An integer column of seconds as a duration, to add to a timestamp column (PostgreSQL
    and SQLite, where Django keeps durations as microseconds)."""

    output_field = models.DurationField()
    template = "(%(expressions)s * INTERVAL '1 second')"

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s * 1000000)")


class IntegrationQuerySet(models.QuerySet):
    def for_user(self, user):
        """Integrations of every organisation `user` is a member of (none when anonymous)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(organization__memberships__user=user)

    def with_status(self, *, now: datetime):
        """Annotated with `status_now`: `Integration.status(now=now)` computed by the database,
        rule by rule as `health.status` states them, so a list can filter and page by it."""
        flowing = F("last_seen") + _Seconds("interval_seconds")
        late = F("last_seen") + _Seconds(F("interval_seconds") + F("grace_seconds"))
        failed_last = Q(last_failed__isnull=False) & (
            Q(last_seen__isnull=True) | Q(last_failed__gte=F("last_seen"))
        )
        return self.alias(flowing_until=flowing, late_until=late).annotate(
            status_now=Case(
                When(paused=True, then=Value(health.Status.PAUSED)),
                When(failed_last, then=Value(health.Status.DOWN)),
                When(last_seen__isnull=True, then=Value(health.Status.NEW)),
                When(
                    flowing_until__gte=now,
                    degraded_since__isnull=False,
                    then=Value(health.Status.DEGRADED),
                ),
                When(flowing_until__gte=now, then=Value(health.Status.UP)),
                When(late_until__gte=now, then=Value(health.Status.LATE)),
                default=Value(health.Status.DOWN),
                output_field=models.CharField(),
            )
        )

    def flapping(self, *, now: datetime):
        """Those flapping at `now` (`health.is_flapping`: enough up/down changes within the
        window, not paused or new), decided by the database; annotated with `status_now`."""
        from integration.models.telemetry import HealthEvent

        flowing = [health.Status.UP, health.Status.DEGRADED, health.Status.LATE]
        down = health.Status.DOWN
        changes = (
            HealthEvent.objects.filter(integration__in=self.values("pk"))
            .filter(at__gte=now - health.FLAPPING_WINDOW, at__lte=now)
            .filter(Q(previous__in=flowing, status=down) | Q(previous=down, status__in=flowing))
            .values("integration_id")
            .annotate(n=models.Count("pk"))
            .filter(n__gte=health.FLAPPING_CHANGES)
            .values("integration_id")
        )
        return (
            self.with_status(now=now)
            .exclude(status_now__in=[health.Status.PAUSED, health.Status.NEW])
            .filter(pk__in=changes)
        )


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
