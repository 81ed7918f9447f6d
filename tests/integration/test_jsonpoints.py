"""The JSON body parser (pure, no database): shape and types; ranges are the service's."""

import contextlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integration.jsonpoints import JsonPointsError, TooManyPoints, parse
from integration.lineprotocol import Point

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_it_makes_the_same_points_as_the_line_protocol_parser():
    body = json.dumps({"points": [{"metric": "temp", "value": 21, "labels": {"z": "1", "a": "2"}}]})
    assert parse(body, now=NOW) == [Point("temp", (("a", "2"), ("z", "1")), NOW, 21.0)]
    assert type(parse(body, now=NOW)[0].value) is float


def test_it_takes_bytes_and_str():
    body = '{"points": [{"metric": "t", "value": 1.5}]}'
    assert parse(body, now=NOW) == parse(body.encode(), now=NOW)


def test_iso_times_are_converted_to_utc():
    body = '{"points": [{"metric": "t", "value": 1, "ts": "2026-11-25T12:00:00.25+02:00"}]}'
    assert parse(body, now=NOW)[0].ts == NOW + timedelta(milliseconds=250)
    assert parse(body, now=NOW)[0].ts.tzinfo is UTC


def test_an_error_names_the_point_index_and_field():
    with pytest.raises(JsonPointsError) as info:
        parse('{"points": [{"metric": "t", "value": 1}, {"metric": "t", "value": NaN}]}', now=NOW)
    assert (info.value.index, info.value.field) == (1, "value")
    assert str(info.value) == "points[1].value: is not a finite number"


def test_deep_nesting_is_refused_not_crashing():
    with pytest.raises(JsonPointsError):
        parse("[" * 100_000, now=NOW)


def test_an_integer_of_too_many_digits_is_refused_not_crashing():
    # orjson refuses it; the standard library's int() raised its own ValueError (a 500).
    with pytest.raises(JsonPointsError, match="too many digits"):
        parse('{"points": [{"metric": "t", "value": ' + "1" * 5000 + "}]}", now=NOW)


def test_more_than_max_points_are_refused_before_any_is_read():
    body = json.dumps({"points": [{"metric": "t", "value": 1}] * 3 + [{"metric": 2}]})
    with pytest.raises(TooManyPoints) as info:
        parse(body, now=NOW, max_points=3)
    assert str(info.value) == "4 points in one batch; at most 3 are accepted"
    with pytest.raises(JsonPointsError) as info:  # at the limit, the points are read
        parse(body, now=NOW, max_points=4)
    assert (info.value.index, info.value.field) == (3, "metric")


@given(st.binary(max_size=200))
def test_any_bytes_give_points_or_a_json_points_error(body):
    with contextlib.suppress(JsonPointsError):
        parse(body, now=NOW)


points = st.lists(
    st.fixed_dictionaries(
        {
            "metric": st.text(min_size=1, max_size=20),
            "value": st.floats(allow_nan=False, allow_infinity=False),
        },
        optional={
            "ts": st.integers(min_value=946684800, max_value=1795600000),
            "labels": st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
        },
    ),
    max_size=20,
)


@given(points)
def test_valid_points_round_trip(items):
    parsed = parse(json.dumps({"points": items}), now=NOW)
    assert [p.metric for p in parsed] == [item["metric"] for item in items]
    assert [p.value for p in parsed] == [float(item["value"]) for item in items]
    assert [p.ts for p in parsed] == [
        datetime.fromtimestamp(item["ts"], UTC) if "ts" in item else NOW for item in items
    ]
    assert [dict(p.labels) for p in parsed] == [item.get("labels", {}) for item in items]
