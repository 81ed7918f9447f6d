"""What generation reads from an assessment, and what a generated milestone holds."""

from __future__ import annotations

from django.utils import timezone

from assessments.evidence import process_evidence
from assessments.figures import assessment_figures
from assessments.models import Assessment, Milestone, Roadmap
from assessments.roadmaps.rules.milestones import Planned
from assessments.roadmaps.rules.priority import DimensionInput, ProcessInput
from assessments.verified.status import assessment_verification

CONTENT_FIELDS = (
    "kind",
    "title",
    "description",
    "action_key",
    "responsibility",
    "benefit",
    "priority",
    "priority_explanation",
    "process_id",
    "from_level",
    "to_level",
    "dimension_key",
)


UNVERIFIED_FACTOR = 1.5  # claims a level above its verified one: make the claim true first
SHAKY_DATA_FACTOR = 1.25  # one of its integrations is late or down


def process_health_factors(figures, *, now) -> dict[str, float]:
    """Telemetry-health factor per process (keyed by str(process.pk)).

    1.5 when its verified level is below its claimed level (checks or evidence do not stand
    behind the claim yet), 1.25 when one of its integrations is late or down, else 1.0; every
    priority of the process's steps is multiplied by it and the explanation says so.
    """
    verification = assessment_verification(figures, now=now, history=False)
    evidence = process_evidence(processes=[p.process for p in figures.processes], now=now)
    factors = {}
    for pk, e in evidence.items():
        verified = verification.of(pk)
        if verified is not None and verified.unverified:
            factors[str(pk)] = UNVERIFIED_FACTOR
        else:
            factors[str(pk)] = SHAKY_DATA_FACTOR if e.any_down else 1.0
    return factors


def assessment_inputs(assessment: Assessment):
    """(framework, processes, dimensions) as the rules in `assessments.roadmaps.rules` read them."""
    figures = assessment_figures(assessment)
    health = process_health_factors(figures, now=timezone.now())
    processes = [
        ProcessInput(
            key=str(p.process.pk),
            name=p.process.name,
            area=p.process.area,
            business_value=p.process.business_value,
            current=p.current,
            target=p.target,
            health=health.get(str(p.process.pk), 1.0),
        )
        for p in figures.processes
    ]
    dimensions = [
        DimensionInput(
            key=d.dimension.key,
            name=d.dimension.name,
            it=d.figures.it,
            ot=d.figures.ot,
            in_scope=d.in_scope,
        )
        for d in figures.dimensions
    ]
    return assessment.framework.definition, processes, dimensions


def milestone_content(item: Planned) -> dict:
    """The CONTENT_FIELDS of a generated milestone."""
    return {
        "kind": item.kind,
        "title": item.title[:200],
        "description": item.description,
        "action_key": item.action_key,
        "responsibility": item.responsibility,
        "benefit": item.benefit,
        "priority": item.priority,
        "priority_explanation": item.explanation[:500],
        "process_id": None if item.process_key is None else int(item.process_key),
        "from_level": item.from_level,
        "to_level": item.to_level,
        "dimension_key": item.dimension_key,
    }


def new_milestone(roadmap: Roadmap, item: Planned, *, phase, position, now) -> Milestone:
    """An unsaved generated milestone, due at the end of its phase."""
    return Milestone(
        roadmap=roadmap,
        key=item.key,
        phase=phase,
        position=position,
        due_date=roadmap.window(phase).end,
        created=now,
        updated=now,
        **milestone_content(item),
    )
