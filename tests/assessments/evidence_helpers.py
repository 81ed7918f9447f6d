"""Helpers for tests that need verified levels: accepted evidence for a process's criteria."""

from datetime import timedelta

from django.utils import timezone

from assessments.models.verification import CriterionEvidence


def accept_evidence(score, user, levels):
    """Accepted evidence, in force today, for every criterion of `score`'s process at `levels`:
    with no check bound, those criteria are evidenced, so they count for the verified level."""
    framework = score.assessment.framework.definition
    today = timezone.localdate()
    for level in levels:
        for criterion in framework.criteria_for(score.process.area, level):
            CriterionEvidence.objects.create(
                process=score.process,
                criterion_key=criterion.key,
                description="Signed shift report",
                effective=today - timedelta(days=1),
                added_by=user,
                accepted_by=user,
                accepted=timezone.now(),
            )
