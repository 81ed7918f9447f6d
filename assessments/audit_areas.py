"""The audit trail's areas: each app names its own; this list labels them all, in page order.

`audit` stores an area as the caller's word and knows none of them; the audit page's filter
offers these choices and shows these labels.
"""

from django.db import models

from accounts.services import AuditArea as AccountsArea
from integration.services.integrations import AuditArea as IntegrationArea


class AuditArea(models.TextChoices):
    """The areas the assessments side writes (and process links, as integrations)."""

    ANSWERS = "answers", "Answers"
    AGREEMENTS = "agreements", "Agreed values"
    ASSESSMENTS = "assessments", "Assessments"
    ROADMAPS = "roadmaps", "Roadmaps and milestones"
    PROCESSES = "processes", "Processes"
    CHECKS = "checks", "Checks and evidence"


AREA_CHOICES = [
    AuditArea.ANSWERS,
    AuditArea.AGREEMENTS,
    AuditArea.ASSESSMENTS,
    AuditArea.ROADMAPS,
    AccountsArea.MEMBERS,
    AccountsArea.SETTINGS,
    IntegrationArea.TOKENS,
    AuditArea.PROCESSES,
    AuditArea.CHECKS,
    IntegrationArea.INTEGRATIONS,
]
AREAS = [(area.value, area.label) for area in AREA_CHOICES]
