"""Fuzzing the HTTP API through the real views (issue 7, item 5).

Whatever the body or the query: never a 500. Either a success whose stored rows match what the
answer says, or a 4xx JSON error ``{"code", "message"}`` (the status the code stands for, a
non-empty message) and nothing stored, or on the line protocol endpoint InfluxDB's partial
write (a 400 naming the refused lines, every other line stored). Each example gets its own
integration and token, so examples are independent while sharing the test's database
transaction.
"""

import gzip
import json
import string
import uuid
from datetime import UTC, datetime

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from integration import lineprotocol
from integration.api import _STATUS
from integration.models import IngestToken, Integration, Metric, Point, Series
from tests.guards import within

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def fresh_token(org) -> tuple[Integration, str]:
    integration = Integration.objects.create(organization=org, name=f"fuzz {uuid.uuid4()}")
    return integration, IngestToken.objects.issue(integration=integration, name="fuzz")[1]


def counts(integration) -> tuple[int, int, int]:
    return (
        Metric.objects.filter(integration=integration).count(),
        Series.objects.filter(metric__integration=integration).count(),
        Point.objects.filter(series__metric__integration=integration).count(),
    )


def assert_clean_error(response) -> dict:
    """A 4xx JSON error whose code matches its status and whose message says something."""
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert isinstance(body, dict)
    assert set(body) >= {"code", "message"}
    assert _STATUS[body["code"]] == response.status_code
    assert isinstance(body["message"], str) and body["message"].strip()
    return body


# Strategies

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=20,
)

# Names that are mostly fine, sometimes not (empty, reserved, NUL, long, odd Unicode).
names = st.one_of(
    st.text(string.ascii_letters + string.digits + "._-", min_size=1, max_size=12),
    st.text(max_size=12),
    st.sampled_from(["", "_ping", "_x", "a\x00b", "x" * 201, "é", "\ud7ff", "a b", "a\ud800"]),
)
timestamps = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(1990, 1, 1),
        max_value=datetime(2040, 1, 1),
        timezones=st.just(UTC) | st.timezones(),
    ).map(lambda ts: ts.isoformat()),
    st.datetimes(timezones=st.timezones()).map(lambda ts: ts.isoformat()),  # years 1 to 9999
    st.datetimes().map(lambda ts: ts.isoformat()),  # no time zone
    st.floats(allow_nan=False, allow_infinity=False) | st.integers(min_value=-(2**65)),
    st.text(max_size=30),
    json_values,
)
label_sets = st.one_of(
    st.none(),
    st.dictionaries(names, names | json_values, max_size=4),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), min_size=33, max_size=34),
    json_values,
)
values = st.one_of(
    st.floats(),
    st.integers(),
    st.integers(min_value=2**63, max_value=2**80),
    st.booleans(),
    st.text(max_size=5),
)


@st.composite
def json_points(draw):
    """A point object, near valid: each field mostly sensible, sometimes wrong or missing."""
    point = {}
    if draw(st.integers(0, 9)):
        point["metric"] = draw(names | json_values)
    if draw(st.integers(0, 9)):
        point["value"] = draw(values)
    if draw(st.booleans()):
        point["ts"] = draw(timestamps)
    if draw(st.booleans()):
        point["labels"] = draw(label_sets)
    if not draw(st.integers(0, 19)):
        point[draw(st.text(max_size=5))] = draw(json_values)
    return point


near_valid_json = st.fixed_dictionaries(
    {"points": st.lists(json_points() | json_values, max_size=6)},
    optional={"extra": json_values},
)


def _ident(alphabet: str):
    return st.text(alphabet, min_size=1, max_size=8)


@st.composite
def protocol_lines(draw):
    """A line of line protocol, near valid: escapes, odd values and timestamps mixed in."""
    special = ' ,=\\"\n\t'
    part = _ident(string.ascii_letters) | st.text(string.ascii_letters + special, max_size=8)
    measurement = draw(part)
    tags = draw(st.lists(st.tuples(part, part), max_size=3))
    fields = draw(
        st.lists(
            st.tuples(
                part,
                st.one_of(
                    st.floats().map(repr),
                    st.integers(-(2**70), 2**70).map(lambda i: f"{i}i"),
                    st.integers(0, 2**70).map(lambda i: f"{i}u"),
                    st.sampled_from(["t", "F", "true", "NaN", "inf", "-0", "1e400", '"s"']),
                    st.text(max_size=6),
                ),
            ),
            max_size=3,
        )
    )
    ts = draw(
        st.one_of(
            st.just(""),
            # Offsets from the time of arrival (recent, old, a little and too far ahead); the
            # clock is read after the draw, so generation does not depend on it.
            st.integers(-(10**17), 10**12).map(
                lambda offset: str(int(timezone.now().timestamp()) * 10**9 + offset)
            ),
            st.integers(-(2**70), 2**70).map(str),
            st.text(string.digits + "-.e", max_size=20),
        )
    )
    line = measurement
    line += "".join(f",{key}={value}" for key, value in tags)
    line += " " + ",".join(f"{key}={value}" for key, value in fields)
    return f"{line} {ts}" if ts else line


line_bodies = st.one_of(
    st.text(),
    st.lists(protocol_lines(), max_size=5).map("\n".join),
    st.lists(protocol_lines() | st.text(max_size=30), max_size=5).map("\n".join),
)
precisions = st.one_of(st.none(), st.sampled_from(["ns", "us", "ms", "s"]), st.text(max_size=4))


# POST /api/v1/telemetry


def post_telemetry(client, token, body: bytes, *, gzipped=False):
    headers = {"Authorization": f"Bearer {token}"}
    if gzipped:
        body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
    return client.post("/api/v1/telemetry", body, content_type="application/json", headers=headers)


def check_telemetry(client, org, body: bytes, *, gzipped=False):
    integration, token = fresh_token(org)
    before = counts(integration)
    response = post_telemetry(client, token, body, gzipped=gzipped)
    after = counts(integration)
    if response.status_code == 200:
        answer = response.json()
        assert set(answer) == {"accepted", "duplicates"}
        assert after[2] - before[2] == answer["accepted"]
        points = json.loads(body)["points"]
        assert answer["accepted"] + answer["duplicates"] == len(points)
    else:
        assert_clean_error(response)
        assert after == before, "a refused batch stored something"
    return response


@pytest.mark.django_db
@FUZZ
@given(value=json_values)
def test_telemetry_any_json_value(client, org, value):
    body = json.dumps(value).encode()  # NaN and Infinity included, as Python writes them
    check_telemetry(client, org, body)


@pytest.mark.django_db
@FUZZ
@given(body=near_valid_json, gzipped=st.booleans())
# Found by this test (500s before jsonpoints refused them): a time before year 1 or after
# 9999 once in UTC, and a lone surrogate escape, which could not even be quoted in the error.
@example(
    body={"points": [{"metric": "a", "value": 1, "ts": "0001-01-01T00:00:00+01:00"}]}, gzipped=False
)
@example(
    body={"points": [{"metric": "a", "value": 1, "ts": "9999-12-31T23:59:59-01:00"}]}, gzipped=False
)
@example(body={"points": [{"metric": "a\ud800", "value": 1}]}, gzipped=False)
@example(body={"points": [{"metric": "a", "value": 1, "labels": {"\udfff": "v"}}]}, gzipped=False)
def test_telemetry_near_valid_json(client, org, body, gzipped):
    check_telemetry(client, org, json.dumps(body).encode(), gzipped=gzipped)


@pytest.mark.django_db
@FUZZ
@given(body=st.binary(max_size=200))
def test_telemetry_any_bytes(client, org, body):
    check_telemetry(client, org, body)


@pytest.mark.django_db
@FUZZ
@given(body=st.binary(max_size=200), encoding=st.sampled_from(["gzip", "deflate", "x", "GZIP "]))
def test_telemetry_bytes_claiming_an_encoding(client, org, body, encoding):
    integration, token = fresh_token(org)
    before = counts(integration)
    headers = {"Authorization": f"Bearer {token}", "Content-Encoding": encoding}
    response = client.post(
        "/api/v1/telemetry", body, content_type="application/json", headers=headers
    )
    assert_clean_error(response)
    assert counts(integration) == before


# POST /api/v2/write


def check_write(client, org, body: bytes, *, precision=None, gzipped=False):
    integration, token = fresh_token(org)
    before = counts(integration)
    headers = {"Authorization": f"Token {token}"}
    sent = body
    if gzipped:
        sent, headers["Content-Encoding"] = gzip.compress(body), "gzip"
    url = "/api/v2/write" + ("" if precision is None else "?" + _query({"precision": precision}))
    response = client.post(url, sent, content_type="text/plain", headers=headers)
    after = counts(integration)
    if response.status_code == 204:
        assert response.content == b""
        # The parser, as an oracle: every distinct (metric, labels, time) is one stored point
        # (lines without a time share the time of arrival; a later clock accepts all the view
        # accepted).
        now = timezone.now()
        points = lineprotocol.parse(body.decode(), precision=precision or "ns", now=now)
        assert after[2] - before[2] == len({(p[0], p[1], p[2]) for p in points})
    else:
        answer = assert_clean_error(response)
        if "partial write" in answer["message"]:
            # InfluxDB's partial write: exactly the lines the answer does not name are stored.
            lines, _ = lineprotocol.parse_lines(
                body.decode(), precision=precision or "ns", now=timezone.now()
            )
            refused = set(answer["lines"])
            kept = {p[:3] for number, points in lines if number not in refused for p in points}
            assert after[2] - before[2] == len(kept)
        else:
            assert after == before, "a refused batch stored something"
    return response


def _query(params) -> str:
    from urllib.parse import urlencode

    return urlencode(params, doseq=True)


@pytest.mark.django_db
@FUZZ
@given(text=line_bodies, precision=precisions, gzipped=st.booleans())
def test_write_any_text(client, org, text, precision, gzipped):
    check_write(
        client, org, text.encode("utf-8", "surrogatepass"), precision=precision, gzipped=gzipped
    )


@pytest.mark.django_db
@FUZZ
@given(body=st.binary(max_size=200), gzipped=st.booleans())
def test_write_any_bytes(client, org, body, gzipped):
    check_write(client, org, body, gzipped=gzipped)


@pytest.mark.django_db
@FUZZ
@given(body=st.binary(max_size=200))
def test_write_bytes_claiming_gzip(client, org, body):
    """Not gzip at all, truncated gzip, or gzip followed by junk."""
    integration, token = fresh_token(org)
    before = counts(integration)
    headers = {"Authorization": f"Token {token}", "Content-Encoding": "gzip"}
    for sent in (body, gzip.compress(body)[:-3], gzip.compress(body) + body):
        response = client.post("/api/v2/write", sent, content_type="text/plain", headers=headers)
        if response.status_code != 204:
            assert_clean_error(response)
            assert counts(integration) == before, "a refused batch stored something"
        before = counts(integration)


# Hostile bodies: shapes that once cost minutes of a worker (a quadratic step) or its memory,
# or a 500. Each must be answered as above (a success whose rows match, or a clean 4xx and
# nothing stored) well within the guard, which only turns a hang into a failure.

WIDE = 150_000
HOSTILE_LINE_BODIES = {
    "the reported line of 150,000 fields": "m " + ",".join(f"f{i}=1" for i in range(WIDE)),
    "150,000 escaped fields": "m\\ x " + ",".join(f"f{i}=1" for i in range(WIDE)),
    "150,000 string fields": "m " + ",".join(f'f{i}="s"' for i in range(WIDE)),
    "150,000 tags": "m," + ",".join(f"t{i}=v" for i in range(WIDE)) + " f=1",
    "a run of backslashes": "m," + "\\" * 2_000_000 + "=v f=1",
    "a run of backslashes in a string": 'm f="' + "\\" * 2_000_000 + '"',
    "only commas": "m " + "," * 2_000_000,
    "only equals": "m " + "=" * 2_000_000,
    "tags of only commas": "m," + "," * 2_000_000 + " f=1",
    "many lines of many fields": "\n".join(
        f"m,l={i} " + ",".join(f"f{j}={j}" for j in range(500)) for i in range(400)
    ),
    "many lines over the points cap": "\n".join(f"m f={i}" for i in range(300_000)),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", HOSTILE_LINE_BODIES)
def test_write_hostile_bodies_are_answered_at_once(client, org, name):
    with within(15):
        check_write(client, org, HOSTILE_LINE_BODIES[name].encode(), gzipped=True)


def hostile_json_bodies():
    point = {"metric": "temp", "value": 1.5, "labels": {"line": "3"}}
    yield "deep nesting", b'{"points": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    yield "over the points cap", json.dumps({"points": [point] * 100_001}).encode()
    yield "a huge integer", b'{"points": [{"metric": "t", "value": ' + b"9" * 100_000 + b"}]}"
    yield "many huge integers", b'{"points": [' + b",".join([b"1" * 4000] * 2000) + b"]}"
    labels = {f"l{i}": "v" for i in range(100_000)}
    yield "100,000 labels", json.dumps({"points": [{**point, "labels": labels}]}).encode()


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "body"), list(hostile_json_bodies()), ids=lambda x: str(x)[:24])
def test_telemetry_hostile_bodies_are_answered_at_once(client, org, name, body):
    with within(15):
        check_telemetry(client, org, body, gzipped=True)
