"""What a report says: every figure, table and chart, gathered from the same computations as
the pages (`assessment_figures`, `charts.rows`, `assessment_verification`, `health_figures`,
the roadmap plan), then drawn as SVG. `snapshot()` keeps the figures as the PDF shows them.

The parts live beside this module: `branding` (the cover), `health` (integrations),
`roadmap` (phases, milestones, timeline), `verified` (claimed vs verified, each check) and
`appendix` (every answer); peers come from `portfolio`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone

from assessments import scoring
from assessments.charts.rows import (
    ChangeRow,
    Comparison,
    DimensionRow,
    ProcessRow,
    SpreadRow,
    comparison,
    dimension_rows,
    level_names,
    process_rows,
    spread_rows,
)
from assessments.charts.svg.assessment import gap_bars, readiness_radar, samr_heatmap
from assessments.charts.svg.comparison import dimension_comparison, process_comparison
from assessments.crosswalk import Profile, profile_of
from assessments.figures import AssessmentFigures, assessment_figures
from assessments.framework.crosswalk import crosswalk_for
from assessments.models import Assessment, Milestone, Process, Report, Roadmap
from assessments.pool import BenchmarkFigures, benchmark_dict, benchmark_figures
from assessments.reports.appendix import (
    DimensionAppendix,
    ProcessAppendix,
    dimension_appendix,
    process_appendix,
)
from assessments.reports.branding import Branding, branding_for
from assessments.reports.health import IntegrationRow, integration_rows
from assessments.reports.portfolio import PeerStanding, peer_standing
from assessments.reports.roadmap import MilestoneRow, PhaseRow, roadmap_section
from assessments.reports.verified import VerifiedSection, verified_section

Progress = Callable[[int, str], None]


def _no_progress(percent: int, step: str) -> None:
    pass


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
    verified: VerifiedSection
    integrations: list[IntegrationRow]
    roadmap: Roadmap | None
    phases: list[PhaseRow]
    baseline_display: str
    milestones: list[MilestoneRow]
    outcomes: dict
    peers: PeerStanding
    spread: list[SpreadRow]
    appendix_processes: list[ProcessAppendix]
    appendix_dimensions: list[DimensionAppendix]
    charts: dict[str, str]
    indicative: Profile | None = None  # SIRI / acatech, when the framework has a crosswalk
    kind: str = "assessment"
    benchmarks: list[BenchmarkFigures] = field(default_factory=list)  # all, then its industry

    @property
    def assessment(self) -> Assessment:
        return self.figures.assessment

    @property
    def title(self) -> str:
        return f"{self.branding.organization}: {self.assessment.title}"

    @property
    def draft(self) -> bool:
        """Not final: base.html marks every page DRAFT."""
        return not self.assessment.is_final

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
            "verification": self.verified.as_dict(),
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
            "outcomes": [
                {
                    "title": m.title,
                    "effort_days": None if m.effort_days is None else str(m.effort_days),
                    "cost": None if m.cost is None else str(m.cost),
                    "outcome": o.summary if o else "",
                    "interval": o.interval if o else "",
                }
                for m, o in self.outcomes.get("outcome_rows", [])
            ],
            "peers": [r.as_dict() for r in self.peers.rows],
            "indicative": self.indicative.as_dict() if self.indicative else None,
            "benchmarks": [benchmark_dict(b) for b in self.benchmarks],
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
        Assessment.objects.finals()
        .filter(
            organization=assessment.organization_id,
            site=assessment.site_id,
            assessed_on__lte=assessment.assessed_on,
        )
        .exclude(pk=assessment.pk)
        .exclude(pk=assessment.revision_of_id)  # the final this one corrects is not "before" it
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
        changes = comparison(assessment_figures(previous), figures).headline
    processes = process_rows(figures)
    dimensions = dimension_rows(figures)
    names = level_names(figures)
    progress(20, "Checking verification and integration health")
    verified = verified_section(figures, names, now=now)
    linked = defaultdict(list)
    found = Process.objects.prefetch_related("integrations").in_bulk(
        [p.process.pk for p in figures.processes]
    )
    for p in figures.processes:  # in the report's order
        for integration in found[p.process.pk].integrations.all():
            linked[integration.pk].append(p.process.name)
    integrations = integration_rows(report.organization, linked, now)
    progress(30, "Reading the roadmap")
    section = roadmap_section(report=report, assessment=assessment, today=today, now=now)
    progress(35, "Comparing with peers")
    peers = peer_standing(
        organization=report.organization, figures=figures, user=report.requested_by
    )
    benchmarks = [
        benchmark_figures(  # no user: "known" to any member, as every member may download it
            organization=report.organization,
            industry=industry,
            assessment=assessment,
        )
        for industry in dict.fromkeys(["", report.organization.industry])
    ]
    progress(40, "Drawing the charts")
    chart_svgs = {
        "heatmap": samr_heatmap(processes, names) if processes else "",
        "radar": readiness_radar(dimensions)
        if sum(1 for d in dimensions if d.in_scope and (d.it is not None or d.ot is not None)) >= 3
        else "",
        "gaps": gap_bars(processes) if processes else "",
        "timeline": section.timeline,
    }
    open_milestones = [m for m in section.milestones if m.status != Milestone.Status.DONE]
    crosswalk = crosswalk_for(assessment.framework.definition)
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
        verified=verified,
        integrations=integrations,
        roadmap=section.roadmap,
        phases=section.phases,
        baseline_display=section.baseline_display,
        milestones=section.milestones,
        outcomes=section.outcomes,
        peers=peers,
        spread=spread_rows(figures),
        # asked for without the appendix: not gathered (the template leaves the section out)
        appendix_processes=process_appendix(figures, names) if report.appendix else [],
        appendix_dimensions=dimension_appendix(figures) if report.appendix else [],
        charts=chart_svgs,
        indicative=profile_of(crosswalk, figures) if crosswalk else None,
        benchmarks=benchmarks,
    )


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

    @property
    def draft(self) -> bool:
        """Either side not final: base.html marks every page DRAFT."""
        return not (self.before.is_final and self.after.is_final)

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
    result = comparison(before_figures, after_figures)
    progress(40, "Drawing the charts")
    chart_svgs = {
        "processes": process_comparison(result) if result.processes else "",
        "dimensions": dimension_comparison(result) if result.dimensions else "",
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
