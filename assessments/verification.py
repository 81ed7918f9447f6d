"""Verified maturity: what each criterion's answer rests on, and the verified level (pure).

The rules, also in docs/VERIFICATION.md (the tests spell each one out):

- A check is a machine-checkable test of live data on a criterion (`framework` checks). A check
  *applies* once a facilitator bound it to an integration; an unbound check is "not tested" and
  never passes. A bound check *holds* while it passes, or fails but not yet past its deadline
  (failing since + its grace, 7 days by default): then it "needs attention"; past it, it is
  "overdue". A check with no recent result is "stale" and does not hold.
- Each criterion is **verified by data** (it has checks that apply, and every one holds),
  **evidenced** (no check applies, and evidence a facilitator accepted is in force: from its
  effective date for its validity, 12 months by default), or **claimed** (only the answer). A
  criterion with a check that applies but does not hold is claimed: evidence cannot stand in
  for data that a check says is missing.
- N/A counts as it does for the claimed level only when a facilitator accepted the reason;
  otherwise it counts as not met.
- A process's **verified level** follows the claimed level's own rule (`scoring.current_level`,
  cumulative) over the answers that are verified: a met answer counts only when its criterion
  is verified by data or evidenced. It never exceeds the claimed level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from assessments.scoring import CRITERIA_LEVELS, Status, current_level, is_met

__all__ = [
    "DEFAULT_EVIDENCE_VALIDITY",
    "DEFAULT_GRACE",
    "Basis",
    "CheckState",
    "CheckStatus",
    "CriterionVerification",
    "Evidence",
    "LevelBasis",
    "Standing",
    "check_holds",
    "check_standing",
    "criterion_basis",
    "evidence_in_force",
    "level_basis",
    "tightens",
    "verified_answer",
    "verified_level",
]

DEFAULT_GRACE = timedelta(days=7)
DEFAULT_EVIDENCE_VALIDITY = timedelta(days=365)


class Basis(StrEnum):
    """What a criterion's answer rests on."""

    DATA = "data"
    EVIDENCE = "evidence"
    CLAIM = "claim"


class CheckState(StrEnum):
    """A bound check's latest result (an evaluator writes it)."""

    PASSING = "passing"
    FAILING = "failing"
    NOT_TESTED = "not tested"  # nothing to judge yet (e.g. no data bound, no window complete)
    STALE = "stale"  # no result recent enough: the evaluator has not run


class Standing(StrEnum):
    """How a check stands at a moment, as the pages say it."""

    UNBOUND = "unbound"
    PASSING = "passing"
    NEEDS_ATTENTION = "needs attention"  # failing, within its grace
    OVERDUE = "overdue"  # failing past its deadline
    NOT_TESTED = "not tested"
    STALE = "stale"


@dataclass(frozen=True)
class CheckStatus:
    """One check of a criterion: whether it is bound, its latest state, since when it fails."""

    bound: bool
    state: CheckState = CheckState.NOT_TESTED
    failing_since: datetime | None = None
    grace: timedelta = DEFAULT_GRACE

    @property
    def deadline(self) -> datetime | None:
        """When a failing check becomes overdue."""
        if self.state != CheckState.FAILING or self.failing_since is None:
            return None
        return self.failing_since + self.grace


def check_standing(check: CheckStatus, *, now: datetime) -> Standing:
    if not check.bound:
        return Standing.UNBOUND
    if check.state == CheckState.FAILING:
        deadline = check.deadline
        return Standing.NEEDS_ATTENTION if deadline and now < deadline else Standing.OVERDUE
    return {
        CheckState.PASSING: Standing.PASSING,
        CheckState.NOT_TESTED: Standing.NOT_TESTED,
        CheckState.STALE: Standing.STALE,
    }[check.state]


def check_holds(check: CheckStatus, *, now: datetime) -> bool:
    """Whether a check keeps its criterion verified: passing, or failing within its grace."""
    return check_standing(check, now=now) in (Standing.PASSING, Standing.NEEDS_ATTENTION)


@dataclass(frozen=True)
class Evidence:
    """Manual evidence for a criterion: accepted by a facilitator (or not yet), in force from
    its effective date for its validity."""

    accepted: bool
    effective: date
    valid_for: timedelta = DEFAULT_EVIDENCE_VALIDITY

    @property
    def expires(self) -> date:
        return self.effective + self.valid_for


def evidence_in_force(evidence: Evidence, *, today: date) -> bool:
    return evidence.accepted and evidence.effective <= today < evidence.expires


def criterion_basis(
    *,
    checks: Sequence[CheckStatus],
    evidence: Sequence[Evidence],
    now: datetime,
    today: date | None = None,
) -> Basis:
    """Data when the criterion's bound checks all hold; claim when one of them does not;
    evidence when none is bound and accepted evidence is in force `today` (the organisation's
    local date at `now`; `now`'s own date if not given); else claim."""
    bound = [check for check in checks if check.bound]
    if bound:
        return Basis.DATA if all(check_holds(c, now=now) for c in bound) else Basis.CLAIM
    today = now.date() if today is None else today
    if any(evidence_in_force(item, today=today) for item in evidence):
        return Basis.EVIDENCE
    return Basis.CLAIM


@dataclass(frozen=True)
class CriterionVerification:
    """A criterion's answer and what it rests on."""

    status: Status | None
    basis: Basis = Basis.CLAIM
    na_accepted: bool = False  # a facilitator accepted the reason of an N/A answer


def verified_answer(criterion: CriterionVerification) -> Status | None:
    """The answer as verification counts it: a met answer only when verified by data or
    evidenced, N/A only with an accepted reason (else not met)."""
    status = None if criterion.status is None else Status(criterion.status)
    if status == Status.NA:
        return Status.NA if criterion.na_accepted else Status.NOT
    if is_met(status) and criterion.basis == Basis.CLAIM:
        return Status.NOT
    return status


def verified_level(criteria: Mapping[int, Sequence[CriterionVerification]]) -> int:
    """The verified level (0-4): the claimed level's rule over the verified answers, never
    above the claimed level."""
    claimed = current_level({level: [c.status for c in items] for level, items in criteria.items()})
    verified = current_level(
        {level: [verified_answer(c) for c in items] for level, items in criteria.items()}
    )
    return min(claimed, verified)


@dataclass(frozen=True)
class LevelBasis:
    """Of the met criteria up to a level, how many rest on data, on evidence, on the claim."""

    data: int = 0
    evidence: int = 0
    claim: int = 0

    @property
    def total(self) -> int:
        return self.data + self.evidence + self.claim


def level_basis(
    criteria: Mapping[int, Sequence[CriterionVerification]], *, level: int
) -> LevelBasis:
    """What the met criteria of levels 1 to `level` rest on (for "how much of its level rests
    on data and how much on accepted evidence")."""
    counts = {basis: 0 for basis in Basis}
    for criterion_level in CRITERIA_LEVELS:
        if criterion_level > level:
            break
        for criterion in criteria.get(criterion_level, ()):
            if is_met(criterion.status):
                counts[criterion.basis] += 1
    return LevelBasis(
        data=counts[Basis.DATA], evidence=counts[Basis.EVIDENCE], claim=counts[Basis.CLAIM]
    )


def tightens(*, kind: str, op: str | None, framework: float, threshold: float) -> bool:
    """Whether an organisation's `threshold` is at least as strict as the framework's: the
    organisation being assessed may tighten a check, never loosen it. Freshness (seconds) and
    an aggregate compared by "<=" are stricter lower; every other check stricter higher."""
    if kind == "freshness" or (kind == "aggregate" and op == "<="):
        return threshold <= framework
    return threshold >= framework
