"""A roadmap read for its pages: the plan by phase, the board's cards, the timeline's rows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from assessments import scoring
from assessments.charts.plotly.roadmap import GanttRow
from assessments.models import Milestone, Roadmap
from assessments.roadmaps.rules.milestones import process_title
from assessments.roadmaps.rules.ordering import OrderProblem, order_problems, prerequisites
from assessments.roadmaps.rules.phasing import PhaseWindow, phase_rank
from assessments.roadmaps.rules.projection import Burnup, burnup, phase_projections


@dataclass
class PhaseView:
    window: PhaseWindow
    milestones: list[Milestone]
    projected: float | None
    capacity: int

    @property
    def open_count(self) -> int:
        return sum(1 for m in self.milestones if not m.is_done)

    @property
    def over_capacity(self) -> bool:
        return not self.window.open_ended and self.open_count > self.capacity

    @property
    def projected_display(self) -> str:
        return scoring.format_figure(self.projected)


@dataclass
class RoadmapPlan:
    roadmap: Roadmap
    phases: list[PhaseView]
    baseline_index: float | None
    target_index: float | None
    problems: list[OrderProblem]
    retired: list[Milestone]

    @property
    def milestones(self) -> list[Milestone]:
        return [m for phase in self.phases for m in phase.milestones]

    @property
    def baseline_display(self) -> str:
        return scoring.format_figure(self.baseline_index)

    @property
    def target_display(self) -> str:
        return scoring.format_figure(self.target_index)

    def projection_points(self) -> list[tuple[str, date, float | None]]:
        start = self.roadmap.start_date
        return [("Today's assessment", start, self.baseline_index)] + [
            (f"After {p.window.name.lower()}", p.window.end, p.projected) for p in self.phases
        ]


def roadmap_plan(roadmap: Roadmap) -> RoadmapPlan:
    """The roadmap's milestones by phase, each with its names and what it waits for, the
    projected SAMR index per phase and any order problems."""
    milestones = list(
        roadmap.milestones.select_related(
            "process", "owner", "kpi__integration", "kpi__organization"
        )
        .prefetch_related("criteria")
        .in_plan_order()
    )
    active = [m for m in milestones if m.retired is None]
    retired = [m for m in milestones if m.retired is not None]
    label_milestones(roadmap, milestones)
    slots = [m.as_slot() for m in active]
    by_pk = {m.pk: m for m in active}
    for key, before in prerequisites(slots).items():
        by_pk[key].waits_for = [by_pk[b] for b in before if not by_pk[b].is_done]
    processes = roadmap.baseline_processes()
    projections = phase_projections(processes, slots)
    phases = [
        PhaseView(
            window=w,
            milestones=[m for m in active if m.phase == w.phase],
            projected=projections[w.phase],
            capacity=roadmap.capacity,
        )
        for w in roadmap.windows()
    ]
    figures = [p.figures() for p in processes]
    return RoadmapPlan(
        roadmap=roadmap,
        phases=phases,
        baseline_index=scoring.samr_index(figures),
        target_index=scoring.target_index(figures),
        problems=order_problems(slots),
        retired=retired,
    )


def board_milestones(queryset, *, roadmap: Roadmap | None = None) -> list[Milestone]:
    """Milestones with what their cards show (names, owner, criteria), labelled. Cards of one
    roadmap share one roadmap object (its framework is decoded once); pass `roadmap` when
    they are all of it, so it is not read again."""
    queryset = queryset.active().select_related("process", "owner").prefetch_related("criteria")
    if roadmap is None:
        queryset = queryset.select_related("roadmap__framework")
    milestones = list(queryset)
    roadmaps = {roadmap.pk: roadmap} if roadmap else {}
    for m in milestones:
        if m.roadmap_id not in roadmaps:
            roadmaps[m.roadmap_id] = m.roadmap
        m.roadmap = roadmaps[m.roadmap_id]
    for roadmap in roadmaps.values():
        label_milestones(roadmap, [m for m in milestones if m.roadmap_id == roadmap.pk])
    return milestones


def label_milestones(roadmap: Roadmap, milestones) -> None:
    """Give each milestone the names its keys stand for in the roadmap's framework."""
    framework = roadmap.framework.definition
    names = {r.key: r.name for r in framework.responsibilities}
    benefits = {b.key: b.name for b in framework.benefits}
    dimensions = {d.key: d.name for d in framework.dimensions}
    for m in milestones:
        m.responsibility_name = names.get(m.responsibility, m.responsibility)
        m.benefit_name = benefits.get(m.benefit, m.benefit)
        m.dimension_name = dimensions.get(m.dimension_key, m.dimension_key)
        m.waits_for = []


def gantt_rows(roadmap: Roadmap, milestones, today: date) -> list[GanttRow]:
    """One bar per milestone, numbered in plan order: from its phase's start to its due date,
    named with its process (milestones generated before titles named it share titles)."""
    windows = roadmap.windows()
    rows = []
    for number, m in enumerate(milestones, start=1):
        window = windows[phase_rank(m.phase)]
        end = m.due_date or window.end
        if end < window.start:  # due before its phase: draw it in the phase it is due in
            start = max((w.start for w in windows if w.start <= end), default=end)
        else:
            start = window.start
        process = m.process.name if m.process_id else ""
        rows.append(
            GanttRow(
                label=f"{number}. {process_title(m.title, process)}",
                start=start,
                end=end,
                status=m.status,
                phase=m.phase,
                overdue=m.is_overdue(today),
            )
        )
    return rows


def roadmap_burnup(roadmap: Roadmap, milestones, today: date) -> Burnup:
    completed = [timezone.localdate(m.completed) for m in milestones if m.completed]
    return burnup(start=roadmap.start_date, today=today, completed=completed, total=len(milestones))


@dataclass
class TextBlock:
    """A paragraph of a milestone's description: its lines, then the list that follows them."""

    lines: list[str]
    items: list[str]


def text_blocks(text: str) -> list[TextBlock]:
    """A description as paragraphs and lists, for a page to show as <p> and <ul>: lines that
    start "- " are list items (the generator lists a step's other actions so, and people do)."""
    blocks = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        block = TextBlock([], [])
        for line in (line.strip() for line in paragraph.splitlines()):
            if line.startswith("- "):
                block.items.append(line[2:].strip())
            elif block.items:  # text after a list starts a paragraph of its own
                blocks.append(block)
                block = TextBlock([line], [])
            elif line:
                block.lines.append(line)
        blocks.append(block)
    return [block for block in blocks if block.lines or block.items]
