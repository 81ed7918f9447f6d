"""The pure outcome rules (assessments.outcomes) against values worked out by hand."""

from datetime import date, timedelta

import pytest

from assessments import outcomes

D = date(2026, 3, 1)


def days(values, first=D):
    return {first + timedelta(days=i): v for i, v in enumerate(values)}


def test_minimum_is_half_the_window_and_at_least_three():
    assert outcomes.min_days(30) == 15
    assert outcomes.min_days(7) == 4
    assert outcomes.min_days(4) == 3


def test_baseline_is_the_days_before_the_start_and_after_starts_the_day_after_done():
    base = outcomes.baseline_window(date(2026, 3, 1), 30)
    assert (base.start, base.end, base.last) == (date(2026, 1, 30), D, date(2026, 2, 28))
    after = outcomes.after_window(date(2026, 3, 10), 30)
    assert (after.start, after.last) == (date(2026, 3, 11), date(2026, 4, 9))


def test_change_is_relative_to_the_baseline_mean():
    # before mean (10 + 11 + 9 + 10) / 4 = 10, after (6 + 7 + 5 + 6) / 4 = 6: -40 %
    result = outcomes.outcome(
        days([10, 11, 9, 10]), days([6, 7, 5, 6]), window_days=4, better="lower", expected=-10
    )
    assert result.state == "measured"
    assert result.before_mean == 10
    assert result.after_mean == 6
    assert result.change == pytest.approx(-40)
    # Every resample's before mean is in [9, 11] and after mean in [5, 7], so the interval is
    # within [(5 - 11) / 11, (7 - 9) / 9] = [-54.5 %, -22.2 %].
    assert -54.55 <= result.low <= result.change <= result.high <= -22.22
    assert result.verdict == outcomes.REALISED


def test_verdict_follows_the_expected_size_and_the_better_direction():
    before, after = days([10, 11, 9, 10]), days([6, 7, 5, 6])
    short = outcomes.outcome(before, after, window_days=4, better="lower", expected=-50)
    assert short.verdict == outcomes.PARTLY
    worse = outcomes.outcome(before, after, window_days=4, better="higher", expected=10)
    assert worse.verdict == outcomes.WORSE
    same = outcomes.outcome(
        before, days([10, 12, 8, 10]), window_days=4, better="lower", expected=None
    )
    assert same.change == 0
    assert same.low < 0 < same.high
    assert same.verdict == outcomes.UNCLEAR


def test_interval_is_the_same_every_time():
    before, after = [3.0, 5.0, 4.0, 6.0, 2.0], [2.0, 3.0, 2.5, 4.0]
    assert outcomes.bootstrap_interval(before, after) == outcomes.bootstrap_interval(before, after)
    assert outcomes.bootstrap_interval(before, after, seed=1) != outcomes.bootstrap_interval(
        before, after
    )


def test_percentile_interpolates_between_ranks():
    assert outcomes._percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert outcomes._percentile([1.0, 2.0, 3.0, 4.0], 0.025) == pytest.approx(1.075)


def test_too_few_days_is_not_enough_data_saying_which_window():
    result = outcomes.outcome(
        days([10, 11, 9]), days([6, 7]), window_days=4, better="lower", expected=-10
    )
    assert result.state == "not-enough-data"
    assert result.reason == "2 of 4 days with data in the after window; 3 needed"
    assert result.change is None
    assert not outcomes.outcome(
        days([1, 1]), days([6, 7, 5]), window_days=4, better="lower", expected=None
    ).measured


def test_a_zero_baseline_has_no_relative_change():
    result = outcomes.outcome(
        days([0, 0, 0]), days([1, 2, 3]), window_days=4, better="lower", expected=None
    )
    assert result.state == "not-enough-data"
    assert "zero" in result.reason


def test_percent_has_a_sign_and_a_real_minus():
    assert outcomes.percent(-18.4) == "−18 %"
    assert outcomes.percent(4.6) == "+5 %"
    assert outcomes.percent(0.2) == "0 %"
    assert outcomes.percent(None) == "–"
