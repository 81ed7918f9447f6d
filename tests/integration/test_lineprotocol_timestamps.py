"""Line protocol timestamps: each precision, and the limits on how old or new they may be."""

from datetime import UTC, datetime, timedelta

import pytest

from integration.lineprotocol import PRECISIONS, parse
from tests.integration.lineprotocol_parsing import HOUR_AGO, NOW, refusal

# Timestamps


@pytest.mark.parametrize(
    ("precision", "raw"),
    [
        ("ns", "1764061200000000000"),
        ("us", "1764061200000000"),
        ("ms", "1764061200000"),
        ("s", "1764061200"),
    ],
)
def test_it_reads_timestamps_in_each_precision(precision, raw):
    (point,) = parse(f"m f=1 {raw}", precision=precision, now=NOW)
    assert point.ts == HOUR_AGO


def test_the_default_precision_is_nanoseconds():
    (point,) = parse("m f=1 1764061200000000000", now=NOW)
    assert point.ts == HOUR_AGO


def test_nanoseconds_are_truncated_to_microseconds():
    (point,) = parse("m f=1 1764061200123456789", now=NOW)
    assert point.ts == HOUR_AGO + timedelta(microseconds=123456)


@pytest.mark.parametrize("precision", ["n", "u", "NS", "", "d"])
def test_it_refuses_other_precisions(precision):
    error = refusal("m f=1", precision=precision)
    assert error.line is None
    assert str(error) == f"invalid precision '{precision}': use ns, us, ms, s, m or h"


@pytest.mark.parametrize("precision,timestamp", [("m", 29401020), ("h", 490017)])
def test_it_takes_influxdb_1x_minutes_and_hours(precision, timestamp):
    (point,) = parse(f"m f=1 {timestamp}", precision=precision, now=NOW)
    assert point.ts == datetime.fromtimestamp(timestamp * (60 if precision == "m" else 3600), UTC)


def test_precision_names_are_published():
    assert PRECISIONS == ("ns", "us", "ms", "s")


def test_a_timestamp_ten_minutes_ahead_is_accepted():
    (point,) = parse("m f=1 1764065400000000000", now=NOW)
    assert point.ts == NOW + timedelta(minutes=10)


def test_a_timestamp_more_than_ten_minutes_ahead_is_refused():
    error = refusal("m f=1\nm f=1 1764065400001000000")
    assert error.line == 2
    assert str(error) == "line 2: timestamp is more than 10 minutes in the future"


def test_a_timestamp_on_2000_01_01_is_accepted():
    (point,) = parse("m f=1 946684800", precision="s", now=NOW)
    assert point.ts == datetime(2000, 1, 1, tzinfo=UTC)


def test_a_timestamp_before_2000_is_refused():
    error = refusal("m f=1 946684799", precision="s")
    assert str(error) == "line 1: timestamp is before 2000-01-01"


def test_a_negative_timestamp_is_refused_as_before_2000():
    assert str(refusal("m f=1 -1764061200")) == "line 1: timestamp is before 2000-01-01"


def test_the_future_limit_applies_in_coarse_precisions_too():
    assert refusal("m f=1 1764065401", precision="s").reason == (
        "timestamp is more than 10 minutes in the future"
    )
