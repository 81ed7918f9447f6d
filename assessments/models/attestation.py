"""Attestations: a consultant's or auditor's signed statement over an observation window.

An attestation covers one process's bound checks or the whole organisation's, over a window
of at most 12 months that has ended. When it is signed, the window's check history is frozen
into `data` (per check: its bindings, its runs clipped to the window, its pass share), so it
never changes whatever happens to the checks later; it is kept in the report archive (listed
on the reports page). Never signed by an owner alone: `assessments.verified.attestation`
refuses it. Rows are written once and never changed.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organization
from assessments.models.assessment import Process


class Attestation(models.Model):
    ORG_FIELD = "organization"
    # An auditor sees the attestations whose whole window lies in their own.
    WINDOW_FIELD = ("window_start", "window_end")

    class SignedAs(models.TextChoices):
        CONSULTANT = "consultant", "Consultant"
        AUDITOR = "auditor", "Auditor"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="attestations"
    )
    process = models.ForeignKey(
        Process,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty: the whole organisation's checks.",
    )
    scope_name = models.CharField(max_length=200, help_text="What it covers, as signed.")
    window_start = models.DateField()
    window_end = models.DateField()
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    signer_name = models.CharField(max_length=300, help_text="Kept if the user is deleted.")
    signed_as = models.CharField(max_length=12, choices=SignedAs.choices)
    signed_at = models.DateTimeField(default=timezone.now)
    statement = models.TextField()
    data = models.JSONField(default=dict, help_text="The window's check history, frozen.")

    class Meta:
        ordering = ["-signed_at", "-pk"]

    def __str__(self):
        return f"Attestation of {self.scope_name}, {self.window_start} to {self.window_end}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("An attestation never changes once signed.")
        super().save(*args, **kwargs)
