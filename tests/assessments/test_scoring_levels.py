"""Scoring criteria: statuses, a process's level and blockers, and how several assessors'
answers spread and settle. Pure functions, some property-tested."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessments import scoring
from assessments.scoring import (
    Blocker,
    Spread,
    Status,
    blockers,
    current_level,
    is_met,
    spread,
    status_rank,
)

NOT, PARTIAL, LARGELY, FULLY, NA = (
    Status.NOT,
    Status.PARTIAL,
    Status.LARGELY,
    Status.FULLY,
    Status.NA,
)


# --- Statuses --------------------------------------------------------------------------------


def test_met_means_largely_or_fully():
    assert [is_met(s) for s in (NOT, PARTIAL, LARGELY, FULLY, NA, None)] == [
        False,
        False,
        True,
        True,
        False,
        False,
    ]


def test_status_rank_orders_answers_and_leaves_na_out():
    assert [status_rank(s) for s in (NOT, PARTIAL, LARGELY, FULLY, NA)] == [0, 1, 2, 3, None]


def test_statuses_can_be_given_as_their_plain_strings():
    assert current_level({1: ["fully", "na"], 2: ["largely"], 3: ["partial"]}) == 2
    assert status_rank("partial") == 1


def test_unknown_status_is_refused():
    with pytest.raises(ValueError):
        current_level({1: ["done"]})


# --- Current level (cumulative) --------------------------------------------------------------


def test_unanswered_process_is_level_zero():
    assert current_level({}) == 0
    assert current_level({1: [None, None], 2: [None]}) == 0


def test_process_with_every_criterion_met_is_level_four():
    assert current_level({1: [FULLY], 2: [LARGELY], 3: [FULLY, FULLY], 4: [LARGELY]}) == 4


def test_a_level_counts_only_when_all_its_criteria_are_met():
    assert current_level({1: [FULLY, PARTIAL]}) == 0
    assert current_level({1: [FULLY, LARGELY], 2: [FULLY, NOT]}) == 1


def test_largely_met_counts_as_met():
    assert current_level({1: [LARGELY], 2: [LARGELY], 3: [PARTIAL]}) == 2


def test_met_level_three_over_unmet_level_two_leaves_process_at_one():
    criteria = {1: [FULLY], 2: [FULLY, PARTIAL], 3: [FULLY, FULLY], 4: [NOT]}
    assert current_level(criteria) == 1


def test_an_unanswered_criterion_is_not_met():
    assert current_level({1: [FULLY], 2: [FULLY, None]}) == 1


def test_na_criteria_are_left_out_of_their_level():
    assert current_level({1: [FULLY, NA], 2: [NA, LARGELY, NA], 3: [PARTIAL]}) == 2


def test_a_level_with_only_na_criteria_is_passed_through():
    assert current_level({1: [FULLY], 2: [NA, NA], 3: [LARGELY], 4: [NOT]}) == 3


def test_a_level_without_criteria_is_passed_through():
    assert current_level({1: [FULLY], 2: [], 3: [FULLY]}) == 4
    # A level missing from the mapping has no criteria either.
    assert current_level({1: [FULLY], 3: [FULLY]}) == 4


def test_na_levels_above_the_last_met_one_are_passed_through():
    assert current_level({1: [FULLY], 2: [NA], 3: [NA], 4: [NA]}) == 4


def test_process_answered_all_na_is_level_zero():
    assert current_level({1: [NA], 2: [NA, NA], 3: [NA], 4: [NA]}) == 0


def test_na_levels_alone_earn_nothing_when_the_next_level_is_unmet():
    # Levels 1 and 2 pass through as N/A, level 3 is unmet: the level-4 answer does not count,
    # so nothing met supports a level above 0.
    assert current_level({1: [NA], 2: [NA], 3: [PARTIAL], 4: [FULLY]}) == 0


def test_met_criteria_above_na_levels_earn_those_levels():
    assert current_level({1: [NA], 2: [FULLY], 3: [NOT]}) == 2


def test_criteria_levels_outside_one_to_four_are_refused():
    with pytest.raises(ValueError, match="1-4"):
        current_level({0: [FULLY]})
    with pytest.raises(ValueError, match="1-4"):
        blockers({5: [FULLY]})


# --- Blockers --------------------------------------------------------------------------------


def test_blockers_are_the_unmet_criteria_of_the_first_level_that_does_not_count():
    criteria = {1: [FULLY], 2: [FULLY, PARTIAL, NOT], 3: [NOT]}
    assert blockers(criteria) == [
        Blocker(level=2, index=1, status=PARTIAL),
        Blocker(level=2, index=2, status=NOT),
    ]


def test_blockers_skip_met_and_na_criteria_but_keep_unanswered_ones():
    criteria = {1: [LARGELY], 2: [NA, None, FULLY, NOT]}
    assert blockers(criteria) == [
        Blocker(level=2, index=1, status=None),
        Blocker(level=2, index=3, status=NOT),
    ]


def test_blockers_of_an_unanswered_process_are_its_level_one_criteria():
    assert blockers({1: [None, None]}) == [
        Blocker(level=1, index=0, status=None),
        Blocker(level=1, index=1, status=None),
    ]


def test_blockers_look_past_a_level_of_na_criteria():
    assert blockers({1: [FULLY], 2: [NA], 3: [PARTIAL]}) == [
        Blocker(level=3, index=0, status=PARTIAL)
    ]


def test_no_blockers_at_level_four():
    assert blockers({1: [FULLY], 2: [FULLY], 3: [LARGELY], 4: [FULLY, NA]}) == []


def test_no_blockers_for_a_process_answered_all_na():
    assert blockers({1: [NA], 2: [NA]}) == []


# --- Spread between assessors ----------------------------------------------------------------


def test_spread_of_differing_answers_leaves_na_out():
    assert spread([1, 3, None, 2]) == Spread(
        min=1, max=3, range=2, mean=2.0, n=3, na=1, agreed=False
    )


def test_spread_is_agreed_when_every_non_na_answer_is_equal():
    assert spread([2, None, 2]) == Spread(min=2, max=2, range=0, mean=2.0, n=2, na=1, agreed=True)


def test_spread_without_answers_has_no_figures_and_nothing_to_settle():
    assert spread([]) == Spread(min=None, max=None, range=None, mean=None, n=0, na=0, agreed=True)
    assert spread([None, None]).na == 2


def test_spread_of_criterion_statuses_uses_their_ranks():
    result = spread([status_rank(s) for s in (FULLY, LARGELY, NA, PARTIAL)])
    assert result == Spread(min=1, max=3, range=2, mean=2.0, n=3, na=1, agreed=False)


# --- settle: which of several assessors' answers counts ---------------------------------------


def test_settle_without_answers_is_unanswered_and_does_not_count():
    settled = scoring.settle([])
    assert settled.state == scoring.Settlement.UNANSWERED
    assert not settled.counts


def test_settle_unanimous_answers_count():
    settled = scoring.settle([Status.FULLY, Status.FULLY])
    assert (settled.value, settled.state, settled.counts) == (
        Status.FULLY,
        scoring.Settlement.UNANIMOUS,
        True,
    )


def test_settle_disagreement_is_disputed_until_agreed():
    assert scoring.settle([2, 3]).state == scoring.Settlement.DISPUTED
    assert not scoring.settle([2, 3]).counts
    agreed = scoring.settle([2, 3], agreement=3)
    assert (agreed.value, agreed.state, agreed.counts) == (3, scoring.Settlement.AGREED, True)


def test_settle_agreement_can_be_na():
    agreed = scoring.settle([2, 3], agreement=None)
    assert agreed.value is None and agreed.counts


def test_settle_unanimous_na_counts_as_na():
    settled = scoring.settle([None, None])
    assert settled.value is None and settled.counts


# --- Properties ------------------------------------------------------------------------------

statuses = st.one_of(st.none(), st.sampled_from(Status))
criteria_maps = st.dictionaries(
    st.sampled_from([1, 2, 3, 4]), st.lists(statuses, max_size=4), max_size=4
)


def counted_prefix(criteria):
    """The highest level L such that levels 1..L all count (met or N/A only)."""
    prefix = 0
    for level in (1, 2, 3, 4):
        if not all(s == NA or is_met(s) for s in criteria.get(level, [])):
            break
        prefix = level
    return prefix


@given(criteria_maps)
def test_current_level_is_0_to_4_and_never_above_the_counted_prefix(criteria):
    level = current_level(criteria)
    assert 0 <= level <= counted_prefix(criteria) <= 4


@given(criteria_maps)
def test_current_level_above_zero_is_backed_by_a_met_criterion(criteria):
    level = current_level(criteria)
    if level > 0:
        assert any(is_met(s) for lv in range(1, level + 1) for s in criteria.get(lv, []))


@given(criteria_maps)
def test_blockers_belong_to_the_level_after_the_counted_prefix(criteria):
    found = blockers(criteria)
    prefix = counted_prefix(criteria)
    if prefix == 4:
        assert found == []
    else:
        assert found
        assert {b.level for b in found} == {prefix + 1}
        assert all(b.status != NA and not is_met(b.status) for b in found)


@given(st.lists(st.one_of(st.none(), st.integers(0, 4))))
def test_spread_mean_lies_between_min_and_max(values):
    result = spread(values)
    assert result.n + result.na == len(values)
    if result.n:
        assert result.min <= result.mean <= result.max
