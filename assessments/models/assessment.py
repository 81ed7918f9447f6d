import copy
from functools import cached_property

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from accounts.models import Organization, Site
from assessments.framework.loading import default_framework
from assessments.framework.model import Framework, stored_framework
from assessments.scoring import Status


class AssessmentLocked(Exception):
    """Raised when something tries to change a final assessment."""


class IllegalTransition(Exception):
    """Raised for a lifecycle step that is not allowed from the current state."""


def area_choices():
    return [(area.key, area.name) for area in default_framework().areas]


LEVEL_VALIDATORS = [MinValueValidator(0), MaxValueValidator(4)]


class FrameworkVersionQuerySet(models.QuerySet):
    def available_to(self, org):
        """The frameworks shipped with Ladder and the ones this organisation uploaded."""
        return self.filter(models.Q(organization=None) | models.Q(organization=org))

    def shipped(self, framework: Framework | None = None):
        """A shipped framework version (the one new assessments start on unless given), stored
        on first use and never changed."""
        framework = framework or default_framework()
        found = {"organization": None, "key": framework.id, "version": framework.version}
        # Looked up first: its data (`as_dict()`, ~3 ms) is needed only to store it.
        version = self.filter(**found).first()
        if version is None:
            defaults = {"title": framework.title, "data": framework.as_dict()}
            version, _ = self.get_or_create(**found, defaults=defaults)
        return version


class FrameworkVersion(models.Model):
    """A validated framework file stored whole; an assessment keeps the one it started on."""

    ORG_FIELD = "organization"

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="frameworks"
    )
    key = models.SlugField(max_length=60)
    version = models.CharField(max_length=30)
    title = models.CharField(max_length=200)
    data = models.JSONField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    objects = FrameworkVersionQuerySet.as_manager()

    class Meta:
        ordering = ["key", "-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "key", "version"], name="unique_framework_version"
            ),
            models.UniqueConstraint(
                fields=["key", "version"],
                condition=models.Q(organization=None),
                name="unique_shipped_framework_version",
            ),
        ]

    def __str__(self):
        return f"{self.title} {self.version}"

    @cached_property
    def definition(self) -> Framework:
        return stored_framework(self.data, str(self))


class Process(models.Model):
    """A business process of an organisation, scored on the SAMR ladder."""

    ORG_FIELD = "organization"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="processes"
    )
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL)
    name = models.CharField(max_length=150)
    area = models.CharField(max_length=40, choices=area_choices)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    business_value = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="How much this process matters to the business, 1 (little) to 5 (critical).",
    )
    archived = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    # The live data flows that back this process's claimed level (evidence).
    integrations = models.ManyToManyField("integration.Integration", blank=True, related_name="+")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="unique_process_name")
        ]

    def __str__(self):
        return self.name


class AssessmentQuerySet(models.QuerySet):
    def finals(self):
        """Final assessments that stand: one whose revision became final is superseded by it,
        so trends and comparisons count each assessment once, as last corrected."""
        return self.filter(state=Assessment.State.FINAL).exclude(
            revisions__state=Assessment.State.FINAL
        )


class Assessment(models.Model):
    """A dated snapshot of an organisation (or one site): draft, in review, final.

    A final assessment never changes. To correct one, a facilitator reopens it as a revision: a
    new draft with the same answers (`revision_of` names the final, `revision` counts), which
    supersedes it once it is final itself."""

    ORG_FIELD = "organization"
    WINDOW_FIELD = "assessed_on"  # an auditor sees those assessed in their window

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        FINAL = "final", "Final"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="assessments"
    )
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL)
    title = models.CharField(max_length=150)
    framework = models.ForeignKey(FrameworkVersion, on_delete=models.RESTRICT)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    assessed_on = models.DateField(default=timezone.localdate)
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    finalized = models.DateTimeField(null=True, blank=True)
    # Set by an import from a file: who imported it and which assessors the file named (their
    # answers are never stored as theirs here).
    imported_note = models.TextField(blank=True, editable=False)
    revision_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="revisions"
    )
    revision = models.PositiveSmallIntegerField(default=0, editable=False)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-assessed_on", "-created"]

    def __str__(self):
        return self.title

    @property
    def is_final(self) -> bool:
        return self.state == self.State.FINAL

    def ensure_editable(self) -> None:
        if self.is_final:
            raise AssessmentLocked(f"{self.title} is final and can no longer be changed.")

    def submit_for_review(self) -> None:
        """Draft to in review: answers stay editable while the facilitator settles them."""
        self._move(frm=[self.State.DRAFT], to=self.State.REVIEW)

    def reopen(self) -> None:
        """In review back to draft."""
        self._move(frm=[self.State.REVIEW], to=self.State.DRAFT)

    def finalize(self, *, now=None) -> None:
        """Make the assessment read-only for good, with its processes as they are now."""
        self._move(frm=[self.State.DRAFT, self.State.REVIEW], to=self.State.FINAL)
        self.finalized = now or timezone.now()
        self.save(update_fields=["finalized"])
        ProcessScore.freeze(self.process_scores.all())

    def _move(self, *, frm, to) -> None:
        if self.state not in frm:
            raise IllegalTransition(
                f"An assessment that is {self.get_state_display().lower()} "
                f"cannot become {self.State(to).label.lower()}."
            )
        self.state = to
        self.save(update_fields=["state"])


FROZEN_PROCESS_FIELDS = ("name", "area", "business_value")


class ProcessScore(models.Model):
    """One process in scope of an assessment: its target, rationale and evidence."""

    ORG_FIELD = "assessment__organization"
    WINDOW_FIELD = "assessment__assessed_on"

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="process_scores"
    )
    process = models.ForeignKey(Process, on_delete=models.RESTRICT, related_name="scores")
    target_level = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=LEVEL_VALIDATORS
    )
    rationale = models.TextField(blank=True)
    evidence = models.TextField(blank=True, help_text="Links to documents or data, one per line.")
    # What the figures read of the process, copied when the assessment becomes final, so later
    # edits of the process change the next assessments only. Empty (value None) while not final.
    frozen_name = models.CharField(max_length=150, blank=True, editable=False)
    frozen_area = models.CharField(max_length=40, blank=True, editable=False)
    frozen_business_value = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["process__name"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "process"], name="unique_process_score")
        ]

    def __str__(self):
        return f"{self.process} in {self.assessment}"

    @classmethod
    def freeze(cls, scores: models.QuerySet) -> None:
        """Copy each process's name, area and business value onto its scores (one UPDATE)."""
        process = Process.objects.filter(pk=models.OuterRef("process_id"))
        scores.update(
            **{
                f"frozen_{name}": models.Subquery(process.values(name)[:1])
                for name in FROZEN_PROCESS_FIELDS
            }
        )

    @cached_property
    def process_as_assessed(self) -> Process:
        """The process as the figures see it: as it was at finalize, else as it is now.

        A copy when frozen, so nothing that saves the process can store the old values."""
        if self.frozen_business_value is None:
            return self.process
        process = copy.copy(self.process)
        for name in FROZEN_PROCESS_FIELDS:
            setattr(process, name, getattr(self, f"frozen_{name}"))
        return process


class ExcludedDimension(models.Model):
    """A readiness dimension left out of an assessment's scope, with the reason."""

    ORG_FIELD = "assessment__organization"

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="excluded_dimensions"
    )
    dimension_key = models.CharField(max_length=60)
    reason = models.CharField(max_length=300)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "dimension_key"], name="unique_excluded_dimension"
            )
        ]

    def __str__(self):
        return f"{self.dimension_key} out of scope"


STATUS_CHOICES = [
    (Status.NOT.value, "Not met"),
    (Status.PARTIAL.value, "Partially"),
    (Status.LARGELY.value, "Largely"),
    (Status.FULLY.value, "Fully"),
    (Status.NA.value, "N/A"),
]


class CriterionAnswer(models.Model):
    """One assessor's answer to one SAMR criterion of a process."""

    ORG_FIELD = "process_score__assessment__organization"

    process_score = models.ForeignKey(
        ProcessScore, on_delete=models.CASCADE, related_name="criterion_answers"
    )
    criterion_key = models.CharField(max_length=60)
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES)
    rationale = models.TextField(blank=True)
    evidence_url = models.URLField(max_length=500, blank=True)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["process_score", "criterion_key", "assessor"],
                name="unique_criterion_answer",
            )
        ]

    def __str__(self):
        return f"{self.criterion_key}: {self.status} by {self.assessor_id}"


class CriterionAgreement(models.Model):
    """The facilitator's agreed status for a criterion, with the reason kept."""

    ORG_FIELD = "process_score__assessment__organization"

    process_score = models.ForeignKey(
        ProcessScore, on_delete=models.CASCADE, related_name="criterion_agreements"
    )
    criterion_key = models.CharField(max_length=60)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES)
    reason = models.TextField()
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["process_score", "criterion_key"], name="unique_criterion_agreement"
            )
        ]

    def __str__(self):
        return f"{self.criterion_key}: agreed {self.status}"


class Side(models.TextChoices):
    IT = "it", "IT"
    OT = "ot", "OT"


class ReadinessAnswer(models.Model):
    """One assessor's answer (0-4, or None for N/A) to a readiness question for one side."""

    ORG_FIELD = "assessment__organization"

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="readiness_answers"
    )
    question_key = models.CharField(max_length=60)
    side = models.CharField(max_length=2, choices=Side.choices)
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    value = models.PositiveSmallIntegerField(null=True, blank=True, validators=LEVEL_VALIDATORS)
    comment = models.TextField(blank=True)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question_key", "side", "assessor"],
                name="unique_readiness_answer",
            )
        ]

    def __str__(self):
        return f"{self.question_key} ({self.side}): {self.value} by {self.assessor_id}"


class ReadinessAgreement(models.Model):
    """The facilitator's agreed readiness answer for one question and side, with the reason."""

    ORG_FIELD = "assessment__organization"

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="readiness_agreements"
    )
    question_key = models.CharField(max_length=60)
    side = models.CharField(max_length=2, choices=Side.choices)
    value = models.PositiveSmallIntegerField(null=True, blank=True, validators=LEVEL_VALIDATORS)
    reason = models.TextField()
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question_key", "side"], name="unique_readiness_agreement"
            )
        ]

    def __str__(self):
        return f"{self.question_key} ({self.side}): agreed {self.value}"
