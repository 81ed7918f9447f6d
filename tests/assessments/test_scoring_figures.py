"""Scoring figures: process gaps, the SAMR and target indices, readiness, comparison and
rounding. Pure functions, some property-tested."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessments.scoring import (
    Change,
    DimensionFigures,
    ProcessFigures,
    compare,
    convergence_gap,
    dimension_readiness,
    format_figure,
    gap,
    gap_weight,
    level_distribution,
    most_concerning,
    most_improved,
    overall_readiness,
    round_figure,
    samr_index,
    target_index,
)


def process(key, *, value=1, current=0, target=None):
    return ProcessFigures(
        key=key, name=key.title(), business_value=value, current=current, target=target
    )


# --- Processes, gaps and indices -------------------------------------------------------------


def test_process_figures_refuse_values_out_of_range():
    with pytest.raises(ValueError, match="business value"):
        process("a", value=0)
    with pytest.raises(ValueError, match="business value"):
        process("a", value=6)
    with pytest.raises(ValueError, match="current level"):
        process("a", current=5)
    with pytest.raises(ValueError, match="target level"):
        process("a", target=-1)


@pytest.mark.parametrize(
    ("current", "target", "expected"),
    [(0, 4, 4), (1, 3, 2), (3, 3, 0), (4, 2, 0), (2, None, 0)],
)
def test_gap_is_the_levels_left_to_climb(current, target, expected):
    assert gap(current=current, target=target) == expected


@pytest.mark.parametrize(
    ("current", "target", "expected"),
    [
        (0, 0, 0),
        (2, 3, 3),  # (1 + 1)^2 - 1
        (1, 3, 8),  # (1 + 2)^2 - 1
        (1, 4, 15),  # (1 + 3)^2 - 1
        (0, 4, 24),  # (1 + 4)^2 - 1
        (3, 3, 0),
        (2, None, 0),
    ],
)
def test_gap_weight_follows_the_published_formula(current, target, expected):
    assert gap_weight(current=current, target=target) == expected


def test_gap_weight_is_zero_when_the_target_is_below_the_current_level():
    # Taken literally, max((1 + 0 - 4)^2 - 1, 0) would be 8.
    assert gap_weight(current=4, target=0) == 0
    assert gap_weight(current=3, target=2) == 0


def test_gap_refuses_levels_out_of_range():
    with pytest.raises(ValueError):
        gap(current=5, target=4)
    with pytest.raises(ValueError):
        gap_weight(current=0, target=7)


def test_samr_index_is_the_business_value_weighted_mean_of_current_levels():
    processes = [
        process("a", value=1, current=0),
        process("b", value=3, current=2),
        process("c", value=5, current=4),
    ]
    assert samr_index(processes) == pytest.approx((0 + 6 + 20) / 9)
    assert format_figure(samr_index(processes)) == "2.89"


def test_samr_index_with_equal_weights_is_the_plain_mean():
    processes = [process("a", value=2, current=1), process("b", value=2, current=2)]
    assert samr_index(processes) == 1.5


def test_samr_index_without_processes_is_undefined():
    assert samr_index([]) is None
    assert target_index([]) is None


def test_target_index_counts_the_current_level_where_no_target_is_set():
    processes = [
        process("a", value=1, current=0, target=2),
        process("b", value=3, current=2, target=None),
        process("c", value=5, current=4, target=4),
    ]
    assert target_index(processes) == pytest.approx((2 + 6 + 20) / 9)


def test_level_distribution_counts_processes_per_level_with_every_level_present():
    processes = [process("a", current=0), process("b", current=2), process("c", current=2)]
    assert level_distribution(processes) == {0: 1, 1: 0, 2: 2, 3: 0, 4: 0}
    assert level_distribution([]) == {0: 0, 1: 0, 2: 0, 3: 0, 4: 0}


# --- Readiness -------------------------------------------------------------------------------


def test_dimension_readiness_means_each_side_and_both_sides_leaving_na_out():
    figures = dimension_readiness(key="security", it=[3, 4, None, 2], ot=[1, 2])
    # IT (3 + 4 + 2) / 3 = 3, OT (1 + 2) / 2 = 1.5, both (3 + 4 + 2 + 1 + 2) / 5 = 2.4.
    assert figures == DimensionFigures(key="security", it=3.0, ot=1.5, combined=2.4, gap=1.5)


def test_combined_readiness_weighs_answers_not_sides():
    figures = dimension_readiness(key="data", it=[4, 4, 4], ot=[1])
    assert figures.combined == 13 / 4  # not (4 + 1) / 2
    assert figures.gap == 3.0


def test_readiness_gap_is_negative_when_ot_is_ahead():
    figures = dimension_readiness(key="data", it=[1], ot=[3, 4])
    assert figures.gap == -2.5


def test_readiness_side_answered_only_na_has_no_mean_and_no_gap():
    figures = dimension_readiness(key="people", it=[None, None], ot=[2, 3])
    assert figures == DimensionFigures(key="people", it=None, ot=2.5, combined=2.5, gap=None)


def test_dimension_without_answers_has_no_figures():
    figures = dimension_readiness(key="people", it=[], ot=[None])
    assert (figures.it, figures.ot, figures.combined, figures.gap) == (None, None, None, None)
    assert figures.in_scope


def test_out_of_scope_dimension_has_no_figures_even_with_answers():
    figures = dimension_readiness(key="energy", it=[4], ot=[0], in_scope=False)
    assert figures == DimensionFigures(
        key="energy", it=None, ot=None, combined=None, gap=None, in_scope=False
    )


def test_readiness_answers_out_of_range_are_refused():
    with pytest.raises(ValueError, match=r"security \(OT\)"):
        dimension_readiness(key="security", it=[2], ot=[5])


def test_overall_readiness_weighs_each_in_scope_dimension_the_same():
    dimensions = [
        dimension_readiness(key="security", it=[3, 4, None, 2], ot=[1, 2]),  # 2.4
        dimension_readiness(key="data", it=[3], ot=[3, 3, 3]),  # 3.0
        dimension_readiness(key="people", it=[None], ot=[]),  # no answers
        dimension_readiness(key="energy", it=[0], ot=[0], in_scope=False),
    ]
    assert overall_readiness(dimensions) == pytest.approx((2.4 + 3.0) / 2)
    assert format_figure(overall_readiness(dimensions)) == "2.70"


def test_overall_readiness_without_answered_dimensions_is_undefined():
    assert overall_readiness([]) is None
    assert overall_readiness([dimension_readiness(key="x", it=[1], ot=[], in_scope=False)]) is None


def test_convergence_gap_is_the_mean_absolute_gap_of_dimensions_with_both_sides():
    dimensions = [
        dimension_readiness(key="security", it=[3, 4, None, 2], ot=[1, 2]),  # +1.5
        dimension_readiness(key="data", it=[2], ot=[2, 3]),  # -0.5
        dimension_readiness(key="people", it=[4], ot=[None]),  # OT side N/A
        dimension_readiness(key="energy", it=[4], ot=[0], in_scope=False),
    ]
    assert convergence_gap(dimensions) == 1.0


def test_convergence_gap_without_two_sided_dimensions_is_undefined():
    assert convergence_gap([dimension_readiness(key="x", it=[3], ot=[])]) is None


# --- Comparison ------------------------------------------------------------------------------


def test_compare_pairs_every_key_of_either_side_in_order():
    before = {"a": 1.0, "b": 2.0, "c": None, "d": 3.0}
    after = {"b": 1.0, "a": 2.5, "c": 2.0, "e": 1.0}
    assert compare(before, after) == [
        Change(key="a", before=1.0, after=2.5, delta=1.5),
        Change(key="b", before=2.0, after=1.0, delta=-1.0),
        Change(key="c", before=None, after=2.0, delta=None),
        Change(key="d", before=3.0, after=None, delta=None),
        Change(key="e", before=None, after=1.0, delta=None),
    ]


def test_most_improved_lists_the_largest_rises_first_and_breaks_ties_by_key():
    changes = compare(
        {"z": 1.0, "y": 0.0, "x": 2.0, "w": 3.0, "v": None, "u": 2.0},
        {"z": 2.0, "y": 2.0, "x": 3.0, "w": 2.0, "v": 4.0, "u": 2.0},
    )
    assert [c.key for c in most_improved(changes)] == ["y", "x", "z"]


def test_most_concerning_lists_the_largest_falls_first_and_breaks_ties_by_key():
    changes = compare(
        {"d": 3.0, "c": 3.0, "b": 4.0, "a": 1.0, "e": 2.0},
        {"d": 2.0, "c": 2.0, "b": 1.0, "a": 2.0, "e": None},
    )
    assert [c.key for c in most_concerning(changes)] == ["b", "c", "d"]


def test_rankings_keep_only_n_changes():
    changes = compare({k: 0.0 for k in "abcdefg"}, {k: 1.0 for k in "abcdefg"})
    assert [c.key for c in most_improved(changes)] == ["a", "b", "c", "d", "e"]
    assert [c.key for c in most_improved(changes, n=2)] == ["a", "b"]
    assert most_concerning(changes) == []


def test_rankings_treat_deltas_equal_but_for_float_noise_as_ties():
    # 0.35 - 0.1 is 0.24999999999999997 in floats; it still ties with 1.25 - 1.0 on the key.
    changes = compare({"b": 1.0, "a": 0.1}, {"b": 1.25, "a": 0.35})
    assert [c.key for c in most_improved(changes)] == ["a", "b"]


# --- Rounding and display --------------------------------------------------------------------


def test_round_figure_rounds_half_up():
    assert round_figure(0.125) == 0.13  # exact half; Python's round() gives 0.12
    assert round_figure(2.675) == 2.68  # Python's round() gives 2.67
    assert round_figure(2.25, places=1) == 2.3
    assert round_figure(-0.125) == -0.13


def test_round_figure_clears_float_noise_before_rounding():
    assert 5.55 - 1.1 == 4.449999999999999
    assert round_figure(5.55 - 1.1, places=1) == 4.5


def test_round_figure_keeps_none():
    assert round_figure(None) is None


def test_format_figure_shows_two_places_or_a_dash():
    assert format_figure(26 / 9) == "2.89"
    assert format_figure(2) == "2.00"
    assert format_figure(2.345) == "2.35"
    assert format_figure(-0.5) == "-0.50"
    assert format_figure(2.345, places=1) == "2.3"
    assert format_figure(None) == "–"


def test_format_figure_never_shows_negative_zero():
    assert format_figure(-0.001) == "0.00"
    assert round_figure(-0.001) == 0.0


# --- Properties ------------------------------------------------------------------------------


processes_lists = st.lists(
    st.builds(
        ProcessFigures,
        key=st.just("p"),
        name=st.just("P"),
        business_value=st.integers(1, 5),
        current=st.integers(0, 4),
        target=st.one_of(st.none(), st.integers(0, 4)),
    ),
    min_size=1,
)


@given(processes_lists)
def test_samr_index_lies_between_the_lowest_and_highest_level(processes):
    levels = [p.current for p in processes]
    assert min(levels) <= samr_index(processes) <= max(levels)


@given(st.decimals(min_value=-100, max_value=100, places=3))
def test_format_figure_rounds_a_three_place_value_half_up(value):
    expected = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert format_figure(float(value)) == format(expected if expected else abs(expected), "f")
