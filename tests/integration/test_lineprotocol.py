import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from integration import lineprotocol
from integration.lineprotocol import PRECISIONS, LineProtocolError, Point, parse

NOW = datetime(2025, 11, 25, 10, 0, tzinfo=UTC)
TS = 1764064800000000000  # NOW in nanoseconds
HOUR_AGO = datetime(2025, 11, 25, 9, 0, tzinfo=UTC)


def values(body, **kwargs):
    return [point.value for point in parse(body, now=NOW, **kwargs)]


def refusal(body, **kwargs):
    with pytest.raises(LineProtocolError) as info:
        parse(body, now=NOW, **kwargs)
    return info.value


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


def test_runs_of_spaces_between_sections_are_tolerated():
    assert parse("m,t=a  f=1   1764061200000000000 ", now=NOW) == [
        Point("m.f", (("t", "a"),), HOUR_AGO, 1.0)
    ]


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


@pytest.mark.parametrize("precision", ["h", "n", "u", "m", "NS", ""])
def test_it_refuses_other_precisions(precision):
    error = refusal("m f=1", precision=precision)
    assert error.line is None
    assert str(error) == f"invalid precision '{precision}': use ns, us, ms or s"


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


# Errors


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("m f=1\nm g=2\nm temp=abc", "line 3: invalid field value 'abc' for field 'temp'"),
        ("m f=1\nm,t=a", "line 2: missing fields"),
        ("m\n", "line 1: missing fields"),
        ("\n\n\n\nm f=1 12ab", "line 5: invalid timestamp '12ab'"),
        ("m f=1 1.5", "line 1: invalid timestamp '1.5'"),
        ("m f=1 +1764061200000000000", "line 1: invalid timestamp '+1764061200000000000'"),
        (
            "m f=1 1_764_061_200_000_000_000",
            "line 1: invalid timestamp '1_764_061_200_000_000_000'",
        ),
        ("m f=1 " + "9" * 30, "line 1: invalid timestamp '" + "9" * 30 + "'"),
        ("m f=1 \u0661\u0662", "line 1: invalid timestamp '\u0661\u0662'"),
        ("m f=1\nm f=2\nm f=3\nm temp=NaN", "line 4: value for 'temp' is not a finite number"),
        ("m temp=nan", "line 1: value for 'temp' is not a finite number"),
        ("m temp=inf", "line 1: value for 'temp' is not a finite number"),
        ("m temp=-Infinity", "line 1: value for 'temp' is not a finite number"),
        ("m temp=1e999", "line 1: value for 'temp' is not a finite number"),
        ("m temp=-1e999", "line 1: value for 'temp' is not a finite number"),
        ("m f=+1", "line 1: invalid field value '+1' for field 'f'"),
        ("m f=1_000", "line 1: invalid field value '1_000' for field 'f'"),
        ("m f=1e", "line 1: invalid field value '1e' for field 'f'"),
        ("m f=1.2.3", "line 1: invalid field value '1.2.3' for field 'f'"),
        ("m f=--1", "line 1: invalid field value '--1' for field 'f'"),
        ("m f=.", "line 1: invalid field value '.' for field 'f'"),
        ("m f=yes", "line 1: invalid field value 'yes' for field 'f'"),
        ("m f=tRUE", "line 1: invalid field value 'tRUE' for field 'f'"),
        ("m f=\uff11", "line 1: invalid field value '\uff11' for field 'f'"),
        ("m f=1.5i", "line 1: invalid field value '1.5i' for field 'f'"),
        ("m f=i", "line 1: invalid field value 'i' for field 'f'"),
        ("m f=-i", "line 1: invalid field value '-i' for field 'f'"),
        ("m f=-1u", "line 1: invalid field value '-1u' for field 'f'"),
        ("m f=1iu", "line 1: invalid field value '1iu' for field 'f'"),
        ("m f=9223372036854775808i", "line 1: integer value for 'f' is out of range"),
        ("m f=-9223372036854775809i", "line 1: integer value for 'f' is out of range"),
        ("m f=18446744073709551616u", "line 1: unsigned integer value for 'f' is out of range"),
        ("m f=" + "9" * 5000 + "i", "line 1: integer value for 'f' is out of range"),
        ("m f='x'", "line 1: invalid field value ''x'' for field 'f'"),
        ('m f=1"', "line 1: invalid field value '1\"' for field 'f'"),
        ("m f=a\\ b", "line 1: invalid field value 'a\\' for field 'f'"),
        ("m f=", "line 1: missing value for field 'f'"),
        ("m f", "line 1: missing value for field 'f'"),
        ("m f=1,g", "line 1: missing value for field 'g'"),
        ("m =1", "line 1: missing field key"),
        ("m f=1,", "line 1: empty field in the field set"),
        ("m f=1,,g=2", "line 1: empty field in the field set"),
        ("m f=1,f=2", "line 1: duplicate field 'f'"),
        ("m g=1,f=2,g=3", "line 1: duplicate field 'g'"),
        (",t=a f=1", "line 1: missing measurement"),
        ("m,=a f=1", "line 1: missing tag key"),
        ("m,t f=1", "line 1: missing value for tag 't'"),
        ("m,t= f=1", "line 1: missing value for tag 't'"),
        ("m, f=1", "line 1: missing tag key"),
        ("m,t=a, f=1", "line 1: missing tag key"),
        ("m,t=a=b f=1", "line 1: unescaped '=' in the value of tag 't'"),
        ("m,t=a,t=b f=1", "line 1: duplicate tag 't'"),
        ("m f=1 1764061200000000000 extra", "line 1: unexpected text after the timestamp"),
        ("m f=1 g=2", "line 1: invalid timestamp 'g=2'"),
        ('m s="open', "line 1: unterminated string value for field 's'"),
        ('m s="open\\"', "line 1: unterminated string value for field 's'"),
        ('m s="a"b', "line 1: unexpected text after the string of field 's'"),
        ("m f=" + "x" * 100, "line 1: invalid field value '" + "x" * 39 + "…' for field 'f'"),
    ],
)
def test_it_refuses_bad_lines_naming_the_line_and_the_problem(body, message):
    error = refusal(body)
    assert str(error) == message
    assert error.line == int(message.split(":")[0].removeprefix("line "))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (r"m\ x f=abc", "line 1: invalid field value 'abc' for field 'f'"),
        (r"m\ x,t=a", "line 1: missing fields"),
        (r"m\ x f=1 12ab", "line 1: invalid timestamp '12ab'"),
        (r"m\ x temp=NaN", "line 1: value for 'temp' is not a finite number"),
        (r"m\ x =1", "line 1: missing field key"),
        (r"m\ x f=1,", "line 1: empty field in the field set"),
        (r"m\ x f=1,f=2", "line 1: duplicate field 'f'"),
        (r"m\ x f", "line 1: missing value for field 'f'"),
        (r"m\ x f=", "line 1: missing value for field 'f'"),
        (r",t=\ a f=1", "line 1: missing measurement"),
        (r"m,=\ a f=1", "line 1: missing tag key"),
        (r"m,t\ x f=1", "line 1: missing value for tag 't x'"),
        (r"m,t=a=\ b f=1", "line 1: unescaped '=' in the value of tag 't'"),
        (r"m,t\ =a,t\ =b f=1", "line 1: duplicate tag 't '"),
        (r"m\ x f=1 1764061200000000000 extra", "line 1: unexpected text after the timestamp"),
    ],
)
def test_escaped_lines_get_the_same_messages(body, message):
    assert str(refusal(body)) == message


def test_an_error_on_a_later_line_refuses_the_whole_body():
    body = "m f=1 1764061200000000000\nm f=2 1764061200000000000\n# note\nm f=oops"
    error = refusal(body)
    assert error.line == 4
    assert error.reason == "invalid field value 'oops' for field 'f'"


def test_the_first_error_is_reported():
    assert refusal("m f=1\nm f=x\nm g=y").line == 2


def test_line_numbers_count_comments_blank_lines_and_crlf():
    assert refusal("# header\r\n\r\nm f=1\r\nm f=bad\r\n").line == 4


def test_the_error_is_a_value_error():
    assert isinstance(refusal("m f=x"), ValueError)


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
        assert plain == parse_with(lineprotocol._parse_escaped, line)
