"""Line protocol caps: fields per line and points per body, checked before the work past them;
hostile shapes (huge lines, many tags, long escape runs) parse in linear time or are refused."""

import contextlib

import pytest

from integration.lineprotocol import MAX_FIELDS, TooManyPoints, parse
from tests.guards import within
from tests.integration.lineprotocol_parsing import NOW, TS, refusal


def fields(count: int, value: str = "1") -> str:
    return ",".join(f"f{i}={value}" for i in range(count))


# Fields per line


@pytest.mark.parametrize("measurement", ["m", "m\\ x"])  # the plain and the escape-aware path
def test_a_line_at_the_field_cap_parses(measurement):
    points = parse(f"{measurement} {fields(MAX_FIELDS)} {TS}", now=NOW)
    assert len(points) == MAX_FIELDS


@pytest.mark.parametrize("measurement", ["m", "m\\ x"])
def test_a_line_over_the_field_cap_is_refused(measurement):
    error = refusal(f"m f=1\n{measurement} {fields(MAX_FIELDS + 1)} {TS}")
    assert str(error) == f"line 2: more than {MAX_FIELDS} fields: at most {MAX_FIELDS} per line"


@pytest.mark.parametrize("measurement", ["m", "m\\ x"])
def test_the_field_cap_is_checked_before_the_fields_past_it_are_read(measurement):
    # Past the cap nothing is read: a bad field there gets the cap's message...
    body = f"{measurement} {fields(3)},bad=x,f9=1"
    assert "at most 3 per line" in str(refusal(body, max_fields=3))
    # ...while errors before it come first, left to right as always.
    body = f"{measurement} f0=1,bad=x,{fields(5)}"
    assert str(refusal(body, max_fields=3)) == "line 1: invalid field value 'x' for field 'bad'"


def test_string_fields_count_towards_the_cap():
    assert "at most 2 per line" in str(refusal('m a="x",b="y",c=1', max_fields=2))


# Points per body


def test_a_body_over_max_points_is_refused_before_the_lines_past_the_limit():
    body = "\n".join(f"m f={i} {TS}" for i in range(4)) + "\nnot line protocol at all"
    with pytest.raises(TooManyPoints) as info:
        parse(body, now=NOW, max_points=3)
    assert str(info.value) == "more than 3 points in one batch; at most 3 are accepted"
    assert info.value.line is None


@pytest.mark.parametrize(
    "body",
    [
        f"m f=1,g=2\nm f=3,g=4 {TS}",  # the plain path
        f"m f=1 {TS}\nm f=2 {TS}\nm f=3 {TS}\nm f=4 {TS}",  # the inline one
        f"m f=1 {TS}\nm a=1,b=2,c=3",
        f"m a=1,b=2,c=3 {TS}\nm a=2 {TS}",  # the inline path after a line of many points
        'm,t=a\\ b f=1,g="x",h=2\nm\\ x f=2,g=3',  # the scanner
    ],
)
def test_every_path_counts_towards_max_points(body):
    with pytest.raises(TooManyPoints):
        parse(body, now=NOW, max_points=3)


def test_a_body_at_max_points_parses():
    body = "\n".join(f"m f={i} {TS}" for i in range(3))
    assert len(parse(body, now=NOW, max_points=3)) == 3


# Hostile shapes, with the field cap lifted: each would take a minute if a step were quadratic
# (20,000 fields took 5.8 s before, growing as n²); linear, each takes well under a second.
# The guard only turns a hang into a failure.

WIDE = 60_000


@pytest.mark.parametrize(
    "line",
    [
        f"m {fields(WIDE)}",  # the shape of the reported body (150,000 fields)
        f"m\\ x {fields(WIDE)}",
        "m " + fields(WIDE, value='"s"'),  # string fields (the scanner)
        "m," + ",".join(f"t{i}=v" for i in range(WIDE)) + " f=1",  # many tags
        "m,t\\ x=v," + ",".join(f"t{i}=v" for i in range(WIDE)) + " f=1",
        "m," + "\\" * 1_000_000 + "=v f=1",  # a long run of backslashes
        "m " + "\\" * 1_000_000 + "=1",
        'm f="' + "\\" * 1_000_000 + '"',
        "m " + "," * 1_000_000,
        "m " + "=" * 1_000_000,
        "m," + "," * 1_000_000 + " f=1",
        "m," + "=" * 1_000_000 + " f=1",
        "m f=1" + " " * 1_000_000 + "1",
    ],
    ids=lambda line: f"{line[:12]}...({len(line)})",
)
def test_a_hostile_line_is_parsed_or_refused_in_linear_time(line):
    with within(10), contextlib.suppress(ValueError):
        parse(line, now=NOW, max_fields=WIDE + 1)


def test_many_lines_of_many_fields_parse_in_linear_time():
    body = "\n".join(f"m,line={i} {fields(MAX_FIELDS)} {TS}" for i in range(200))
    with within(10):
        assert len(parse(body, now=NOW)) == 200 * MAX_FIELDS
