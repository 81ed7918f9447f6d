"""Line protocol properties: formatted points parse back, any text parses or is refused."""

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from integration import lineprotocol
from integration.lineprotocol import PRECISIONS, LineProtocolError, Point, TooManyPoints, parse
from integration.lineprotocol_escaped import parse_escaped
from tests.integration.lineprotocol_parsing import NOW

# Properties

NAME_CHARS = st.characters(exclude_characters="\n\r\t", exclude_categories=("Cs",))
names = st.text(NAME_CHARS, min_size=1, max_size=12)
measurements = names.filter(lambda name: not name.startswith("#"))
string_values = st.text(st.characters(exclude_characters="\n", exclude_categories=("Cs",)))

EARLIEST_US = 946684800 * 10**6
LATEST_US = 1764065400 * 10**6  # NOW + 10 minutes


def escape_measurement(text):
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(" ", "\\ ")


def escape_name(text):
    return escape_measurement(text).replace("=", "\\=")


def escape_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# A field is (written value, value parsed or None for a string field).
floats = st.floats(allow_nan=False, allow_infinity=False).map(lambda x: (repr(x), x))
integers = st.integers(-(2**63), 2**63 - 1).map(lambda n: (f"{n}i", float(n)))
unsigned = st.integers(0, 2**64 - 1).map(lambda n: (f"{n}u", float(n)))
booleans = st.sampled_from(
    ["t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE"]
).map(lambda word: (word, 1.0 if word[0] in "tT" else 0.0))
strings = string_values.map(lambda text: (escape_string(text), None))
field_values = st.one_of(floats, integers, unsigned, booleans, strings)


@st.composite
def lines(draw):
    """A line of line protocol and the points it stands for."""
    measurement = draw(measurements)
    tags = draw(st.dictionaries(names, names, max_size=4))
    fields = draw(st.dictionaries(names, field_values, min_size=1, max_size=4))
    precision = draw(st.sampled_from(PRECISIONS))
    with_timestamp = draw(st.booleans())
    if with_timestamp:
        if precision == "s":
            us = draw(st.integers(EARLIEST_US // 10**6, LATEST_US // 10**6)) * 10**6
        elif precision == "ms":
            us = draw(st.integers(EARLIEST_US // 1000, LATEST_US // 1000)) * 1000
        else:
            us = draw(st.integers(EARLIEST_US, LATEST_US))
        raw_ts = {
            "ns": us * 1000 + draw(st.integers(0, 999)),  # sub-microsecond part is truncated
            "us": us,
            "ms": us // 1000,
            "s": us // 10**6,
        }[precision]
        ts = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
    else:
        ts = NOW
    text = escape_measurement(measurement)
    text += "".join(f",{escape_name(k)}={escape_name(v)}" for k, v in tags.items())
    text += " " + ",".join(f"{escape_name(k)}={written}" for k, (written, _) in fields.items())
    if with_timestamp:
        text += f" {raw_ts}"
    labels = tuple(sorted(tags.items()))
    points = [
        Point(f"{measurement}.{key}", labels, ts, value)
        for key, (_, value) in fields.items()
        if value is not None
    ]
    return precision, text, points


@given(st.lists(lines(), max_size=5), st.sampled_from(["\n", "\r\n"]), st.booleans())
@example([("ns", "m f=1", [Point("m.f", (), NOW, 1.0)])], "\n", False)
def test_formatted_points_parse_back_to_the_same_points(generated, newline, commented):
    precision = generated[0][0] if generated else "ns"
    generated = [line for line in generated if line[0] == precision]
    body_lines = [text for _, text, _ in generated]
    if commented:
        body_lines = ["# generated", "", *body_lines]
    expected = [point for _, _, points in generated for point in points]
    assert parse(newline.join(body_lines), precision=precision, now=NOW) == expected


lp_alphabet = st.sampled_from(list('mft=, \\"\n\r\t#01-.eE+iuTFnaN_') + ["\u00e9", "\u0661"])
texts = st.one_of(st.text(), st.text(lp_alphabet, max_size=80))


def assert_parses_or_is_refused(text, precision="ns"):
    try:
        points = parse(text, precision=precision, now=NOW)
    except LineProtocolError as error:
        assert error.line is not None
        assert 1 <= error.line <= text.count("\n") + 1
        assert str(error).startswith(f"line {error.line}: ")
        return
    for point in points:
        assert math.isfinite(point.value)
        assert datetime(2000, 1, 1, tzinfo=UTC) <= point.ts <= NOW + timedelta(minutes=10)
        assert list(point.labels) == sorted(point.labels)


@given(texts, st.sampled_from(PRECISIONS))
def test_any_text_parses_or_is_refused_with_a_line_protocol_error(text, precision):
    assert_parses_or_is_refused(text, precision)


@given(st.data())
def test_mutated_valid_lines_parse_or_are_refused_with_a_line_protocol_error(data):
    _, text, _ = data.draw(lines())
    position = data.draw(st.integers(0, len(text)))
    insert = data.draw(st.text(lp_alphabet, max_size=3))
    cut = data.draw(st.integers(0, 3))
    assert_parses_or_is_refused(text[:position] + insert + text[position + cut :])


def parse_with(path, line):
    """Run one of the parser's two line paths directly: points, or the refusal's reason."""
    points = []
    try:
        path(line, lineprotocol._Context(precision="ns", now=NOW), points)
    except lineprotocol._Refused as refused:
        return refused.reason
    return points


plain_alphabet = st.sampled_from(list("mft=, #01-.eE+iuTFnaN_") + ["1764061200000000000", "é"])


@given(st.lists(plain_alphabet, max_size=30).map("".join))
def test_the_fast_path_and_the_escape_aware_path_agree_on_plain_lines(text):
    # The fast path takes lines without backslashes or quotes; the general scanner must read
    # them the same way, errors included, or a line's meaning would depend on its neighbours.
    line = text.strip(" ")
    if line and not line.startswith("#"):
        plain = parse_with(lineprotocol._parse_plain, line)
        assert plain == parse_with(parse_escaped, line)


# The caps: exactly the lines and bodies over them are refused, whichever path reads them.


@st.composite
def wide_lines(draw):
    """A line of many tags and fields (some escaped, some strings) and its field count."""
    measurement = escape_measurement(draw(measurements))
    tags = draw(st.lists(names, max_size=30, unique=True))
    keys = draw(st.lists(names, min_size=1, max_size=30, unique=True))
    values = draw(st.lists(field_values, min_size=len(keys), max_size=len(keys)))
    text = measurement + "".join(f",{escape_name(tag)}=v" for tag in tags)
    text += " " + ",".join(f"{escape_name(k)}={v[0]}" for k, v in zip(keys, values, strict=True))
    return text, len(keys)


@given(wide_lines(), st.integers(1, 32))
def test_the_field_cap_refuses_exactly_the_lines_over_it(generated, max_fields):
    text, count = generated
    if count > max_fields:
        with pytest.raises(LineProtocolError) as info:
            parse(text, now=NOW, max_fields=max_fields)
        assert str(info.value) == (
            f"line 1: more than {max_fields} fields: at most {max_fields} per line"
        )
    else:
        assert parse(text, now=NOW, max_fields=max_fields) == parse(text, now=NOW)


@given(st.lists(lines(), max_size=6), st.integers(0, 12))
def test_max_points_refuses_exactly_the_bodies_over_it(generated, max_points):
    precision = generated[0][0] if generated else "ns"
    body = "\n".join(text for p, text, _ in generated if p == precision)
    points = parse(body, precision=precision, now=NOW)
    if len(points) > max_points:
        with pytest.raises(TooManyPoints):
            parse(body, precision=precision, now=NOW, max_points=max_points)
    else:
        assert parse(body, precision=precision, now=NOW, max_points=max_points) == points


@given(texts, st.sampled_from(PRECISIONS))
def test_parse_lines_agrees_with_parse_line_by_line(text, precision):
    """Partial writes: the good lines are the lines `parse` takes alone, the refused ones
    those it refuses, with the same messages; a body `parse` takes has no refused line."""
    try:
        lines, refused = lineprotocol.parse_lines(
            text, precision=precision, now=NOW, max_refused=len(text)
        )
    except LineProtocolError as error:  # the cap is never reached here
        raise AssertionError(error) from None
    split = text.split("\n")
    for number, points in lines:
        assert parse(split[number - 1], precision=precision, now=NOW) == points
    for error in refused:
        with pytest.raises(LineProtocolError) as alone:
            parse(split[error.line - 1], precision=precision, now=NOW)
        assert alone.value.reason == error.reason
    try:
        whole = parse(text, precision=precision, now=NOW)
    except LineProtocolError as error:
        assert refused[0].line == error.line and refused[0].reason == error.reason
    else:
        assert not refused
        assert [point for _, points in lines for point in points] == whole


def test_parse_lines_gives_up_past_the_refused_lines_cap():
    with pytest.raises(LineProtocolError) as error:
        lineprotocol.parse_lines("m f=1\n" + "x\n" * 3, now=NOW, max_refused=2)
    assert str(error.value) == "line 2: missing fields (and at least 2 more lines refused)"
