"""Line protocol errors: a bad line refuses the whole body, naming the line and the problem."""

import pytest

from tests.integration.lineprotocol_parsing import refusal

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
