"""The roadmap in a report: its phases, its milestones with their verification, a timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import prefetch_related_objects

from assessments import scoring
from assessments.charts.svg.roadmap import TimelinePhase, TimelineRow, timeline
from assessments.models import Assessment, Report, Roadmap
from assessments.roadmaps.acceptance import criteria_refresh
from assessments.roadmaps.outcomes import cost_and_benefit
from assessments.roadmaps.reading import gantt_rows, roadmap_plan
from assessments.roadmaps.rules.milestones import process_title


@dataclass
class VerificationRow:
    text: str
    verified: bool | None
    measured: str


@dataclass
class MilestoneRow:
    number: int
    title: str
    phase: str
    process: str
    owner: str
    due: date | None
    status: str
    status_label: str
    overdue: bool
    verdict: str = ""  # "Verified", "Done, not verified", ... ("" without criteria)
    verdict_state: str = ""
    verification: list[VerificationRow] = field(default_factory=list)

    @property
    def heading(self) -> str:
        """The title naming its process, as the report lists it."""
        return process_title(self.title, self.process)


@dataclass
class PhaseRow:
    name: str
    start: date
    end: date
    open_ended: bool
    milestones: int
    open: int
    projected: str


@dataclass
class RoadmapSection:
    roadmap: Roadmap | None = None
    phases: list[PhaseRow] = field(default_factory=list)
    milestones: list[MilestoneRow] = field(default_factory=list)
    timeline: str = ""
    baseline_display: str = scoring.NO_FIGURE
    outcomes: dict = field(default_factory=dict)  # roadmaps.outcomes.cost_and_benefit


def roadmap_section(
    *, report: Report, assessment: Assessment, today: date, now: datetime
) -> RoadmapSection:
    """The assessment's roadmap, if it has one, as the report shows it."""
    roadmap = (
        Roadmap.objects.filter(organization=report.organization_id, assessment=assessment)
        .select_related("framework")
        .first()
    )
    if roadmap is None:
        return RoadmapSection()
    plan = roadmap_plan(roadmap)
    active = plan.milestones
    milestones = milestone_rows(active, today, now)
    phases = [
        PhaseRow(
            name=p.window.name,
            start=p.window.start,
            end=p.window.end,
            open_ended=p.window.open_ended,
            milestones=len(p.milestones),
            open=p.open_count,
            projected=p.projected_display,
        )
        for p in plan.phases
    ]
    chart = ""
    if active:
        gantt = gantt_rows(roadmap, active, today)
        chart = timeline(
            [TimelineRow(g.label, g.start, g.end, g.status, g.overdue) for g in gantt],
            [TimelinePhase(p.name, p.start, p.end, p.projected) for p in phases],
            today,
        )
    outcomes = cost_and_benefit(milestones=active, now=now)
    return RoadmapSection(roadmap, phases, milestones, chart, plan.baseline_display, outcomes)


def milestone_rows(milestones, today: date, now: datetime) -> list[MilestoneRow]:
    """The milestones in plan order with their verdicts; criteria whose last check is stale are
    checked again first, as the milestone page does."""
    prefetch_related_objects(milestones, "criteria__integration")
    criteria_refresh(criteria=[c for m in milestones for c in m.criteria.all()], now=now)
    rows = []
    for number, m in enumerate(milestones, start=1):
        verdict = m.verification
        rows.append(
            MilestoneRow(
                number=number,
                title=m.title,
                phase=m.get_phase_display(),
                process=m.process.name if m.process_id else "",
                owner=str(m.owner) if m.owner_id else "",
                due=m.due_date,
                status=m.status,
                status_label=m.get_status_display(),
                overdue=m.is_overdue(today),
                verdict=verdict.label if verdict else "",
                verdict_state=verdict.state if verdict else "",
                verification=[
                    VerificationRow(
                        text=f"{c.integration.name}: {c}",
                        verified=c.last_passed,
                        measured=c.last_explanation,
                    )
                    for c in m.criteria.all()
                ],
            )
        )
    return rows
