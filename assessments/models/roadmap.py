"""Roadmaps and their milestones, with comments (their activity log is the audit trail).

A roadmap is generated from an assessment (`assessments.roadmaps.generate.roadmap_generate`)
and edited afterwards. A milestone's acceptance criteria are in `acceptance`, the calendar feed
keys of the people who own milestones in `feeds`.
"""

from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from accounts.models import Organization
from assessments.models.assessment import (
    LEVEL_VALIDATORS,
    Assessment,
    FrameworkVersion,
    Process,
)
from assessments.models.outcomes import OutcomeKpi
from assessments.roadmaps.rules import milestones as milestone_rules
from assessments.roadmaps.rules.milestones import Slot
from assessments.roadmaps.rules.phasing import PHASES, PhaseWindow, phase_rank, phase_windows
from assessments.roadmaps.rules.priority import ProcessInput, format_priority
from assessments.roadmaps.rules.verification import Verification
from assessments.roadmaps.rules.verification import verification as milestone_verification


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
    framework = models.ForeignKey(FrameworkVersion, on_delete=models.RESTRICT, related_name="+")
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

    def windows(self) -> list[PhaseWindow]:
        return phase_windows(self.start_date, self.phase_days)

    def window(self, phase: str) -> PhaseWindow:
        return self.windows()[phase_rank(phase)]

    def baseline_processes(self) -> list[ProcessInput]:
        return [ProcessInput(**row) for row in self.baseline]


class MilestoneQuerySet(models.QuerySet):
    def active(self):
        """Not retired or removed."""
        return self.filter(retired=None)

    def in_plan_order(self):
        rank = models.Case(
            *(models.When(phase=p, then=models.Value(i)) for i, p in enumerate(PHASES)),
            output_field=models.IntegerField(),
        )
        return self.alias(phase_rank=rank).order_by("phase_rank", "position", "pk")


class Milestone(models.Model):
    """One piece of work on a roadmap: a level step, a readiness action or one people added."""

    ORG_FIELD = "roadmap__organization"
    # Changing one of these is a planning edit: regeneration then leaves the milestone alone.
    PLANNING_FIELDS = ("title", "description", "process", "phase", "responsibility", "benefit")

    class Kind(models.TextChoices):
        STEP = milestone_rules.STEP, "Level step"
        READINESS = milestone_rules.READINESS, "Readiness"
        CUSTOM = milestone_rules.CUSTOM, "Added by hand"

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
    # The outcome it should bring (assessments.outcomes): the KPI, from when, by how much.
    start_date = models.DateField(
        null=True, blank=True, help_text="The KPI's baseline is the window before this day."
    )
    kpi = models.ForeignKey(
        OutcomeKpi,
        verbose_name="KPI",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="milestones",
    )
    expected_change = models.FloatField(
        "expected change (%)",
        null=True,
        blank=True,
        validators=[MinValueValidator(-100), MaxValueValidator(1000)],
        help_text="Signed: -10 means the KPI should fall by a tenth.",
    )
    effort_days = models.DecimalField(
        "effort (person-days)",
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    cost = models.DecimalField(
        "cost estimate",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    # The baseline window's days ({"2026-01-31": 4.5, ...}) as they were when the start date
    # passed; never changed afterwards (assessments.roadmaps.outcomes.baselines_freeze).
    baseline = models.JSONField(default=dict, blank=True)
    baseline_frozen = models.DateTimeField(null=True, blank=True)
    # The day the outcome's after window counts from: the first time it was done with a frozen
    # baseline, never moved by reopening and closing it again (None: from `completed`).
    outcome_from = models.DateField(null=True, blank=True)
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
        return format_priority(self.priority)

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
    def verification(self) -> Verification | None:
        """Verified or not by its acceptance criteria's last checks; None without criteria."""
        checks = [(c.last_passed, c.last_checked) for c in self.criteria.all()]
        return milestone_verification(checks, done=self.is_done)

    def as_slot(self) -> Slot:
        return Slot(
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
