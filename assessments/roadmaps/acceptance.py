"""Acceptance criteria: the figures each one needs, read through the integration app's API,
judged by `assessments.roadmaps.rules.verification` and kept on the criterion; adding, changing and
removing criteria.

When criteria are checked: `manage.py milestones_verify` checks every criterion of the
milestones on a roadmap (run it every few minutes); the milestone page checks its own criteria
again when their last check is older than `STALE_AFTER`; the board and "mine" show the verdicts
kept from the last check, with when it was made, and never read telemetry themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from assessments.models import AcceptanceCriterion, Milestone
from assessments.roadmaps.activity import Action, log_activity
from assessments.roadmaps.rules.verification import (
    FRESHNESS,
    UPTIME,
    Figures,
    Result,
    aggregate_reads,
    aggregate_window,
    evaluate,
    totals,
)
from integration import health
from integration.services import (
    SeriesRefused,
    UnknownMetric,
    telemetry_series,
    telemetry_uptime,
)

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=15)


# --- Checking --------------------------------------------------------------------------------


def criterion_figures(*, criterion: AcceptanceCriterion, now: datetime) -> Figures:
    """What the integration's telemetry says, as far as the criterion's rule needs."""
    integration = criterion.integration
    if criterion.kind == FRESHNESS:
        return Figures(freshness=health.freshness(integration.last_seen, now))
    if criterion.kind == UPTIME:
        window = timedelta(days=criterion.window_days)
        start = now - window
        share = telemetry_uptime(integration=integration, windows={"w": window}, now=now)["w"]
        counted = now - max(start, integration.created)
        return Figures(uptime=share, counted=max(counted, timedelta(0)))
    rows = []
    start, end = aggregate_window(now, criterion.window_days)
    try:
        for step, first, last in aggregate_reads(start, end):
            rows += [
                (count, low, high, mean * count)
                for _, count, low, high, mean in telemetry_series(
                    integration=integration,
                    metric=criterion.metric,
                    start=first,
                    end=last,
                    step=step,
                )
            ]
    except UnknownMetric:
        return Figures(problem=f"{integration.name} has sent no {criterion.metric} yet")
    except SeriesRefused as error:
        return Figures(problem=f"{criterion.metric} could not be read: {error}")
    unit = integration.metrics.filter(name=criterion.metric).values_list("unit", flat=True)
    return Figures(totals=totals(rows), unit=unit.first() or "")


def criterion_check(*, criterion: AcceptanceCriterion, now: datetime) -> Result:
    """Judge the criterion on the telemetry at `now` and keep the verdict."""
    result = evaluate(criterion.rule, criterion_figures(criterion=criterion, now=now))
    criterion.record(result, now=now)
    return result


def criteria_refresh(
    *,
    criteria: Iterable[AcceptanceCriterion],
    now: datetime,
    max_age: timedelta | None = STALE_AFTER,
) -> int:
    """Check again the criteria whose last check is older than `max_age` (all of them for
    None); returns how many."""
    stale = [c for c in criteria if c.is_stale(now=now, max_age=max_age)]
    for criterion in stale:
        criterion_check(criterion=criterion, now=now)
    return len(stale)


@dataclass
class VerifyRun:
    """What one run of `criteria_verify` found."""

    passed: int = 0
    failed: int = 0
    errors: int = 0

    @property
    def checked(self) -> int:
        return self.passed + self.failed


def criteria_verify(*, now: datetime) -> VerifyRun:
    """Check every criterion of the milestones on a roadmap. A criterion that cannot be checked
    is logged and counted, and the others are still checked."""
    run = VerifyRun()
    criteria = (
        AcceptanceCriterion.objects.filter(milestone__retired=None)
        .select_related("integration")
        .order_by("pk")
    )
    for criterion in criteria.iterator():
        try:
            result = criterion_check(criterion=criterion, now=now)
        except Exception:  # one broken criterion must not stop the others being checked
            log.exception("checking acceptance criterion %s failed", criterion.pk)
            run.errors += 1
            continue
        if result.passed:
            run.passed += 1
        else:
            run.failed += 1
    return run


# --- Editing ---------------------------------------------------------------------------------


@transaction.atomic
def criterion_add(*, milestone: Milestone, user, now=None, **fields) -> AcceptanceCriterion:
    """A new criterion on a milestone, not checked yet (the milestone page checks it)."""
    now = now or timezone.now()
    criterion = AcceptanceCriterion(milestone=milestone, created=now, **fields)
    criterion.full_clean()
    criterion.save()
    rule = f"{criterion.rule} on {criterion.integration}"
    text = f"Added acceptance criterion: {rule}."
    after = {"acceptance criterion": rule}
    log_activity(user, Action.CHANGED, text, milestone=milestone, now=now, before={}, after=after)
    return criterion


@transaction.atomic
def criterion_update(
    *, criterion: AcceptanceCriterion, user, changes: dict, now=None
) -> AcceptanceCriterion:
    """Change what a criterion asks; its last verdict no longer applies, so it is dropped."""
    now = now or timezone.now()
    before = f"{criterion.rule} on {criterion.integration}"
    for name, value in changes.items():
        setattr(criterion, name, value)
    criterion.full_clean()
    after = f"{criterion.rule} on {criterion.integration}"
    if after == before:
        return criterion
    criterion.last_checked = criterion.last_value = criterion.last_passed = None
    criterion.last_explanation = ""
    criterion.save()
    text = f"Changed acceptance criterion: {before} → {after}."
    values = {"before": {"acceptance criterion": before}, "after": {"acceptance criterion": after}}
    log_activity(user, Action.CHANGED, text, milestone=criterion.milestone, now=now, **values)
    return criterion


@transaction.atomic
def criterion_remove(*, criterion: AcceptanceCriterion, user, now=None) -> None:
    now = now or timezone.now()
    rule = f"{criterion.rule} on {criterion.integration}"
    text = f"Removed acceptance criterion: {rule}."
    milestone = criterion.milestone
    criterion.delete()
    before = {"acceptance criterion": rule}
    log_activity(user, Action.CHANGED, text, milestone=milestone, now=now, before=before, after={})
