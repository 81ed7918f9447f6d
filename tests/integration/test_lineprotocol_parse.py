"""Line protocol parsing: points, field values, escaping and lines."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from integration.lineprotocol import Point, parse
from tests.integration.lineprotocol_parsing import HOUR_AGO, NOW


def values(body, **kwargs):
    return [point.value for point in parse(body, now=NOW, **kwargs)]


# Points


def test_it_makes_one_point_per_field_named_measurement_dot_field():
    points = parse(
        "vibration,line=3,sensor=a rms=0.52,peak=1.9 1764061200000000000",
        now=NOW,
    )
    labels = (("line", "3"), ("sensor", "a"))
    assert points == [
        Point("vibration.rms", labels, HOUR_AGO, 0.52),
        Point("vibration.peak", labels, HOUR_AGO, 1.9),
    ]


def test_it_returns_points_with_named_attributes():
    (point,) = parse("m,host=a f=1 1764061200000000000", now=NOW)
    assert point.metric == "m.f"
    assert point.labels == (("host", "a"),)
    assert point.ts == HOUR_AGO
    assert point.ts.tzinfo is UTC
    assert point.value == 1.0


def test_it_sorts_labels_by_key():
    (point,) = parse("m,zone=z,area=a,mid=m f=1", now=NOW)
    assert point.labels == (("area", "a"), ("mid", "m"), ("zone", "z"))


def test_a_line_without_tags_has_no_labels():
    (point,) = parse("m f=1", now=NOW)
    assert point.labels == ()


def test_a_line_without_timestamp_gets_now():
    (point,) = parse("m f=1", now=NOW)
    assert point.ts == NOW


def test_now_in_another_timezone_is_converted_to_utc():
    paris = timezone(timedelta(hours=1))
    (point,) = parse("m f=1", now=NOW.astimezone(paris))
    assert point.ts == NOW
    assert point.ts.utcoffset() == timedelta(0)


def test_it_refuses_a_naive_now():
    with pytest.raises(ValueError, match="timezone-aware"):
        parse("m f=1", now=datetime(2025, 11, 25, 10, 0))


def test_it_keeps_points_in_input_order_across_lines():
    body = "b f=2 1764061200000000000\na f=1 1764061200000000000\nb f=3"
    assert [(p.metric, p.value) for p in parse(body, now=NOW)] == [
        ("b.f", 2.0),
        ("a.f", 1.0),
        ("b.f", 3.0),
    ]


def test_an_empty_body_gives_no_points():
    assert parse("", now=NOW) == []


# Field values


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1.0),
        ("1.0", 1.0),
        ("1.", 1.0),
        (".5", 0.5),
        ("-1.5", -1.5),
        ("-0", 0.0),
        ("1e3", 1000.0),
        ("1E3", 1000.0),
        ("1.5e-3", 0.0015),
        ("-1.234456e+78", -1.234456e78),
        ("007", 7.0),
    ],
)
def test_it_reads_floats(raw, expected):
    assert values(f"m f={raw}") == [expected]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1i", 1.0),
        ("-12485903i", -12485903.0),
        ("9223372036854775807i", 9223372036854775807.0),
        ("-9223372036854775808i", -9223372036854775808.0),
        ("0u", 0.0),
        ("12485903u", 12485903.0),
        ("18446744073709551615u", 18446744073709551615.0),
    ],
)
def test_it_reads_integers_and_unsigned_integers(raw, expected):
    assert values(f"m f={raw}") == [expected]


@pytest.mark.parametrize("raw", ["t", "T", "true", "True", "TRUE"])
def test_it_reads_true_as_one(raw):
    assert values(f"m f={raw}") == [1.0]


@pytest.mark.parametrize("raw", ["f", "F", "false", "False", "FALSE"])
def test_it_reads_false_as_zero(raw):
    assert values(f"m f={raw}") == [0.0]


def test_it_skips_string_fields():
    points = parse('m status="ok",temp=21.5,note="a b" 1764061200000000000', now=NOW)
    assert points == [Point("m.temp", (), HOUR_AGO, 21.5)]


def test_a_line_with_only_string_fields_gives_no_points():
    assert parse('m status="ok",note="fine" 1764061200000000000', now=NOW) == []


def test_string_fields_may_hold_separators_and_escaped_quotes():
    body = r'm s="a, b=c \"quoted\" \\",t="",v=1 1764061200000000000'
    assert parse(body, now=NOW) == [Point("m.v", (), HOUR_AGO, 1.0)]


def test_a_string_may_end_in_an_escaped_backslash():
    assert values(r'm s="ends in \\",v=2') == [2.0]


def test_a_backslash_before_another_character_in_a_string_is_literal():
    assert values(r'm s="C:\temp\new",v=3') == [3.0]


# Escaping


def test_measurement_may_escape_commas_and_spaces():
    (point,) = parse(r"my\ measure\,ment f=1", now=NOW)
    assert point.metric == "my measure,ment.f"


def test_an_equals_sign_in_a_measurement_needs_no_escape():
    (point,) = parse("a=b f=1", now=NOW)
    assert point.metric == "a=b.f"


def test_tag_keys_and_values_may_escape_commas_equals_and_spaces():
    (point,) = parse(r"m,tag\ key\,1\==tag\ value\,1\= f=1", now=NOW)
    assert point.labels == (("tag key,1=", "tag value,1="),)


def test_field_keys_may_escape_commas_equals_and_spaces():
    (point,) = parse(r"m field\ key\,\=x=1", now=NOW)
    assert point.metric == "m.field key,=x"


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("\\", "\\"),
        ("\\\\", "\\"),
        ("\\\\\\", "\\\\"),
        ("\\\\\\\\", "\\\\"),
        ("a\\b", "a\\b"),
        ("a\\\\b", "a\\b"),
    ],
)
def test_backslashes_follow_the_influxdb_table(written, read):
    (point,) = parse(f"m,t=x{written}y f=1", now=NOW)
    assert point.labels == (("t", f"x{read}y"),)


def test_quotes_in_names_and_tag_values_are_literal():
    (point,) = parse('"m",t=\'v\' "f"=1', now=NOW)
    assert point.metric == '"m"."f"'
    assert point.labels == (("t", "'v'"),)


def test_unicode_is_kept():
    (point,) = parse("mesure,lieu=Zürich🍭 température=21.5", now=NOW)
    assert point.metric == "mesure.température"
    assert point.labels == (("lieu", "Zürich🍭"),)


# Lines


def test_comments_and_blank_lines_are_ignored():
    body = "# a comment\n\n   \nm f=1\n  # an indented comment\n\nm f=2\n"
    assert values(body) == [1.0, 2.0]


def test_crlf_line_ends_are_tolerated():
    assert values("m f=1\r\nm f=2 1764061200000000000\r\n") == [1.0, 2.0]


def test_spaces_around_a_line_of_a_series_seen_before_are_tolerated():
    # The series and its field are cached after the first line: the others are read as it is.
    ts = "1764061200000000000"
    body = f"m f=1 {ts}\nm f=2 \n m f=3 {ts}\nm f=4 {ts} \n  \n # m f=5 {ts}\nm f=6"
    points = parse(body, now=NOW)
    assert [(point.value, point.ts) for point in points] == [
        (1.0, HOUR_AGO),
        (2.0, NOW),
        (3.0, HOUR_AGO),
        (4.0, HOUR_AGO),
        (6.0, NOW),
    ]


def test_runs_of_spaces_between_sections_are_tolerated():
    assert parse("m,t=a  f=1   1764061200000000000 ", now=NOW) == [
        Point("m.f", (("t", "a"),), HOUR_AGO, 1.0)
    ]
