"""The board pack: two pages read by a board, beside the full report.

Page 1 is where the organisation stands (SAMR index claimed and verified, readiness, the IT/OT
gap, the change since the last final, the three biggest gaps, the risks); page 2 the plan (the
roadmap's phases and their projected index, the next milestones) and the decisions asked of the
board. Every figure comes from the full report's content (`content.assessment_report`), so the
two documents never disagree; this module only picks, caps and words them.

Lists are capped so the pack stays two pages whatever the organisation's size: what is left
out is counted ("and 4 more").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone
from django.utils.text import Truncator

from assessments.charts.rows import ChangeRow, ProcessRow
from assessments.models import Assessment, Milestone, Report
from assessments.reports.content import AssessmentReport, Progress, assessment_report
from assessments.reports.roadmap import MilestoneRow, PhaseRow

RISKS_SHOWN = 3  # per kind of risk
DIMENSIONS_SHOWN = 8
NEXT_MILESTONES_SHOWN = 5
NAMES_IN_A_DECISION = 2
NAME_CHARS = 90  # of a name quoted in a decision (most generated titles are shorter)


@dataclass
class Capped:
    """The first few of a list, and how many more there are."""

    shown: list
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.shown)

    def __bool__(self) -> bool:
        return self.total > 0

    def __len__(self) -> int:
        return self.total


def capped(items: list, n: int) -> Capped:
    return Capped(list(items[:n]), len(items))


@dataclass
class Decision:
    """One thing the board is asked to decide, and why (from the data)."""

    ask: str
    because: str


@dataclass
class BoardPack:
    """Everything the board pack's template shows."""

    full: AssessmentReport
    samr_change: ChangeRow | None
    dimensions: Capped
    dead_integrations: Capped
    overdue: Capped
    unverified: Capped
    next_milestones: Capped
    decisions: list[Decision] = field(default_factory=list)
    kind: str = "board"

    # The full report's parts the template reads as they are.
    @property
    def report(self) -> Report:
        return self.full.report

    @property
    def branding(self):
        return self.full.branding

    @property
    def generated(self) -> datetime:
        return self.full.generated

    @property
    def assessment(self) -> Assessment:
        return self.full.assessment

    @property
    def headline(self) -> dict[str, str]:
        return self.full.headline

    @property
    def verified(self):
        return self.full.verified

    @property
    def previous(self) -> Assessment | None:
        return self.full.previous

    @property
    def biggest_gaps(self) -> list[ProcessRow]:
        return self.full.biggest_gaps

    @property
    def roadmap(self):
        return self.full.roadmap

    @property
    def phases(self) -> list[PhaseRow]:
        return self.full.phases

    @property
    def baseline_display(self) -> str:
        return self.full.baseline_display

    @property
    def scored(self) -> bool:
        """Someone answered a process's criteria: until then there is no index to speak of."""
        return self.full.figures.scored

    @property
    def draft(self) -> bool:
        """Not final: its figures may still change, and every page says so."""
        return self.assessment.state != Assessment.State.FINAL

    @property
    def title(self) -> str:
        return f"{self.branding.organization}: board pack, {self.assessment.title}"

    def snapshot(self) -> dict:
        """The figures as the pack prints them, kept with the report."""
        full = self.full.snapshot()
        return {
            "kind": self.kind,
            **{k: full[k] for k in ("assessment", "assessment_state", "generated", "branding")},
            "headline": self.headline,
            "verified_index": self.verified.index,
            "previous": full["previous"],
            "samr_change": self.samr_change.delta_display if self.samr_change else None,
            "biggest_gaps": [p.name for p in self.biggest_gaps],
            "dead_integrations": [i.name for i in self.dead_integrations.shown],
            "overdue": [m.heading for m in self.overdue.shown],
            "unverified": [p.name for p in self.unverified.shown],
            "phases": full["phases"],
            "next_milestones": [m.heading for m in self.next_milestones.shown],
            "decisions": [d.ask for d in self.decisions],
        }


def board_pack(*, report: Report, now: datetime, progress: Progress | None = None) -> BoardPack:
    """The board pack's content, read from the full report's."""
    full = assessment_report(report=report, now=now, **({"progress": progress} if progress else {}))
    samr_change = next((c for c in full.changes if c.key == "samr_index"), None)
    dead = [i for i in full.integrations if i.status == "down"]
    open_milestones = [m for m in full.milestones if m.status != Milestone.Status.DONE]
    upcoming = sorted(
        (m for m in open_milestones if not m.overdue), key=lambda m: (m.due or date.max, m.number)
    )
    pack = BoardPack(
        full=full,
        samr_change=samr_change,
        dimensions=capped([d for d in full.dimensions if d.in_scope], DIMENSIONS_SHOWN),
        dead_integrations=capped(dead, RISKS_SHOWN),
        overdue=capped(full.overdue, RISKS_SHOWN),
        unverified=capped(full.verified.unverified, RISKS_SHOWN),
        next_milestones=capped(upcoming, NEXT_MILESTONES_SHOWN),
    )
    pack.decisions = decisions(pack, open_milestones)
    return pack


def decisions(pack: BoardPack, open_milestones: list[MilestoneRow]) -> list[Decision]:
    """What the board is asked to decide, read plainly from the data: the plan's blocked,
    overdue and unowned work, integrations that are down, claims nobody has verified, the next
    phase that has not started yet, to approve."""
    asks = []
    if pack.draft:
        disputed = _count(len(pack.full.figures.disputed), "answer")
        asks.append(
            Decision(
                "Note that these figures are a draft.",
                "The assessment is not final"
                + (f"; {disputed} still disputed." if pack.full.figures.disputed else "."),
            )
        )
    if pack.roadmap is None:
        asks.append(
            Decision(
                "Ask for a roadmap from this assessment.",
                "There is no plan yet to close the gaps on page 1.",
            )
        )
    blocked = [m.heading for m in open_milestones if m.status == Milestone.Status.BLOCKED]
    if blocked:
        asks.append(
            Decision(
                f"Unblock {_count(len(blocked), 'milestone')}.", f"Blocked: {_names(blocked)}."
            )
        )
    overdue = [m.heading for m in pack.full.overdue]
    if overdue:
        asks.append(
            Decision(
                "Agree new dates or more resources for "
                f"{_count(len(overdue), 'overdue milestone')}.",
                f"Past {_their(overdue)} due date; listed under Risks on page 1.",
            )
        )
    unowned = [m.heading for m in open_milestones if not m.owner and m.phase == "Now"]
    if unowned:
        asks.append(
            Decision(
                f"Name an owner for {_count(len(unowned), 'milestone')} in the Now phase.",
                f"Nobody owns: {_names(unowned)}.",
            )
        )
    down = [i.name for i in pack.full.integrations if i.status == "down"]
    if down:
        asks.append(
            Decision(
                f"Fund the repair of {_count(len(down), 'integration')} sending no data.",
                f"Without {_their(down)} data no check can verify a claim; listed under Risks on "
                "page 1.",
            )
        )
    unverified = [p.name for p in pack.full.verified.unverified]
    if unverified:
        asks.append(
            Decision(
                f"Ask for evidence or live-data checks for {_count(len(unverified), 'process')}.",
                f"{_their(unverified).capitalize()} claimed level is above what data or evidence "
                "verifies; listed under Risks on page 1.",
            )
        )
    today = timezone.localdate(pack.generated)
    coming = [p for p in pack.phases if p.open and p.start > today]
    if coming:
        phase = coming[0]
        asks.append(
            Decision(
                f"Approve the {phase.name.lower()} phase from {phase.start:%-d %b %Y}: "
                f"{_count(phase.open, 'open milestone')}.",
                f"Projected SAMR index once it is done: {phase.projected}.",
            )
        )
    if not asks:
        asks.append(Decision("No decision is needed.", "The plan is on track."))
    return asks


def _their(items: list) -> str:
    return "its" if len(items) == 1 else "their"


def _count(n: int, noun: str) -> str:
    """ "1 process", "4 processes"."""
    plural = noun + ("es" if noun.endswith("s") else "s")
    return f"{n} {noun if n == 1 else plural}"


def _names(names: list[str]) -> str:
    """The first few names in quotes (a long one shortened: the full report has it whole), and
    how many more."""
    shown = ", ".join(f"“{Truncator(n).chars(NAME_CHARS)}”" for n in names[:NAMES_IN_A_DECISION])
    more = len(names) - NAMES_IN_A_DECISION
    return shown + (f" and {more} more" if more > 0 else "")
