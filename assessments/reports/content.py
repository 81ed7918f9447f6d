"""What a report says: every figure, table and chart, gathered from the same computations as
the pages (`assessment_figures`, `charts.rows`, `process_evidence`, `health_figures`, the
roadmap plan), then drawn as SVG. `snapshot()` keeps the figures as the PDF shows them.
"""

from __future__ import annotations

import base64
import mimetypes
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import prefetch_related_objects
from django.utils import timezone

from accounts.models import Role
from assessments import charts, roadmaps, scoring
from assessments.charts import svg
from assessments.charts.rows import ChangeRow, Comparison, DimensionRow, ProcessRow, SpreadRow
from assessments.evidence import process_evidence
from assessments.figures import AssessmentFigures, assessment_figures
from assessments.models import STATUS_CHOICES, Assessment, Milestone, Report, Roadmap
from assessments.reports.portfolio import PeerStanding, peer_standing
from integration.models import RESERVED_PREFIX, Integration
from integration.services.health import format_share, health_figures
from integration.services.series import SeriesRefused, telemetry_series

STATUS_LABELS = dict(STATUS_CHOICES)
SPARKLINE_WINDOW = timedelta(days=7)
Progress = Callable[[int, str], None]


def _no_progress(percent: int, step: str) -> None:
    pass


# --- Branding --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Branding:
    """The cover's names, colour and logos; logos as data URIs, so the PDF fetches nothing."""

    organization: str
    colour: str
    logo: str = ""
    author: str = ""
    firm: str = ""
    firm_logo: str = ""


def branding_for(report: Report) -> Branding:
    org = report.organization
    user = report.requested_by
    firm = firm_logo = ""
    if user is not None and user.firm_name:
        is_consultant = user.memberships.filter(organization=org, role=Role.CONSULTANT).exists()
        if is_consultant:
            firm = user.firm_name
            # A firm logo field belongs to accounts; used as soon as it exists.
            firm_logo = _data_uri(getattr(user, "firm_logo", None))
    return Branding(
        organization=org.name,
        colour=org.brand_colour,
        logo=_data_uri(org.logo),
        author=str(user) if user else "",
        firm=firm,
        firm_logo=firm_logo,
    )


def _data_uri(image) -> str:
    """An uploaded image as a data: URI, or "" when there is none or it cannot be read."""
    if not image:
        return ""
    try:
        with image.open("rb") as f:
            data = f.read()
    except (OSError, ValueError):
        return ""  # a missing logo file leaves the cover without it, not the report unbuilt
    kind = mimetypes.guess_type(image.name)[0] or "image/png"
    if kind not in ("image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp"):
        return ""
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


# --- Parts of an assessment report -----------------------------------------------------------


@dataclass
class IntegrationRow:
    name: str
    systems: str
    status: str
    freshness: str
    uptime: dict[str, str]
    error_rate: str
    processes: list[str]
    metric: str
    sparkline: str
    span: str  # the sparkline's range, e.g. "12.1 – 48.0 mm/s"


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
class AnswerLine:
    assessor: str
    answer: str
    note: str
    link: str = ""


@dataclass
class CriterionLine:
    label: str
    text: str
    counts_as: str
    state: str
    answers: list[AnswerLine]
    agreement: str


@dataclass
class ProcessAppendix:
    name: str
    area: str
    current: str
    target: str
    rationale: str
    evidence: list[str]
    criteria: list[CriterionLine]


@dataclass
class QuestionLine:
    label: str
    text: str
    sides: dict[str, str]  # side -> counts as
    answers: list[AnswerLine]
    agreements: list[str]


@dataclass
class DimensionAppendix:
    name: str
    excluded_reason: str | None
    questions: list[QuestionLine]


@dataclass
class EvidenceFlag:
    process: str
    level: str
    message: str


@dataclass
class AssessmentReport:
    """Everything the assessment report's template shows."""

    report: Report
    branding: Branding
    generated: datetime
    figures: AssessmentFigures
    headline: dict[str, str]
    previous: Assessment | None
    changes: list[ChangeRow]
    processes: list[ProcessRow]
    dimensions: list[DimensionRow]
    distribution: list[tuple[int, str, int]]
    biggest_gaps: list[ProcessRow]
    next_milestones: list[MilestoneRow]
    evidence: list[EvidenceFlag]
    integrations: list[IntegrationRow]
    roadmap: Roadmap | None
    phases: list[PhaseRow]
    baseline_display: str
    milestones: list[MilestoneRow]
    peers: PeerStanding
    spread: list[SpreadRow]
    appendix_processes: list[ProcessAppendix]
    appendix_dimensions: list[DimensionAppendix]
    charts: dict[str, str]
    kind: str = "assessment"

    @property
    def assessment(self) -> Assessment:
        return self.figures.assessment

    @property
    def title(self) -> str:
        return f"{self.branding.organization}: {self.assessment.title}"

    @property
    def overdue(self) -> list[MilestoneRow]:
        return [m for m in self.milestones if m.overdue]

    @property
    def integrations_down(self) -> int:
        return sum(1 for i in self.integrations if i.status == "down")

    def snapshot(self) -> dict:
        """The figures as the PDF shows them, kept with the report."""
        a = self.assessment
        return {
            "kind": self.kind,
            "assessment": _assessment_meta(a),
            "assessment_state": a.state,
            "generated": self.generated.isoformat(),
            "branding": {"organization": self.branding.organization, "firm": self.branding.firm},
            "headline": self.headline,
            "previous": _assessment_meta(self.previous) if self.previous else None,
            "changes": {c.key: c.delta_display for c in self.changes},
            "processes": [
                {
                    "name": p.name,
                    "business_value": p.business_value,
                    "current": p.current,
                    "target": p.target,
                    "gap": p.gap,
                    "gap_weight": p.gap_weight,
                }
                for p in self.processes
            ],
            "dimensions": [
                {
                    "name": d.name,
                    "it": d.it_display,
                    "ot": d.ot_display,
                    "combined": d.combined_display,
                    "gap": d.gap_display,
                    "excluded": d.excluded_reason,
                }
                for d in self.dimensions
            ],
            "evidence": [f.process for f in self.evidence],
            "integrations": [
                {"name": i.name, "status": i.status, "uptime": i.uptime, "freshness": i.freshness}
                for i in self.integrations
            ],
            "phases": [{"name": p.name, "projected": p.projected} for p in self.phases],
            "milestones": [
                {
                    "title": m.title,
                    "status": m.status,
                    "due": m.due.isoformat() if m.due else None,
                    "overdue": m.overdue,
                    "verification": m.verdict,
                }
                for m in self.milestones
            ],
            "peers": [r.as_dict() for r in self.peers.rows],
        }


def _assessment_meta(a: Assessment) -> dict:
    return {
        "id": a.pk,
        "title": a.title,
        "assessed_on": a.assessed_on.isoformat(),
        "state": a.state,
        "framework": str(a.framework),
        "site": a.site.name if a.site_id else None,
    }


def previous_final(assessment: Assessment) -> Assessment | None:
    """The last final assessment of the same organisation and site before this one."""
    return (
        Assessment.objects.filter(
            organization=assessment.organization_id,
            site=assessment.site_id,
            state=Assessment.State.FINAL,
            assessed_on__lte=assessment.assessed_on,
        )
        .exclude(pk=assessment.pk)
        .exclude(assessed_on=assessment.assessed_on, created__gt=assessment.created)
        .select_related("framework")
        .first()
    )


def headline_for(figures: AssessmentFigures) -> dict[str, str]:
    """The headline figures as every page shows them."""
    return {
        "samr_index": scoring.format_figure(figures.samr_index),
        "target_index": scoring.format_figure(figures.target_index),
        "overall_readiness": scoring.format_figure(figures.overall_readiness),
        "convergence_gap": scoring.format_figure(figures.convergence_gap),
        "progress": f"{figures.progress}",
        "settled": f"{figures.settled} of {figures.total}",
        "disputed": f"{len(figures.disputed)}",
    }


def assessment_report(
    *, report: Report, now: datetime, progress: Progress = _no_progress
) -> AssessmentReport:
    """Gather the assessment report's content: figures, evidence, health, roadmap, peers."""
    assessment = report.assessment
    today = timezone.localdate(now)
    figures = assessment_figures(assessment)
    previous = previous_final(assessment)
    changes = []
    if previous is not None:
        changes = charts.comparison(assessment_figures(previous), figures).headline
    processes = charts.process_rows(figures)
    dimensions = charts.dimension_rows(figures)
    names = charts.level_names(figures)
    progress(20, "Checking live data and integration health")
    evidence = process_evidence(
        processes=[p.process for p in figures.processes],
        levels={p.process.pk: p.current for p in figures.processes},
        now=now,
    )
    flags = [
        EvidenceFlag(
            p.process.name, f"{p.current} {names[p.current]}", evidence[p.process.pk].message
        )
        for p in figures.processes
        if evidence[p.process.pk].flagged
    ]
    linked = defaultdict(list)
    for p in figures.processes:
        for integration, _ in evidence[p.process.pk].integrations:
            linked[integration.pk].append(p.process.name)
    integrations = _integration_rows(report.organization, linked, now)
    progress(30, "Reading the roadmap")
    roadmap = (
        Roadmap.objects.filter(organization=report.organization_id, assessment=assessment)
        .select_related("framework")
        .first()
    )
    phases, milestones, timeline_svg, baseline = [], [], "", scoring.NO_FIGURE
    if roadmap is not None:
        plan = roadmaps.roadmap_plan(roadmap)
        baseline = plan.baseline_display
        active = plan.milestones
        milestones = _milestone_rows(active, today, now)
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
        if active:
            gantt = roadmaps.gantt_rows(roadmap, active, today)
            timeline_svg = svg.timeline(
                [svg.TimelineRow(g.label, g.start, g.end, g.status, g.overdue) for g in gantt],
                [svg.TimelinePhase(p.name, p.start, p.end, p.projected) for p in phases],
                today,
            )
    progress(35, "Comparing with peers")
    peers = peer_standing(
        organization=report.organization, figures=figures, user=report.requested_by
    )
    progress(40, "Drawing the charts")
    chart_svgs = {
        "heatmap": svg.samr_heatmap(processes, names) if processes else "",
        "radar": svg.readiness_radar(dimensions)
        if sum(1 for d in dimensions if d.in_scope and (d.it is not None or d.ot is not None)) >= 3
        else "",
        "gaps": svg.gap_bars(processes) if processes else "",
        "timeline": timeline_svg,
    }
    open_milestones = [m for m in milestones if m.status != Milestone.Status.DONE]
    return AssessmentReport(
        report=report,
        branding=branding_for(report),
        generated=now,
        figures=figures,
        headline=headline_for(figures),
        previous=previous,
        changes=changes,
        processes=processes,
        dimensions=dimensions,
        distribution=[(lv, name, figures.distribution[lv]) for lv, name in enumerate(names)],
        biggest_gaps=sorted(
            [p for p in processes if p.gap_weight],
            key=lambda p: (-p.gap_weight * p.business_value, -p.gap_weight, p.name),
        )[:3],
        next_milestones=sorted(open_milestones, key=lambda m: (m.due or date.max, m.number))[:3],
        evidence=flags,
        integrations=integrations,
        roadmap=roadmap,
        phases=phases,
        baseline_display=baseline,
        milestones=milestones,
        peers=peers,
        spread=charts.spread_rows(figures),
        appendix_processes=_process_appendix(figures, names),
        appendix_dimensions=_dimension_appendix(figures),
        charts=chart_svgs,
    )


def _integration_rows(org, linked: dict, now: datetime) -> list[IntegrationRow]:
    rows = []
    integrations = Integration.objects.filter(organization=org).prefetch_related("metrics")
    for integration in integrations:
        health = health_figures(integration=integration, now=now)
        metric = next(
            (m for m in integration.metrics.all() if not m.name.startswith(RESERVED_PREFIX)), None
        )
        line, span, metric_label = svg.sparkline([]), "no data", "no metric yet"
        if metric is not None:
            metric_label = metric.name
            values = _hourly_means(integration, metric.name, now)
            known = [v for v in values if v is not None]
            line = svg.sparkline(values)
            if known:
                unit = f" {metric.unit}" if metric.unit else ""
                span = f"{min(known):.4g} – {max(known):.4g}{unit}"
        systems = " → ".join(s for s in (integration.source_system, integration.target_system) if s)
        rows.append(
            IntegrationRow(
                name=integration.name,
                systems=systems,
                status=str(health.status),
                freshness=health.freshness_display,
                uptime=health.uptime_display,
                error_rate=format_share(health.error_rate),
                processes=linked.get(integration.pk, []),
                metric=metric_label,
                sparkline=line,
                span=span,
            )
        )
    return rows


def _hourly_means(integration, metric: str, now: datetime) -> list[float | None]:
    """The metric's hourly means over the sparkline window, None for hours without data."""
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - SPARKLINE_WINDOW
    try:
        rows = telemetry_series(
            integration=integration, metric=metric, start=start, end=end, step="1h"
        )
    except SeriesRefused:
        return []
    by_hour = {bucket: avg for bucket, _count, _low, _high, avg in rows}
    hours = int(SPARKLINE_WINDOW.total_seconds() // 3600)
    return [by_hour.get(start + timedelta(hours=h)) for h in range(hours)]


def _milestone_rows(milestones, today: date, now: datetime) -> list[MilestoneRow]:
    """The milestones in plan order with their verdicts; criteria whose last check is stale are
    checked again first, as the milestone page does."""
    prefetch_related_objects(milestones, "criteria__integration")
    roadmaps.criteria_refresh(criteria=[c for m in milestones for c in m.criteria.all()], now=now)
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


def _process_appendix(figures: AssessmentFigures, names) -> list[ProcessAppendix]:
    framework = figures.assessment.framework.definition
    areas = {a.key: a.name for a in framework.areas}
    result = []
    for p in figures.processes:
        lines = []
        for level in sorted(p.levels):
            for index, c in enumerate(p.levels[level], start=1):
                lines.append(
                    CriterionLine(
                        label=f"L{level}.{index}",
                        text=c.criterion.text,
                        counts_as=_counts_as(c.settled, STATUS_LABELS.get),
                        state=c.settled.state.value,
                        answers=[
                            AnswerLine(
                                assessor=str(a.assessor),
                                answer=STATUS_LABELS.get(a.status, a.status),
                                note=a.rationale,
                                link=a.evidence_url,
                            )
                            for a in sorted(c.answers, key=lambda a: str(a.assessor))
                        ],
                        agreement=(
                            f"Agreed {STATUS_LABELS.get(c.agreement.status, c.agreement.status)}: "
                            f"{c.agreement.reason}"
                            if c.agreement
                            else ""
                        ),
                    )
                )
        result.append(
            ProcessAppendix(
                name=p.process.name,
                area=areas.get(p.process.area, p.process.area),
                current=f"{p.current} {names[p.current]}",
                target=scoring.NO_FIGURE if p.target is None else f"{p.target} {names[p.target]}",
                rationale=p.score.rationale,
                evidence=[line.strip() for line in p.score.evidence.splitlines() if line.strip()],
                criteria=lines,
            )
        )
    return result


def _counts_as(settled, label) -> str:
    if settled.state == scoring.Settlement.DISPUTED:
        return "disputed"
    if settled.state == scoring.Settlement.UNANSWERED:
        return "unanswered"
    return label(settled.value, str(settled.value))


def _readiness_label(value) -> str:
    return "N/A" if value is None else str(value)


def _dimension_appendix(figures: AssessmentFigures) -> list[DimensionAppendix]:
    result = []
    for d in figures.dimensions:
        questions = []
        for number, q in enumerate(d.questions, start=1):
            answers = [
                AnswerLine(
                    assessor=str(a.assessor),
                    answer=f"{side.upper()} {_readiness_label(a.value)}",
                    note=a.comment,
                )
                for side in ("it", "ot")
                for a in sorted(q.answers.get(side, []), key=lambda a: str(a.assessor))
            ]
            questions.append(
                QuestionLine(
                    label=f"Q{number}",
                    text=q.question.text,
                    sides={
                        side: _counts_as(q.sides[side], lambda v, _d: _readiness_label(v))
                        for side in ("it", "ot")
                    },
                    answers=answers,
                    agreements=[
                        f"{side.upper()} agreed {_readiness_label(a.value)}: {a.reason}"
                        for side, a in sorted(q.agreements.items())
                    ],
                )
            )
        result.append(DimensionAppendix(d.dimension.name, d.excluded_reason, questions))
    return result


# --- A comparison report ---------------------------------------------------------------------


@dataclass
class ComparisonReport:
    report: Report
    branding: Branding
    generated: datetime
    before: Assessment
    after: Assessment
    before_figures: AssessmentFigures
    after_figures: AssessmentFigures
    comparison: Comparison
    charts: dict[str, str]
    kind: str = "comparison"

    @property
    def title(self) -> str:
        return f"{self.branding.organization}: {self.before.title} → {self.after.title}"

    def snapshot(self) -> dict:
        c = self.comparison
        return {
            "kind": self.kind,
            "assessment": _assessment_meta(self.after),
            "compared_to": _assessment_meta(self.before),
            "assessment_state": self.after.state,
            "generated": self.generated.isoformat(),
            "branding": {"organization": self.branding.organization, "firm": self.branding.firm},
            "headline": [{"key": r.key, **_change_dict(r)} for r in c.headline],
            "processes": [_change_dict(r) for r in c.processes],
            "dimensions": [
                {"name": d.name, "it": _change_dict(d.it), "ot": _change_dict(d.ot)}
                for d in c.dimensions
            ],
            "improved": [r.key for r in c.improved],
            "concerning": [r.key for r in c.concerning],
        }


def _change_dict(r: ChangeRow) -> dict:
    return {
        "name": r.name,
        "before": r.before_display,
        "after": r.after_display,
        "delta": r.delta_display,
    }


def comparison_report(
    *, report: Report, now: datetime, progress: Progress = _no_progress
) -> ComparisonReport:
    """Two assessments of one organisation side by side, in the same computations as the
    comparison page."""
    before, after = report.compared_to, report.assessment
    before_figures, after_figures = assessment_figures(before), assessment_figures(after)
    result = charts.comparison(before_figures, after_figures)
    progress(40, "Drawing the charts")
    chart_svgs = {
        "processes": svg.process_comparison(result) if result.processes else "",
        "dimensions": svg.dimension_comparison(result) if result.dimensions else "",
    }
    return ComparisonReport(
        report=report,
        branding=branding_for(report),
        generated=now,
        before=before,
        after=after,
        before_figures=before_figures,
        after_figures=after_figures,
        comparison=result,
        charts=chart_svgs,
    )


def report_content(*, report: Report, now: datetime, progress: Progress = _no_progress):
    """The content of `report`, of its kind."""
    if report.kind == Report.Kind.COMPARISON:
        return comparison_report(report=report, now=now, progress=progress)
    return assessment_report(report=report, now=now, progress=progress)


__all__ = [
    "AssessmentReport",
    "Branding",
    "ComparisonReport",
    "assessment_report",
    "comparison_report",
    "headline_for",
    "previous_final",
    "report_content",
]
