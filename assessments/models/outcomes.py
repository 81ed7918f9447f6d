"""Outcome KPIs: an organisation's figures, computed from its integrations' telemetry, that
show whether a milestone paid off (the rules are in `assessments.outcomes`)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from accounts.models import Organization
from assessments import outcomes


class OutcomeKpi(models.Model):
    """One value per day of an integration's metric, tagged with the benefit it evidences."""

    ORG_FIELD = "organization"

    class Aggregate(models.TextChoices):
        MEAN = "mean", outcomes.AGGREGATES["mean"]
        SUM = "sum", outcomes.AGGREGATES["sum"]
        MAX = "max", outcomes.AGGREGATES["max"]
        MIN = "min", outcomes.AGGREGATES["min"]
        LAST = "last", outcomes.AGGREGATES["last"]

    class Better(models.TextChoices):
        LOWER = "lower", outcomes.BETTER["lower"]
        HIGHER = "higher", outcomes.BETTER["higher"]

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="outcome_kpis"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    benefit = models.CharField(
        "benefit it evidences", max_length=60, help_text="One of the IT/OT benefits."
    )
    integration = models.ForeignKey(
        "integration.Integration", on_delete=models.CASCADE, related_name="+"
    )
    metric = models.CharField(max_length=200)
    aggregate = models.CharField(
        "value per day", max_length=5, choices=Aggregate.choices, default=Aggregate.MEAN
    )
    unit = models.CharField(max_length=30, blank=True)
    better = models.CharField(max_length=6, choices=Better.choices, default=Better.LOWER)
    window_days = models.PositiveSmallIntegerField(
        "days per window",
        default=30,
        validators=[MinValueValidator(7), MaxValueValidator(180)],
        help_text="The baseline before a milestone starts and the window after it is done.",
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = "outcome KPI"
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="unique_kpi_name")
        ]

    def __str__(self):
        return self.name

    @property
    def min_days(self) -> int:
        return outcomes.min_days(self.window_days)
