"""A new roadmap from an assessment's gaps."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from django.db import transaction
from django.utils import timezone

from assessments.models import Assessment, Milestone, Roadmap
from assessments.roadmaps.activity import Action, log_activity, plural
from assessments.roadmaps.inputs import assessment_inputs, new_milestone
from assessments.roadmaps.rules.milestones import milestones_for
from assessments.roadmaps.rules.ordering import schedule


@transaction.atomic
def roadmap_generate(
    *,
    assessment: Assessment,
    user,
    start_date: date,
    capacity: int,
    phase_days: int = 90,
    title: str = "",
    now=None,
) -> Roadmap:
    """A new roadmap from an assessment's gaps (draft or final), milestones placed in phases."""
    now = now or timezone.now()
    framework, processes, dimensions = assessment_inputs(assessment)
    items = schedule(milestones_for(framework, processes, dimensions), capacity=capacity)
    roadmap = Roadmap(
        organization=assessment.organization,
        title=title or f"Roadmap from {assessment.title}",
        assessment=assessment,
        framework=assessment.framework,
        start_date=start_date,
        phase_days=phase_days,
        capacity=capacity,
        baseline=[asdict(p) for p in processes],
        created_by=user,
        created=now,
    )
    roadmap.full_clean()
    roadmap.save()
    Milestone.objects.bulk_create(
        new_milestone(roadmap, item, phase=item.phase, position=position, now=now)
        for position, item in enumerate(items)
    )
    text = f"Generated from {assessment.title}: {len(items)} milestone{plural(len(items))}."
    log_activity(user, Action.GENERATED, text, roadmap=roadmap, now=now)
    return roadmap
