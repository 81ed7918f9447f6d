"""The chart's timestamps formatted in bulk read exactly as formatted one by one."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from integration import charts

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]


def minutes_around(start: datetime, hours: int) -> list[datetime]:
    return [start + timedelta(minutes=m, microseconds=m * 7919) for m in range(hours * 60)]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 3, 28, 12, tzinfo=UTC),  # Europe springs forward on the 29th
        datetime(2026, 10, 24, 12, tzinfo=UTC),  # and falls back on the 25th (an hour twice)
        datetime(2026, 11, 1, 0, tzinfo=UTC),  # New York falls back
        datetime(2026, 4, 4, 12, tzinfo=UTC),  # Lord Howe: a half-hour change
    ],
    ids=["spring", "autumn", "new-york", "lord-howe"],
)
def test_bulk_times_equal_one_by_one_across_a_dst_change(zone, start):
    stamps = minutes_around(start, 36)
    with timezone.override(zone):
        offsets = {timezone.localtime(ts).utcoffset() for ts in stamps}
        assert charts.local_times(stamps) == [charts._time(ts) for ts in stamps]
    if zone in ("Europe/Berlin",) and start.month in (3, 10):
        assert len(offsets) == 2  # the window does cross the change


def test_the_autumn_hour_that_happens_twice_is_written_twice():
    stamps = [datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)]
    with timezone.override("Europe/Berlin"):
        assert charts.local_times(stamps) == ["2026-10-25 02:30:00", "2026-10-25 02:30:00"]


def test_the_figure_uses_the_bulk_times_for_line_and_band():
    start = datetime(2026, 3, 29, 0, tzinfo=UTC)
    rows = [(start + timedelta(minutes=m), 1, 0.0, 2.0, 1.0) for m in range(180)]
    chart = charts.SeriesChart(
        metric="m",
        unit="",
        step="1m",
        rows=rows,
        start=start,
        end=start + timedelta(hours=3),
        gap=timedelta(minutes=5),
    )
    with timezone.override("Europe/Berlin"):
        figure = charts.series_figure(chart)
        expected = [charts._time(r[0]) for r in rows]
    band, line = figure["data"]
    assert line["x"] == expected
    assert band["x"] == [*expected, *expected[::-1], None]
    assert "2026-03-29 02:00:00" not in expected  # the hour that does not exist in Berlin
