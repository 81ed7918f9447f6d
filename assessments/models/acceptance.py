"""Acceptance criteria: checks on an integration's telemetry that a milestone must pass.

The rules a criterion is judged by are `assessments.roadmaps.rules.verification`;
`assessments.roadmaps.acceptance` fetches the figures and records the verdict here.
"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from assessments.models.roadmap import Milestone
from assessments.roadmaps.rules import verification as rules


class AcceptanceCriterion(models.Model):
    """A check on an integration's telemetry that a milestone needs to pass to be verified.

    The last check's verdict is kept here (`record`), so pages show it without reading
    telemetry; `assessments.roadmaps.acceptance.criteria_refresh` checks again when it is stale.
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
        UPTIME = rules.UPTIME, rules.KINDS[rules.UPTIME]
        FRESHNESS = rules.FRESHNESS, rules.KINDS[rules.FRESHNESS]
        AGGREGATE = rules.AGGREGATE, rules.KINDS[rules.AGGREGATE]

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
    def rule(self) -> rules.Rule:
        return rules.Rule(
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

    def record(self, result: rules.Result, *, now: datetime) -> None:
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
