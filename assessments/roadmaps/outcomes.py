"""Milestones' outcomes on stored rows: freezing baselines and reading the after window.

The arithmetic is `assessments.outcomes`; the days come from the hour rollups through
`integration.services.daily`. A baseline, once frozen, is read from the milestone only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction

import audit.trail as audit
from assessments import outcomes
from assessments.audit_areas import AuditArea
from assessments.models import Milestone, OutcomeKpi
from integration.services.daily import telemetry_daily


class OutcomeFrozen(ValueError):
    """A change to a milestone's KPI or start date after its baseline was frozen."""


# What a milestone's outcome is waiting for, or that it is measured.
NO_KPI, BEFORE_START, NOT_DONE, COLLECTING, MEASURED, SHORT = (
    "no-kpi",
    "before-start",
    "not-done",
    "collecting",
    "measured",
    "not-enough-data",
)


@dataclass(frozen=True)
class OutcomeView:
    milestone: Milestone
    state: str
    kpi: OutcomeKpi | None = None
    baseline: outcomes.Window | None = None
    after: outcomes.Window | None = None
    result: outcomes.Outcome | None = None
    complete: bool = False  # the after window is over

    @property
    def summary(self) -> str:
        """One line, e.g. "Benefit realised: Downtime −18 % over 30 days, expected −10 %"."""
        kpi, result = self.kpi, self.result
        if kpi is None:
            return ""
        if self.state == NO_KPI:
            return f"{kpi.name}: no start date yet"
        if self.state == BEFORE_START:
            return f"{kpi.name}: baseline frozen after {self.milestone.start_date:%-d %b %Y}"
        if self.state == NOT_DONE:
            return f"{kpi.name}: baseline frozen; measured once the milestone is done"
        if self.state == COLLECTING:
            after = self.after
            return f"{kpi.name}: after window runs {after.start:%-d %b} to {after.last:%-d %b %Y}"
        if self.state == SHORT:
            return f"{kpi.name}: not enough data ({result.reason})"
        expected = self.milestone.expected_change
        text = f"{result.verdict_label}: {kpi.name} {outcomes.percent(result.change)}"
        text += f" over {result.after_days} days"
        if expected is not None:
            text += f", expected {outcomes.percent(expected)}"
        return text if self.complete else f"{text} (interim)"

    @property
    def expected_display(self) -> str:
        return outcomes.percent(self.milestone.expected_change)

    @property
    def interval(self) -> str:
        r = self.result
        if r is None or not r.measured:
            return ""
        low, high = outcomes.percent(r.low), outcomes.percent(r.high)
        return f"{outcomes.CONFIDENCE} % CI {low} to {high}"


def baseline_days(milestone: Milestone) -> dict[date, float]:
    return {date.fromisoformat(day): value for day, value in milestone.baseline.items()}


def _read(kpi: OutcomeKpi, window: outcomes.Window, today: date) -> dict[date, float]:
    end = min(window.end, today)
    if end <= window.start:
        return {}
    return telemetry_daily(
        integration=kpi.integration,
        metric=kpi.metric,
        start=window.start,
        end=end,
        aggregate=kpi.aggregate,
    )


def baselines_freeze(*, milestones, now: datetime) -> int:
    """Store the baseline of each milestone whose start date has passed and whose baseline is
    not yet frozen; a frozen one is never written again. Returns how many were frozen.

    The start date itself is a day of grace: late points for the baseline's last day (buffered
    devices, a listener's backlog) still count until it is over."""
    today = now.date()
    frozen = 0
    for m in milestones:
        if m.kpi_id is None or m.start_date is None or m.baseline_frozen is not None:
            continue
        if today <= m.start_date:
            continue
        window = outcomes.baseline_window(m.start_date, m.kpi.window_days)
        days = _read(m.kpi, window, today)
        if _freeze(m, {d.isoformat(): v for d, v in days.items()}, now):
            frozen += 1
    return frozen


@transaction.atomic
def _freeze(milestone: Milestone, days: dict, now: datetime) -> bool:
    # Done already: the outcome counts from the day it was done, from now on for good.
    since = milestone.completed.date() if milestone.is_done and milestone.completed else None
    claimed = Milestone.objects.filter(pk=milestone.pk, baseline_frozen=None).update(
        baseline=days, baseline_frozen=now, outcome_from=since
    )
    if not claimed:  # someone else froze it first: read theirs
        milestone.refresh_from_db(fields=["baseline", "baseline_frozen", "outcome_from"])
        return False
    milestone.baseline, milestone.baseline_frozen = days, now
    milestone.outcome_from = since
    text = f"Froze the baseline of {milestone.kpi.name}: {len(days)} days with data."
    audit.record(
        organization=milestone.kpi.organization,
        actor=None,
        area=AuditArea.ROADMAPS,
        action="baseline",
        subject=f"Milestone {milestone.title}",
        obj=milestone,
        after={
            "baseline_days": len(days),
            "kpi": milestone.kpi.name,
            **({"outcome_from": since.isoformat()} if since else {}),
        },
        scope=milestone,
        text=text,
        at=now,
    )
    return True


def outcome_start(milestone: Milestone) -> date:
    """The day the after window counts from: fixed the first time it was done with a frozen
    baseline; older rows without it count from when it was last done."""
    return milestone.outcome_from or milestone.completed.date()


def outcome_from_set(*, milestone: Milestone, user, now: datetime) -> None:
    """Fix the day the outcome counts from, the first time the milestone is done with a frozen
    baseline; later (reopened and done again) it stays. Not saved; audited."""
    if milestone.baseline_frozen is None or milestone.outcome_from is not None:
        return
    if not milestone.is_done or milestone.completed is None:
        return
    milestone.outcome_from = milestone.completed.date()
    text = f"The outcome of {milestone.title} counts from {milestone.outcome_from:%-d %b %Y}."
    audit.record(
        organization=milestone.roadmap.organization,
        actor=user,
        area=AuditArea.ROADMAPS,
        action="outcome",
        subject=f"Milestone {milestone.title}",
        obj=milestone,
        before={"outcome_from": None},
        after={"outcome_from": milestone.outcome_from.isoformat()},
        scope=milestone,
        text=text,
        at=now,
    )


def milestone_outcome(milestone: Milestone, *, today: date) -> OutcomeView:
    """Where the milestone's outcome stands (freeze baselines first: `baselines_freeze`)."""
    kpi = milestone.kpi if milestone.kpi_id else None
    if kpi is None or milestone.start_date is None:
        return OutcomeView(milestone, NO_KPI, kpi=kpi)
    base = outcomes.baseline_window(milestone.start_date, kpi.window_days)
    if milestone.baseline_frozen is None:
        return OutcomeView(milestone, BEFORE_START, kpi=kpi, baseline=base)
    if not milestone.is_done or milestone.completed is None:
        return OutcomeView(milestone, NOT_DONE, kpi=kpi, baseline=base)
    after = outcomes.after_window(outcome_start(milestone), kpi.window_days)
    view = {"kpi": kpi, "baseline": base, "after": after, "complete": today >= after.end}
    if today <= after.start:
        return OutcomeView(milestone, COLLECTING, **view)
    result = outcomes.outcome(
        baseline_days(milestone),
        _read(kpi, after, today),
        window_days=kpi.window_days,
        better=kpi.better,
        expected=milestone.expected_change,
    )
    if not result.measured and not view["complete"]:
        return OutcomeView(milestone, COLLECTING, result=result, **view)
    return OutcomeView(milestone, MEASURED if result.measured else SHORT, result=result, **view)


def outcomes_of(*, milestones, now: datetime) -> dict[int, OutcomeView]:
    """Each milestone with a KPI: its outcome, after freezing the baselines now due."""
    with_kpi = [m for m in milestones if m.kpi_id is not None]
    baselines_freeze(milestones=with_kpi, now=now)
    return {m.pk: milestone_outcome(m, today=now.date()) for m in with_kpi}


def cost_and_benefit(*, milestones, now: datetime) -> dict:
    """The roadmap's milestones with a KPI, an effort or a cost, each with its outcome (None
    without a KPI), and the effort and cost they add up to."""
    shown = [m for m in milestones if m.kpi_id or m.effort_days is not None or m.cost is not None]
    views = outcomes_of(milestones=shown, now=now)
    return {
        "outcome_rows": [(m, views.get(m.pk)) for m in shown],
        "outcome_effort": sum(m.effort_days or 0 for m in shown),
        "outcome_cost": sum(m.cost or 0 for m in shown),
        "confidence": outcomes.CONFIDENCE,
    }
