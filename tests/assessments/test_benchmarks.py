"""The pure benchmark rules: K = 5 strangers, percentiles, top quartile, percentile rank."""

import statistics

import pytest

from assessments import benchmarks
from assessments.benchmarks import K, summarise


@pytest.mark.parametrize(
    ("count", "known", "shown"),
    [
        (4, 0, False),  # exactly 4: nothing
        (5, 0, True),  # exactly 5 strangers: shown
        (5, 1, False),  # 5 with the viewer's own among them: 4 strangers, nothing
        (6, 1, True),
        (6, 2, False),  # a consultant in two of them
        (0, 0, False),
    ],
)
def test_a_figure_needs_k_strangers(count, known, shown):
    values = [float(i) for i in range(count)]
    assert (summarise(values, known=known) is not None) is shown
    assert benchmarks.shown(count, known=known) is shown


def test_k_is_five():
    assert K == 5


@pytest.mark.parametrize(
    "values",
    [[1.0, 2.0, 3.0, 4.0, 5.0], [0.5, 3.25, 1.0, 4.0, 2.0, 2.0, 3.5], [2.0] * 9, list(range(40))],
)
def test_median_and_quartiles_are_the_inclusive_method(values):
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    assert benchmarks.percentile(values, 50) == pytest.approx(median)
    assert benchmarks.percentile(values, 25) == pytest.approx(q1)
    assert benchmarks.percentile(values, 75) == pytest.approx(q3)
    summary = summarise(values)  # what is shown: rounded to the quarter
    assert summary.median == benchmarks.rounded(median)
    assert summary.median % benchmarks.STEP == 0


def test_quartiles_show_only_from_ten_strangers():
    nine, ten = summarise([float(v) for v in range(9)]), summarise([float(v) for v in range(10)])
    assert (nine.q1, nine.q3, nine.top_quartile) == (None, None, None)
    assert (ten.q1, ten.q3, ten.top_quartile) == (2.25, 6.75, 8.0)  # ceil(10/4)=3: 9, 8, 7
    assert summarise([float(v) for v in range(10)], known=1).q1 is None  # 9 strangers


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1.0, 2.0, 3.0, 4.0, 5.0], (5 + 4 + 3) / 3),  # at least three, never one value
        ([float(v) for v in range(1, 21)], (20 + 19 + 18 + 17 + 16) / 5),  # a quarter of 20
        ([float(v) for v in range(1, 14)], (13 + 12 + 11 + 10) / 4),  # ceil(13 / 4) = 4
        ([3.0] * 6, 3.0),
    ],
)
def test_top_quartile_is_the_mean_of_the_best_quarter_of_at_least_three(values, expected):
    assert benchmarks.top_quartile(values) == pytest.approx(expected)


def test_top_quartile_holds_three_strangers_beyond_the_known_ones():
    values = [float(v) for v in range(1, 13)]
    assert benchmarks.top_quartile(values) == pytest.approx((12 + 11 + 10) / 3)
    # two known organisations (at the top, say): five values, so three are strangers'
    assert benchmarks.top_quartile(values, known=2) == pytest.approx((12 + 11 + 10 + 9 + 8) / 5)


def test_top_quartile_is_never_a_single_organisations_value():
    values = [0.0, 0.0, 0.0, 1.0, 4.0]  # one leader far ahead
    assert benchmarks.top_quartile(values) not in values


@pytest.mark.parametrize(
    ("values", "own", "rank"),
    [
        ([1.0, 2.0, 3.0, 4.0, 5.0], 1.0, 10),  # at the minimum, in the set
        ([1.0, 2.0, 3.0, 4.0, 5.0], 5.0, 90),  # at the maximum, in the set
        ([1.0, 2.0, 3.0, 4.0, 5.0], 0.0, 0),  # below everyone, not in the set
        ([1.0, 2.0, 3.0, 4.0, 5.0], 9.0, 100),  # above everyone, not in the set
        ([2.0] * 5, 2.0, 50),  # all equal
        ([1.0, 2.0, 2.0, 2.0, 3.0], 2.0, 50),  # ties: half of the equal ones count
        ([1.0, 1.0, 2.0, 3.0, 4.0, 5.0], 1.0, 17),  # a tie at the minimum: 1 / 6
        ([1.0, 2.0, 3.0, 4.0, 5.0], 2.5, 40),  # between two values
    ],
)
def test_percentile_rank_edge_cases(values, own, rank):
    assert benchmarks.percentile_rank(values, own) == rank
    summary = summarise(values, own=own)  # five to nine strangers: the band only
    assert (summary.percentile, summary.band) == (None, benchmarks.band_of(rank))
    assert summary.own == own


@pytest.mark.parametrize(
    ("rank", "band"),
    [(0, "bottom quarter"), (24, "bottom quarter"), (25, "second quarter"), (49, "second quarter")]
    + [(50, "third quarter"), (74, "third quarter"), (75, "top quarter"), (100, "top quarter")],
)
def test_percentile_bands(rank, band):
    assert benchmarks.band_of(rank) == band


def test_the_exact_percentile_shows_from_ten_strangers():
    values = [float(v) for v in range(10)]
    assert summarise(values, own=9.0).percentile == 95
    assert summarise(values, own=9.0).band == "top quarter"


@pytest.mark.parametrize(("x", "shown"), [(1.12, 1.0), (1.13, 1.25), (1.375, 1.5), (0.0, 0.0)])
def test_shown_figures_are_rounded_to_the_quarter(x, shown):
    assert benchmarks.rounded(x) == shown


def test_no_own_value_no_percentile():
    assert summarise([1.0, 2.0, 3.0, 4.0, 5.0]).percentile is None


def test_all_equal_values_give_one_figure():
    summary = summarise([2.5] * 10)
    assert (summary.median, summary.q1, summary.q3, summary.top_quartile) == (2.5,) * 4


def test_an_industry_cut_of_four_shows_nothing_while_the_total_shows():
    total = [1.0, 2.0, 3.0, 1.5, 2.5, 3.5, 0.5, 4.0]
    industry = total[:4]
    assert summarise(total) is not None
    assert summarise(industry) is None
