"""The demo telemetry simulator's signals: daily profiles, signal models, the demo's ranges."""

import math
import random
import statistics
from datetime import UTC, datetime, timedelta

import pytest

from integration.demo import DEMO_INTEGRATIONS
from integration.simulator.feeds import Feed, history
from integration.simulator.signals import (
    DC_SHIFTS,
    PLANT_SHIFTS,
    STORE_HOURS,
    Count,
    Defrost,
    Derived,
    Gauge,
    Profile,
    Signal,
    poisson,
    sample,
    wear,
)
from tests.integration.conftest import WEDNESDAY

SUNDAY = datetime(2026, 11, 29, tzinfo=UTC)


def at(day: datetime, hours: float) -> datetime:
    return day + timedelta(hours=hours)


# Daily profiles


def test_plant_shifts_run_from_six_to_ten_on_weekdays_and_are_quiet_at_night():
    assert PLANT_SHIFTS(at(WEDNESDAY, 10)) == pytest.approx(0.98, abs=0.02)
    assert PLANT_SHIFTS(at(WEDNESDAY, 20)) > 0.9
    assert PLANT_SHIFTS(at(WEDNESDAY, 3)) == pytest.approx(0.05)
    assert PLANT_SHIFTS(at(WEDNESDAY, 14)) == pytest.approx(0.7)  # the shift handover
    assert PLANT_SHIFTS(at(SUNDAY, 12)) == pytest.approx(0.03)
    assert PLANT_SHIFTS(at(SUNDAY - timedelta(days=1), 10)) == pytest.approx(0.6)  # Saturday


def test_profiles_follow_local_time_through_summer_time():
    summer = datetime(2026, 7, 1, tzinfo=UTC)  # a Wednesday; London is UTC+1
    assert PLANT_SHIFTS(at(summer, 5.5)) > 0.9  # 06:30 in Sheffield
    assert STORE_HOURS(at(summer, 19.5)) == 0  # 20:30: closed


def test_store_hours_peak_at_lunchtime_and_are_closed_at_night():
    assert STORE_HOURS(at(WEDNESDAY, 3)) == 0
    assert STORE_HOURS(at(WEDNESDAY, 12.5)) == 1.0
    assert STORE_HOURS(at(WEDNESDAY, 10)) < STORE_HOURS(at(WEDNESDAY, 17.5))
    assert STORE_HOURS(at(SUNDAY, 9)) == 0 < STORE_HOURS(at(SUNDAY, 12))
    assert STORE_HOURS(at(SUNDAY, 17)) == 0


def test_the_distribution_centre_works_nights_at_a_lower_rate():
    assert DC_SHIFTS(at(WEDNESDAY, 3)) == pytest.approx(0.3)
    assert DC_SHIFTS(at(WEDNESDAY, 9)) == 1.0


def test_a_profile_refuses_knots_that_do_not_cover_the_day():
    with pytest.raises(ValueError, match="hour 0 to hour 24"):
        Profile(weekday=((0, 0.5), (12, 0.5)))
    with pytest.raises(ValueError, match="between 0 and 1"):
        Profile(weekday=((0, 0.5), (24, 1.5)))


# Models


def test_a_gauge_follows_its_profile_with_noise_and_stays_in_its_limits():
    gauge = Gauge(idle=10, busy=50, profile=PLANT_SHIFTS, noise=2, low=0, high=60, decimals=1)
    rng = random.Random(1)
    busy = [gauge(at(WEDNESDAY, 10), rng) for _ in range(2000)]
    idle = [gauge(at(WEDNESDAY, 3), rng) for _ in range(2000)]
    assert statistics.mean(busy) == pytest.approx(gauge.mean(at(WEDNESDAY, 10)), abs=0.3)
    assert statistics.mean(idle) == pytest.approx(12, abs=0.3)  # 10 + 40 x 0.05
    assert statistics.stdev(busy) == pytest.approx(2, rel=0.15)
    assert all(0 <= value <= 60 for value in busy + idle)
    assert all(value == round(value, 1) for value in busy)


def test_spikes_are_occasional_and_signed():
    gauge = Gauge(idle=1, busy=1, noise=0.05, spike_chance=0.01, spike=10)
    rng = random.Random(2)
    values = [gauge(WEDNESDAY, rng) for _ in range(20_000)]
    share = sum(value > 4 for value in values) / len(values)
    assert 0.007 < share < 0.013
    assert max(values) <= 11.3
    dip = Gauge(idle=100, busy=100, spike_chance=1, spike=-50)
    assert all(50 <= dip(WEDNESDAY, rng) <= 75 for _ in range(100))


def test_jitter_is_one_sided():
    lag = Gauge(idle=3, busy=3, jitter=4)
    rng = random.Random(3)
    values = [lag(WEDNESDAY, rng) for _ in range(5000)]
    assert min(values) >= 3
    assert statistics.mean(values) == pytest.approx(7, abs=0.3)


def test_poisson_draws_have_the_mean_asked_for_and_are_never_negative():
    rng = random.Random(4)
    for mean in (0.05, 3, 25, 300):
        draws = [poisson(mean, rng) for _ in range(5000)]
        assert all(isinstance(draw, int) and draw >= 0 for draw in draws)
        assert statistics.mean(draws) == pytest.approx(mean, rel=0.1, abs=0.02)
    assert poisson(0, rng) == 0


def test_a_count_follows_its_profile_and_bursts_now_and_then():
    scrap = Count(idle=0, busy=0.1, profile=PLANT_SHIFTS, burst_chance=0.01, burst=30)
    rng = random.Random(5)
    night = [scrap(at(WEDNESDAY, 3), rng) for _ in range(3000)]
    day = [scrap(at(WEDNESDAY, 10), rng) for _ in range(3000)]
    assert sum(night) < sum(day)
    assert max(day) >= 5  # bursts
    assert all(value == int(value) for value in day)


def test_a_derived_signal_follows_its_source():
    signals = (
        Signal("air.flow", "m³/min", (2, 18), Gauge(idle=3, busy=12, noise=0.5)),
        Signal("air.power", "kW", (20, 130), Derived(of="air.flow", factor=6.3, offset=14)),
    )
    rng = random.Random(6)
    for _ in range(100):
        flow, power = sample(signals, WEDNESDAY, rng)
        assert power.value == pytest.approx(14 + 6.3 * flow.value, abs=0.01)


def test_a_defrost_lifts_the_temperature_only_in_its_window():
    defrost = Defrost(every=timedelta(hours=6), lasting=timedelta(minutes=30), rise=3)
    assert defrost(at(WEDNESDAY, 0)) == 0
    assert defrost(at(WEDNESDAY, 0.25)) == pytest.approx(3)  # the middle of the window
    assert 0 < defrost(at(WEDNESDAY, 6.1)) < 3
    assert defrost(at(WEDNESDAY, 1)) == 0
    shifted = Defrost(defrost.every, defrost.lasting, 3, offset=timedelta(hours=2))
    assert shifted(at(WEDNESDAY, 2.25)) == pytest.approx(3)


def test_wear_rises_through_its_cycle_and_resets():
    start = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=30 * 690)
    assert wear(start) == 0
    assert wear(start + timedelta(days=15)) == pytest.approx(0.5)
    assert wear(start + timedelta(days=29.9)) > 0.99
    assert wear(start + timedelta(days=30)) == 0


def test_sample_gives_one_point_per_signal_with_its_labels():
    signals = DEMO_INTEGRATIONS[0].signals + (
        Signal("t", "°C", (0, 5), Gauge(idle=1, busy=2), (("cabinet", "dairy"),)),
    )
    points = sample(signals, WEDNESDAY, random.Random(7))
    assert [(p.metric, p.labels, p.ts) for p in points] == [
        (s.metric, s.labels, WEDNESDAY) for s in signals
    ]
    assert all(isinstance(p.value, float) and math.isfinite(p.value) for p in points)


def test_signals_are_deterministic_with_a_seed():
    spec = DEMO_INTEGRATIONS[0]
    window = {"start": WEDNESDAY, "end": at(WEDNESDAY, 6), "step": timedelta(minutes=1)}
    first = history(spec.feed("k"), rng=random.Random(42), **window)
    again = history(spec.feed("k"), rng=random.Random(42), **window)
    other = history(spec.feed("k"), rng=random.Random(43), **window)
    assert first == again
    assert first[0] != other[0]
    assert len(first[0]) == len(spec.signals) * 361


@pytest.mark.parametrize("spec", DEMO_INTEGRATIONS, ids=lambda spec: spec.name)
def test_every_demo_signal_stays_mostly_in_its_expected_range(spec):
    points, _ = history(
        Feed("k", spec.name, spec.signals),  # without outages
        start=WEDNESDAY - timedelta(days=2),
        end=WEDNESDAY + timedelta(days=5),
        step=spec.interval,
        rng=random.Random(8),
    )
    by_series = {}
    for point in points:
        by_series.setdefault((point.metric, point.labels), []).append(point.value)
    expected = {signal.metric: signal.expected for signal in spec.signals}
    for (metric, labels), values in by_series.items():
        low, high = expected[metric]
        assert low < high
        inside = sum(low <= value <= high for value in values) / len(values)
        assert inside > 0.96, (metric, labels, inside)
        assert all(math.isfinite(value) for value in values)
        assert len(set(values)) > 2, f"{metric} is flat"  # noise, cycles, counts


def test_units_are_consistent_per_metric():
    for spec in DEMO_INTEGRATIONS:
        units = {}
        for signal in spec.signals:
            assert units.setdefault(signal.metric, signal.unit) == signal.unit
