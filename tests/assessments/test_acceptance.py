"""The acceptance rules, without a database: verdict, measured value and explanation per kind,
the milestone's verdict, and the aggregate window's reads."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessments.roadmaps.rules.verification import (
    FAILED,
    UNCHECKED,
    VERIFIED,
    Figures,
    Rule,
    Totals,
    aggregate_reads,
    aggregate_window,
    evaluate,
    totals,
    verification,
)
from tests.assessments.conftest import NOW

UPTIME_99 = Rule(kind="uptime", threshold=99, window_days=30)
FRESH_60 = Rule(kind="freshness", threshold=60)
AVG_TEMP = Rule(
    kind="aggregate",
    threshold=60,
    window_days=7,
    metric="bearing.temperature",
    aggregate="avg",
    comparison="<=",
)


# --- Uptime ------------------------------------------------------------------------------------


def test_uptime_at_or_above_the_percentage_passes_and_says_so():
    result = evaluate(UPTIME_99, Figures(uptime=0.992))
    assert result.passed
    assert result.value == pytest.approx(99.2)
    assert result.explanation == "uptime 99.2 % over 30 days ≥ 99 %"


def test_uptime_exactly_at_the_percentage_passes_despite_float_noise():
    # 0.99 * 100 is 98.99999999999999 in floating point.
    assert evaluate(UPTIME_99, Figures(uptime=0.99)).passed


def test_uptime_below_the_percentage_fails_and_is_never_rounded_up_to_look_met():
    result = evaluate(UPTIME_99, Figures(uptime=0.98996))
    assert not result.passed
    assert result.explanation == "uptime 98.9 % over 30 days; needs ≥ 99 %"


def test_uptime_of_a_young_integration_says_since_when_it_counted():
    result = evaluate(UPTIME_99, Figures(uptime=1.0, counted=timedelta(days=7, hours=3)))
    assert result.passed
    assert result.explanation == (
        "uptime 100 % over 30 days (counted since it was created 7 d ago) ≥ 99 %"
    )


def test_uptime_without_a_complete_interval_fails_as_not_measurable():
    result = evaluate(UPTIME_99, Figures(uptime=None))
    assert (result.passed, result.value) == (False, None)
    assert "not measurable yet" in result.explanation


# --- Freshness ---------------------------------------------------------------------------------


def test_freshness_at_the_limit_passes_and_one_second_over_fails():
    at_limit = evaluate(FRESH_60, Figures(freshness=timedelta(seconds=60)))
    assert (at_limit.passed, at_limit.value) == (True, 60.0)
    assert at_limit.explanation == "last data 60 s ago ≤ 60 s"
    over = evaluate(FRESH_60, Figures(freshness=timedelta(seconds=60, milliseconds=1)))
    # Rounded up to whole seconds, so the text never contradicts the verdict.
    assert (over.passed, over.value) == (False, 61.0)
    assert over.explanation == "last data 61 s ago; needs ≤ 60 s"


def test_freshness_of_an_old_last_point_reads_in_days():
    result = evaluate(FRESH_60, Figures(freshness=timedelta(days=3, hours=2)))
    assert result.explanation == "last data 3 d ago; needs ≤ 60 s"


def test_freshness_without_any_data_fails():
    result = evaluate(FRESH_60, Figures(freshness=None))
    assert (result.passed, result.explanation) == (False, "no data received yet; needs ≤ 60 s")


# --- Aggregate ---------------------------------------------------------------------------------

TOTALS = Totals(count=4, minimum=20.0, maximum=70.0, total=180.0)  # average 45


@pytest.mark.parametrize(
    "aggregate,comparison,threshold,passed,value",
    [
        ("avg", "<=", 45, True, 45),
        ("avg", "<", 45, False, 45),
        ("min", ">=", 20, True, 20),
        ("min", ">", 20, False, 20),
        ("max", "<", 70.5, True, 70),
        ("max", "<=", 69.9, False, 70),
        ("sum", ">", 179, True, 180),
        ("sum", ">=", 180.01, False, 180),
    ],
)
def test_each_aggregate_and_comparison(aggregate, comparison, threshold, passed, value):
    rule = Rule("aggregate", threshold, 7, "bearing.temperature", aggregate, comparison)
    result = evaluate(rule, Figures(totals=TOTALS, unit="°C"))
    assert (result.passed, result.value) == (passed, value)


def test_aggregate_explanation_names_the_metric_window_figure_and_unit():
    result = evaluate(AVG_TEMP, Figures(totals=TOTALS, unit="°C"))
    assert result.explanation == "average of bearing.temperature over 7 days 45 °C ≤ 60 °C"
    failing = Rule("aggregate", 40, 1, "bearing.temperature", "max", "<")
    assert evaluate(failing, Figures(totals=TOTALS, unit="°C")).explanation == (
        "maximum of bearing.temperature over 1 day 70 °C; needs < 40 °C"
    )


def test_aggregate_without_points_in_the_window_fails():
    result = evaluate(AVG_TEMP, Figures(totals=None))
    assert not result.passed
    assert result.explanation == "no bearing.temperature points in the last 7 days; needs ≤ 60"


def test_a_problem_reading_the_figures_fails_with_it():
    result = evaluate(AVG_TEMP, Figures(problem="Press line has sent no bearing.temperature yet"))
    assert (result.passed, result.value) == (False, None)
    assert result.explanation == "Press line has sent no bearing.temperature yet; needs ≤ 60"


def test_totals_combine_rows_and_skip_empty_ones():
    assert totals([]) is None
    assert totals([(0, 0, 0, 0)]) is None
    combined = totals([(2, 1.0, 3.0, 4.0), (1, -2.0, -2.0, -2.0), (0, 99, 99, 0)])
    assert combined == Totals(count=3, minimum=-2.0, maximum=3.0, total=2.0)
    assert combined.value("avg") == pytest.approx(2 / 3)


def test_each_rule_reads_as_a_requirement():
    assert str(UPTIME_99) == "uptime ≥ 99 % over 30 days"
    assert str(FRESH_60) == "freshness ≤ 60 s"
    assert str(AVG_TEMP) == "average of bearing.temperature over 7 days ≤ 60"


# --- A milestone's verdict ---------------------------------------------------------------------

EARLY, LATE = NOW - timedelta(minutes=9), NOW


def test_no_criteria_no_verdict():
    assert verification([], done=True) is None


def test_every_criterion_met_is_verified_as_of_the_oldest_check():
    v = verification([(True, LATE), (True, EARLY)], done=False)
    assert (v.state, v.label, v.checked) == (VERIFIED, "Verified", EARLY)


def test_one_failed_criterion_is_not_verified_and_done_not_verified_when_done():
    checks = [(True, LATE), (False, EARLY)]
    assert verification(checks, done=False).label == "Not verified"
    assert verification(checks, done=True).label == "Done, not verified"


def test_a_never_checked_criterion_leaves_the_milestone_unchecked():
    v = verification([(True, LATE), (None, None)], done=True)
    assert (v.state, v.label, v.checked) == (UNCHECKED, "Not checked yet", None)
    # A failure weighs more than a criterion not checked yet.
    assert verification([(False, LATE), (None, None)], done=True).state == FAILED


# --- The aggregate window ----------------------------------------------------------------------


def test_the_window_starts_on_the_first_whole_minute_n_days_back():
    assert aggregate_window(NOW, 7) == (NOW - timedelta(days=7), NOW)
    now = NOW + timedelta(seconds=30)
    assert aggregate_window(now, 1) == (NOW - timedelta(days=1) + timedelta(minutes=1), now)


def test_reads_are_minutes_to_the_hour_then_hours_then_the_last_minutes():
    start = datetime(2026, 11, 18, 9, 47, tzinfo=UTC)
    end = datetime(2026, 11, 25, 10, 12, 30, tzinfo=UTC)
    assert aggregate_reads(start, end) == [
        ("1m", start, datetime(2026, 11, 18, 10, 0, tzinfo=UTC)),
        (
            "1h",
            datetime(2026, 11, 18, 10, 0, tzinfo=UTC),
            datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
        ),
        ("1m", datetime(2026, 11, 25, 10, 0, tzinfo=UTC), end),
    ]


def test_reads_on_whole_hours_skip_the_empty_minute_reads():
    start, end = NOW - timedelta(days=1), NOW
    assert aggregate_reads(start, end) == [("1h", start, end)]


@given(
    start_minutes=st.integers(min_value=0, max_value=60 * 24 * 3),
    length_minutes=st.integers(min_value=1, max_value=60 * 24 * 3),
    seconds=st.integers(min_value=0, max_value=59),
)
def test_reads_cover_the_window_exactly_without_overlap(start_minutes, length_minutes, seconds):
    start = NOW + timedelta(minutes=start_minutes)
    end = start + timedelta(minutes=length_minutes, seconds=seconds)
    reads = aggregate_reads(start, end)
    assert reads[0][1] == start and reads[-1][2] == end
    for (_, _, previous_end), (_, next_start, _) in zip(reads, reads[1:], strict=False):
        assert previous_end == next_start
    for step, first, last in reads:
        assert first < last
        if step == "1h":
            assert first.minute == last.minute == 0
