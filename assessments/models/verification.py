"""Verified maturity's stored rows (rules: `assessments.verification`, docs/VERIFICATION.md).

- `ProcessCheck`: a framework check as an organisation runs it for one process: the
  framework version that defines it, a threshold the organisation may only tighten, a grace,
  and the latest result the evaluator wrote (`state`, `failing_since`, ...).
- `CheckBinding`: which integration (and metric) plays each of the check's roles.
- `CheckResult`: the check's history, one row per run of equal results (a new row when the
  state or reason changes, and at least one a day), so a year of a check every five minutes is
  a few hundred rows.
- `CriterionEvidence`: manual evidence for a process's criterion, with an effective date and a
  validity; it counts once a facilitator accepted it, until it expires.
- `NaAcceptance`: a facilitator accepted the reason of a criterion's N/A answer in one
  assessment; it lapses when that criterion's answers change afterwards.
- `VerificationSnapshot`: what verification showed when an assessment became final, with its
  checks' history: a final assessment's verified figures read this and never change.
- `VerifiedLevelSeen`: the verified level last seen for a process of a live assessment, so a
  drop or recovery is emailed and audited once.
- `DriftTurn`: when an evaluator last compared an assessment's levels, so that several
  evaluators share that work instead of each doing all of it.

Checks, bindings, thresholds, grace and evidence move a verified figure, so only facilitators
change them, through `assessments.verified` services, each change audited.
"""

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from assessments.models.assessment import Assessment, FrameworkVersion, Process, ProcessScore
from assessments.verification import DEFAULT_EVIDENCE_VALIDITY, CheckState

EVIDENCE_VALIDITY_DAYS = DEFAULT_EVIDENCE_VALIDITY.days
MAX_VALIDITY_DAYS = 10 * 366
EARLIEST_EVIDENCE = date(1990, 1, 1)


def validate_evidence_date(value: date) -> None:
    """An effective date no calendar arithmetic overflows: not before 1990, not in the future
    (the service also keeps it within ten years)."""
    if not EARLIEST_EVIDENCE <= value <= timezone.localdate() + timedelta(days=1):
        raise ValidationError("The effective date is a past day, not before 1990.")


class ProcessCheck(models.Model):
    ORG_FIELD = "process__organization"

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="checks")
    framework = models.ForeignKey(FrameworkVersion, on_delete=models.RESTRICT, related_name="+")
    check_key = models.CharField(max_length=60)
    # The organisation's own values; None: the framework's. A threshold only tightens.
    threshold = models.FloatField(null=True, blank=True)
    grace_days = models.PositiveSmallIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    # The latest result, written by the evaluator.
    state = models.CharField(
        max_length=12,
        choices=[(s.value, s.value) for s in CheckState],
        default=CheckState.NOT_TESTED,
    )
    measured = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    evaluated = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    run = models.ForeignKey(  # the history run the latest result extends
        "CheckResult", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["check_key"]
        constraints = [
            models.UniqueConstraint(fields=["process", "check_key"], name="unique_process_check")
        ]

    def __str__(self):
        return f"{self.check_key} on {self.process}"

    @property
    def definition(self):
        """The framework's `Check` (None if the version no longer defines the key)."""
        return self.framework.definition.checks_by_key.get(self.check_key)


class CheckBinding(models.Model):
    ORG_FIELD = "process_check__process__organization"

    process_check = models.ForeignKey(
        ProcessCheck, on_delete=models.CASCADE, related_name="bindings"
    )
    role = models.CharField(max_length=80)
    integration = models.ForeignKey(
        "integration.Integration", on_delete=models.CASCADE, related_name="+"
    )
    metric = models.CharField(max_length=200, blank=True)
    bound_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["process_check", "role"]
        constraints = [
            models.UniqueConstraint(fields=["process_check", "role"], name="unique_check_role")
        ]

    def __str__(self):
        return f"{self.role}: {self.integration_id}"


class CheckResult(models.Model):
    """One run of equal results of a check: from `first` to `last` evaluation."""

    ORG_FIELD = "process_check__process__organization"

    process_check = models.ForeignKey(
        ProcessCheck, on_delete=models.CASCADE, related_name="results"
    )
    state = models.CharField(max_length=12, choices=[(s.value, s.value) for s in CheckState])
    measured = models.FloatField(null=True, blank=True)
    threshold = models.FloatField()
    reason = models.CharField(max_length=300, blank=True)
    first = models.DateTimeField()
    last = models.DateTimeField()
    evaluations = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["process_check", "-first"]
        indexes = [models.Index(fields=["process_check", "-first"], name="check_result_recent")]

    def __str__(self):
        return f"{self.state} {self.first:%Y-%m-%d %H:%M}"


class CriterionEvidence(models.Model):
    ORG_FIELD = "process__organization"

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="evidence")
    criterion_key = models.CharField(max_length=60)
    description = models.TextField(
        help_text="What shows the criterion is met: a document, a link, a record."
    )
    effective = models.DateField(
        help_text="The date the evidence speaks for.", validators=[validate_evidence_date]
    )
    valid_days = models.PositiveIntegerField(
        default=EVIDENCE_VALIDITY_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_VALIDITY_DAYS)],
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added = models.DateTimeField(default=timezone.now)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["criterion_key", "-effective"]
        indexes = [models.Index(fields=["process", "criterion_key"], name="evidence_criterion")]

    def __str__(self):
        return f"Evidence for {self.criterion_key} ({self.effective})"

    @property
    def expires(self):
        return self.effective + timedelta(days=self.valid_days)


class NaAcceptance(models.Model):
    ORG_FIELD = "process_score__assessment__organization"

    process_score = models.ForeignKey(
        ProcessScore, on_delete=models.CASCADE, related_name="na_acceptances"
    )
    criterion_key = models.CharField(max_length=60)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["process_score", "criterion_key"], name="unique_na_acceptance"
            )
        ]

    def __str__(self):
        return f"N/A accepted for {self.criterion_key}"


class VerificationSnapshot(models.Model):
    ORG_FIELD = "assessment__organization"

    assessment = models.OneToOneField(
        Assessment, on_delete=models.CASCADE, related_name="verification_snapshot"
    )
    taken = models.DateTimeField()
    data = models.JSONField()

    def __str__(self):
        return f"Verification of {self.assessment} at {self.taken:%Y-%m-%d %H:%M}"


class VerifiedLevelSeen(models.Model):
    """The verified level the evaluator last saw for a process in a live assessment
    (`assessments.verified.drift`): a change of it is emailed and audited once."""

    ORG_FIELD = "process_score__assessment__organization"

    process_score = models.OneToOneField(
        ProcessScore, on_delete=models.CASCADE, related_name="verified_seen"
    )
    level = models.PositiveSmallIntegerField()
    changed = models.DateTimeField()  # when it was first seen at this level
    # Below the claimed level because a check is overdue: listed under "needs attention".
    dropped = models.BooleanField(default=False)

    def __str__(self):
        return f"Verified level {self.level} seen {self.changed:%Y-%m-%d %H:%M}"


class DriftTurn(models.Model):
    """When an evaluator last compared a live assessment's verified levels
    (`assessments.verified.drift`): several evaluators take the assessments in turns."""

    ORG_FIELD = "assessment__organization"

    assessment = models.OneToOneField(
        Assessment, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    checked = models.DateTimeField()

    def __str__(self):
        return f"Drift of {self.assessment_id} checked {self.checked:%Y-%m-%d %H:%M}"
