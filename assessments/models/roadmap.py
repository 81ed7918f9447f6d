"""Roadmaps and their milestones, with comments, an activity log, acceptance criteria on
telemetry and the calendar feed keys of the people who own milestones.

A roadmap is generated from an assessment (`assessments.roadmaps.roadmap_generate`) and edited
afterwards. The rules an acceptance criterion is judged by are `assessments.roadmap.acceptance`;
`assessments.roadmaps.acceptance` fetches the figures and records the verdict here.
"""

import secrets
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from accounts.models import Organization
from assessments import roadmap as plan
from assessments.models.assessment import (
    LEVEL_VALIDATORS,
    Assessment,
    FrameworkVersion,
    Process,
)


class MilestoneRetired(Exception):
    """Raised when something tries to change a retired or removed milestone."""


class Phase(models.TextChoices):
    NOW = "now", "Now"
    NEXT = "next", "Next"
    LATER = "later", "Later"


class Roadmap(models.Model):
    """A plan in phases (now, next, later) from an assessment's gaps."""

    ORG_FIELD = "organization"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="roadmaps"
    )
    title = models.CharField(max_length=150)
    assessment = models.ForeignKey(
        Assessment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="roadmaps",
        help_text="The assessment the roadmap was last generated from.",
    )
    framework = models.ForeignKey(FrameworkVersion, on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField(default=timezone.localdate)
    phase_days = models.PositiveSmallIntegerField(
        "days per phase",
        default=90,
        validators=[MinValueValidator(7), MaxValueValidator(730)],
        help_text="Now is the first period from the start date, next the one after; later is open.",
    )
    capacity = models.PositiveSmallIntegerField(
        "milestones per phase",
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="How many open milestones now and next take at most.",
    )
    # The processes as the assessment scored them, so the projection keeps the plan's numbers.
    baseline = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    regenerated = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return self.title

    def windows(self) -> list[plan.PhaseWindow]:
        return plan.phase_windows(self.start_date, self.phase_days)

    def window(self, phase: str) -> plan.PhaseWindow:
        return self.windows()[plan.phase_rank(phase)]

    def baseline_processes(self) -> list[plan.ProcessInput]:
        return [plan.ProcessInput(**row) for row in self.baseline]


class MilestoneQuerySet(models.QuerySet):
    def active(self):
        """Not retired or removed."""
        return self.filter(retired=None)

    def in_plan_order(self):
        rank = models.Case(
            *(models.When(phase=p, then=models.Value(i)) for i, p in enumerate(plan.PHASES)),
            output_field=models.IntegerField(),
        )
        return self.alias(phase_rank=rank).order_by("phase_rank", "position", "pk")


class Milestone(models.Model):
    """One piece of work on a roadmap: a level step, a readiness action or one people added."""

    ORG_FIELD = "roadmap__organization"
    # Changing one of these is a planning edit: regeneration then leaves the milestone alone.
    PLANNING_FIELDS = ("title", "description", "process", "phase", "responsibility", "benefit")

    class Kind(models.TextChoices):
        STEP = plan.STEP, "Level step"
        READINESS = plan.READINESS, "Readiness"
        CUSTOM = plan.CUSTOM, "Added by hand"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        BLOCKED = "blocked", "Blocked"
        DONE = "done", "Done"

    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="milestones")
    key = models.CharField(
        max_length=80, blank=True, help_text="What generated it, e.g. step:12:3; empty if added."
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CUSTOM)
    process = models.ForeignKey(
        Process, null=True, blank=True, on_delete=models.SET_NULL, related_name="milestones"
    )
    from_level = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=LEVEL_VALIDATORS
    )
    to_level = models.PositiveSmallIntegerField(null=True, blank=True, validators=LEVEL_VALIDATORS)
    dimension_key = models.CharField(max_length=60, blank=True)
    action_key = models.CharField(max_length=60, blank=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    responsibility = models.CharField("COO responsibility", max_length=60, blank=True)
    benefit = models.CharField(max_length=60, blank=True)
    priority = models.FloatField(default=0)
    priority_explanation = models.CharField(max_length=500, blank=True)
    phase = models.CharField(max_length=5, choices=Phase.choices, default=Phase.NOW)
    position = models.PositiveIntegerField(default=0)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="milestones",
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    completed = models.DateTimeField(null=True, blank=True)
    edited = models.BooleanField(
        default=False, help_text="Changed by a person since it was generated."
    )
    retired = models.DateTimeField(null=True, blank=True)
    retired_reason = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["roadmap_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["roadmap", "key"],
                condition=~models.Q(key=""),
                name="unique_milestone_key",
            )
        ]
        indexes = [models.Index(fields=["roadmap", "status"], name="milestone_roadmap_status")]

    def __str__(self):
        return self.title

    @property
    def is_done(self) -> bool:
        return self.status == self.Status.DONE

    @property
    def is_generated(self) -> bool:
        return bool(self.key)

    def is_overdue(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return bool(self.due_date and self.due_date < today and not self.is_done)

    @property
    def overdue(self) -> bool:
        return self.is_overdue()

    @property
    def priority_display(self) -> str:
        return plan.format_priority(self.priority)

    def is_updatable_by(self, membership) -> bool:
        """Owners and consultants update every milestone; members the ones they own."""
        if membership.can_facilitate:
            return True
        return membership.can_write and self.owner_id == membership.user_id

    def set_status(self, status: str, *, now=None) -> None:
        """Move to another status; done records when, leaving done forgets it. Not saved."""
        if self.retired:
            raise MilestoneRetired(f"“{self.title}” is no longer on the roadmap.")
        status = self.Status(status)
        now = now or timezone.now()
        if status == self.Status.DONE and not self.is_done:
            self.completed = now
        elif status != self.Status.DONE:
            self.completed = None
        self.status = status
        self.updated = now

    @property
    def verification(self) -> plan.Verification | None:
        """Verified or not by its acceptance criteria's last checks; None without criteria."""
        checks = [(c.last_passed, c.last_checked) for c in self.criteria.all()]
        return plan.verification(checks, done=self.is_done)

    def as_slot(self) -> plan.Slot:
        return plan.Slot(
            key=self.pk,
            kind=self.kind,
            phase=self.phase,
            position=self.position,
            process_key=None if self.process_id is None else str(self.process_id),
            to_level=self.to_level,
            dimension_key=self.dimension_key,
            done=self.is_done,
            title=self.title,
        )


class MilestoneComment(models.Model):
    ORG_FIELD = "milestone__roadmap__organization"

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=4000)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self):
        return f"Comment by {self.author_id} on {self.milestone_id}"


class RoadmapActivity(models.Model):
    """Who changed what on a roadmap, and when; the milestone stays linked while it exists."""

    ORG_FIELD = "roadmap__organization"

    class Action(models.TextChoices):
        GENERATED = "generated", "Generated"
        REGENERATED = "regenerated", "Regenerated"
        ADDED = "added", "Added"
        CHANGED = "changed", "Changed"
        STATUS = "status", "Status"
        MOVED = "moved", "Moved"
        COMMENTED = "commented", "Commented"
        REMOVED = "removed", "Removed"
        RETIRED = "retired", "Retired"
        SETTINGS = "settings", "Settings"

    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="activity")
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.SET_NULL, related_name="activity"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    text = models.CharField(max_length=1000)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name_plural = "roadmap activity"

    def __str__(self):
        return self.text


class AcceptanceCriterion(models.Model):
    """A check on an integration's telemetry that a milestone needs to pass to be verified.

    The last check's verdict is kept here (`record`), so pages show it without reading
    telemetry; `assessments.roadmaps.criteria_refresh` checks again when it is stale.
    """

    ORG_FIELD = "milestone__roadmap__organization"
    MAX_WINDOW_DAYS = 90  # minute rollups, which uptime and aggregates read, are kept 90 days
    EDITABLE_FIELDS = (
        "kind",
        "integration",
        "window_days",
        "threshold",
        "metric",
        "aggregate",
        "comparison",
    )

    class Kind(models.TextChoices):
        UPTIME = plan.UPTIME, plan.KINDS[plan.UPTIME]
        FRESHNESS = plan.FRESHNESS, plan.KINDS[plan.FRESHNESS]
        AGGREGATE = plan.AGGREGATE, plan.KINDS[plan.AGGREGATE]

    class Aggregate(models.TextChoices):
        AVG = "avg", "Average"
        MIN = "min", "Minimum"
        MAX = "max", "Maximum"
        SUM = "sum", "Sum"

    class Comparison(models.TextChoices):
        LT = "<", "below (<)"
        LE = "<=", "at most (≤)"
        GE = ">=", "at least (≥)"
        GT = ">", "above (>)"

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="criteria")
    integration = models.ForeignKey(
        "integration.Integration", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.UPTIME)
    window_days = models.PositiveSmallIntegerField(
        "window (days)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_WINDOW_DAYS)],
        help_text="Uptime and aggregates: how many days back from now, 1 to 90.",
    )
    threshold = models.FloatField(
        help_text=(
            "Uptime: the percentage to reach, e.g. 99. Freshness: the most seconds since the "
            "latest data, e.g. 60. Aggregate: the value to compare with."
        )
    )
    metric = models.CharField(
        max_length=200, blank=True, help_text="Aggregate: the metric's name, e.g. air.flow."
    )
    aggregate = models.CharField(max_length=3, choices=Aggregate.choices, blank=True)
    comparison = models.CharField(max_length=2, choices=Comparison.choices, blank=True)
    created = models.DateTimeField(default=timezone.now)
    last_checked = models.DateTimeField(null=True, blank=True, editable=False)
    last_value = models.FloatField(null=True, blank=True, editable=False)
    last_passed = models.BooleanField(null=True, editable=False)
    last_explanation = models.CharField(max_length=300, blank=True, editable=False)

    class Meta:
        ordering = ["milestone_id", "pk"]
        verbose_name_plural = "acceptance criteria"

    def __str__(self):
        return str(self.rule)

    @property
    def rule(self) -> plan.Rule:
        return plan.Rule(
            kind=self.kind,
            threshold=self.threshold,
            window_days=self.window_days,
            metric=self.metric,
            aggregate=self.aggregate,
            comparison=self.comparison,
        )

    def clean(self):
        """Each kind's fields present and sensible, the others cleared; the integration one of
        the milestone's organisation's."""
        errors = {}
        windowed = self.kind in (self.Kind.UPTIME, self.Kind.AGGREGATE)
        if windowed and self.window_days is None:
            errors["window_days"] = f"Give the window in days (1 to {self.MAX_WINDOW_DAYS})."
        elif not windowed:
            self.window_days = None
        if self.threshold is not None:
            if self.kind == self.Kind.UPTIME and not 0 < self.threshold <= 100:
                errors["threshold"] = (
                    "Give the uptime to reach as a percentage above 0, at most 100."
                )
            elif self.kind == self.Kind.FRESHNESS and (
                self.threshold < 1 or self.threshold != int(self.threshold)
            ):
                errors["threshold"] = "Give the freshness as a whole number of seconds, at least 1."
        if self.kind == self.Kind.AGGREGATE:
            self.metric = self.metric.strip()
            for name, message in (
                ("metric", "Name the metric to aggregate."),
                ("aggregate", "Choose average, minimum, maximum or sum."),
                ("comparison", "Choose how the value compares with the threshold."),
            ):
                if not getattr(self, name):
                    errors[name] = message
        else:
            self.metric = self.aggregate = self.comparison = ""
        if (
            self.integration_id
            and self.milestone_id
            and self.integration.organization_id != self.milestone.roadmap.organization_id
        ):
            errors["integration"] = "Choose one of the organisation's integrations."
        if errors:
            raise ValidationError(errors)

    def is_stale(self, *, now: datetime, max_age: timedelta | None) -> bool:
        """Never checked, or checked longer than `max_age` ago (any check, for None)."""
        if max_age is None or self.last_checked is None:
            return True
        return now - self.last_checked > max_age

    def record(self, result: plan.Result, *, now: datetime) -> None:
        """Keep a check's verdict; only those fields are written, so an edit made meanwhile
        stays."""
        verdict = {
            "last_checked": now,
            "last_value": result.value,
            "last_passed": result.passed,
            "last_explanation": result.explanation[:300],
        }
        for name, value in verdict.items():
            setattr(self, name, value)
        AcceptanceCriterion.objects.filter(pk=self.pk).update(**verdict)


def _feed_key() -> str:
    return secrets.token_urlsafe(32)


class FeedKey(models.Model):
    """The secret in a person's calendar feed URL (43 random characters, 256 bits).

    Kept as it is, not hashed, so the "mine" page can show the URL again; resetting it makes the
    old URL answer 404.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="milestone_feed_key"
    )
    key = models.CharField(max_length=64, unique=True, default=_feed_key)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Milestone feed key of {self.user_id}"

    def reset(self, *, now: datetime) -> None:
        self.key, self.created = _feed_key(), now
        self.save(update_fields=["key", "created"])
