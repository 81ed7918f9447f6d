"""The verified-maturity rules of `assessments.verification`, table by table (issue 15)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from assessments.scoring import Status, current_level
from assessments.verification import (
    Basis,
    CheckState,
    CheckStatus,
    CriterionVerification,
    Evidence,
    LevelBasis,
    Standing,
    check_standing,
    criterion_basis,
    level_basis,
    verified_answer,
    verified_level,
)

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
PASSING = CheckStatus(bound=True, state=CheckState.PASSING)
FAILING_2D = CheckStatus(bound=True, state=CheckState.FAILING, failing_since=NOW - 2 * DAY)
FAILING_8D = CheckStatus(bound=True, state=CheckState.FAILING, failing_since=NOW - 8 * DAY)
UNBOUND = CheckStatus(bound=False)
NOT_TESTED = CheckStatus(bound=True, state=CheckState.NOT_TESTED)
STALE = CheckStatus(bound=True, state=CheckState.STALE)
IN_FORCE = Evidence(accepted=True, effective=date(2026, 6, 1))
EXPIRED = Evidence(accepted=True, effective=date(2025, 11, 1))
NOT_ACCEPTED = Evidence(accepted=False, effective=date(2026, 6, 1))


@pytest.mark.parametrize(
    "check,standing",
    [
        (UNBOUND, Standing.UNBOUND),
        (PASSING, Standing.PASSING),
        (FAILING_2D, Standing.NEEDS_ATTENTION),
        (FAILING_8D, Standing.OVERDUE),
        (
            CheckStatus(
                bound=True, state=CheckState.FAILING, failing_since=NOW - 8 * DAY, grace=10 * DAY
            ),
            Standing.NEEDS_ATTENTION,
        ),
        (
            CheckStatus(bound=True, state=CheckState.FAILING, failing_since=NOW - 7 * DAY),
            Standing.OVERDUE,  # the deadline itself is past grace
        ),
        (NOT_TESTED, Standing.NOT_TESTED),
        (STALE, Standing.STALE),
    ],
)
def test_a_checks_standing(check, standing):
    assert check_standing(check, now=NOW) == standing


@pytest.mark.parametrize(
    "checks,evidence,basis",
    [
        ([PASSING], [], Basis.DATA),
        ([PASSING, FAILING_2D], [], Basis.DATA),  # failing within its grace still holds
        ([PASSING, FAILING_8D], [IN_FORCE], Basis.CLAIM),  # overdue: evidence cannot stand in
        ([NOT_TESTED], [IN_FORCE], Basis.CLAIM),
        ([STALE], [], Basis.CLAIM),
        ([UNBOUND], [IN_FORCE], Basis.EVIDENCE),  # no check applies: evidence counts
        ([UNBOUND, PASSING], [], Basis.DATA),
        ([], [IN_FORCE], Basis.EVIDENCE),
        ([], [EXPIRED], Basis.CLAIM),
        ([], [NOT_ACCEPTED], Basis.CLAIM),
        ([], [EXPIRED, IN_FORCE], Basis.EVIDENCE),
        ([], [], Basis.CLAIM),
    ],
)
def test_what_a_criterion_rests_on(checks, evidence, basis):
    assert criterion_basis(checks=checks, evidence=evidence, now=NOW) == basis


def test_evidence_is_in_force_from_its_effective_date_for_its_validity():
    starts_tomorrow = Evidence(accepted=True, effective=NOW.date() + DAY)
    assert criterion_basis(checks=[], evidence=[starts_tomorrow], now=NOW) == Basis.CLAIM
    last_day = Evidence(accepted=True, effective=NOW.date() - timedelta(days=364))
    assert criterion_basis(checks=[], evidence=[last_day], now=NOW) == Basis.EVIDENCE
    a_day_later = NOW + DAY
    assert criterion_basis(checks=[], evidence=[last_day], now=a_day_later) == Basis.CLAIM


F, L, P, N, NA = Status.FULLY, Status.LARGELY, Status.PARTIAL, Status.NOT, Status.NA
D, E, C = Basis.DATA, Basis.EVIDENCE, Basis.CLAIM


def c(status, basis=C, na_accepted=False):
    return CriterionVerification(status=status, basis=basis, na_accepted=na_accepted)


@pytest.mark.parametrize(
    "status,basis,na_accepted,counted",
    [
        (F, D, False, F),
        (L, E, False, L),
        (F, C, False, N),
        (P, D, False, P),
        (NA, C, True, NA),
        (NA, C, False, N),
        (None, C, False, None),
    ],
)
def test_the_answer_verification_counts(status, basis, na_accepted, counted):
    assert verified_answer(c(status, basis, na_accepted)) == counted


@pytest.mark.parametrize(
    "criteria,claimed,verified",
    [
        # Everything verified by data: verified = claimed.
        ({1: [c(F, D)], 2: [c(L, D)], 3: [c(F, D)], 4: [c(P, D)]}, 3, 3),
        # Data and evidence both count.
        ({1: [c(F, E)], 2: [c(L, D), c(F, E)]}, 2, 2),
        # Cumulative: an unverified level 2 stops it, whatever level 3 has.
        ({1: [c(F, D)], 2: [c(F, D), c(F, C)], 3: [c(F, D)]}, 3, 1),
        # Level 1 only claimed: verified 0.
        ({1: [c(F, C)], 2: [c(F, D)]}, 2, 0),
        # Never above the claimed level (level 3 unmet in the claim, verified answers alike).
        ({1: [c(F, D)], 2: [c(F, D)], 3: [c(P, D)], 4: [c(F, D)]}, 2, 2),
        # An accepted N/A passes through as in the claim; a not accepted one stops it.
        ({1: [c(F, D)], 2: [c(NA, C, True), c(F, D)], 3: [c(L, E)]}, 3, 3),
        ({1: [c(F, D)], 2: [c(NA, C, False), c(F, D)], 3: [c(L, E)]}, 3, 1),
        # All N/A, even accepted, earns nothing (the claim's rule).
        ({1: [c(NA, C, True)], 2: [c(NA, C, True)]}, 0, 0),
        # Nothing answered.
        ({1: [c(None)], 2: [c(None)]}, 0, 0),
    ],
)
def test_the_verified_level(criteria, claimed, verified):
    # A level with no criteria passes through: give the levels not listed an unanswered one.
    criteria = {level: criteria.get(level, [c(None)]) for level in (1, 2, 3, 4)}
    assert current_level({lvl: [x.status for x in items] for lvl, items in criteria.items()}) == (
        claimed
    )
    assert verified_level(criteria) == verified


def test_how_much_of_a_level_rests_on_data_and_on_evidence():
    criteria = {1: [c(F, D), c(L, E)], 2: [c(F, D), c(F, C), c(P, D)], 3: [c(F, E)]}
    assert level_basis(criteria, level=2) == LevelBasis(data=2, evidence=1, claim=1)
    assert level_basis(criteria, level=0) == LevelBasis()
    assert level_basis(criteria, level=3).total == 5
