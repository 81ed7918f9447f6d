"""The HTTP API's ingest side and what every endpoint shares: token-authenticated writes (JSON,
InfluxDB 2.x and 1.x line protocol, heartbeats), InfluxDB's probes, the errors and the view
decorators. The read side (series, metrics, the OpenAPI document) is `integration.api_read`.

Every error is JSON ``{"code": "...", "message": "..."}`` with InfluxDB's codes and statuses:
400 ``invalid``, 401 ``unauthorized``, 404 ``not found``, 405 ``method not allowed``,
409 ``paused`` (the integration is paused: nothing is stored, clients should not retry),
413 ``request too large``, 415 ``unsupported media type``, 422 ``too many metrics`` (the batch
would give the integration more metrics or series than allowed), 429 ``too many requests``
(the token used its rate budget: retry after Retry-After), 503 ``unavailable`` (the database
is down: retry after Retry-After seconds; storage skips repeats). Ingest views only parse and
answer; validation and storage are `integration.services.telemetry_ingest`'s.

Reading a request's body (its cap, chunks and gzip) is `integration.api_body`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
import threading
import time
from datetime import datetime
from typing import NamedTuple

import orjson
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from integration import conf, jsonpoints, lineprotocol, ratelimit
from integration.api_body import ApiError, body_text, read_body
from integration.models import IngestToken
from integration.services import (
    IntegrationPaused,
    InvalidPoint,
    TelemetryRefused,
    telemetry_ingest,
    telemetry_ingest_partial,
    telemetry_ping,
)
from integration.services.seriesids import IngestCache

log = logging.getLogger(__name__)
_STATUS = {
    "invalid": 400,
    "unauthorized": 401,
    "not found": 404,
    "method not allowed": 405,
    "paused": 409,
    "request too large": 413,
    "unsupported media type": 415,
    "too many metrics": 422,
    "too many requests": 429,
    "unavailable": 503,
}
RETRY_AFTER_SECONDS = 5  # what a 503 asks clients to wait
# What /ping and every InfluxDB-compatible answer say they are: the 2.x API, which serves 1.x's
# /write too. Clients read it (the 1.x client's ping() returns it) but none needs more.
INFLUXDB_VERSION = "2.7.0"
# InfluxDB 1.x's precision names (and the 2.x ones, which 1.x also takes) to the parser's.
INFLUX_V1_PRECISIONS = {
    "n": "ns", "ns": "ns", "u": "us", "us": "us", "ms": "ms", "s": "s", "m": "m", "h": "h",
}  # fmt: skip


def error_response(code: str, message: str, **extra) -> HttpResponse:
    scheme = extra.pop("scheme", None)  # for 401: the Authorization scheme expected
    retry_after = extra.pop("retry_after", None)  # for 429 and 503: seconds
    body = orjson.dumps({"code": code, "message": message, **extra})
    return _error(body, code, scheme or "Token", retry_after)


def influx_v1_error_response(code: str, message: str, **extra) -> HttpResponse:
    """InfluxDB 1.x's shape, ``{"error": "..."}``, with the same statuses as `error_response`."""
    body = orjson.dumps({"error": message})
    response = _error(body, code, 'Basic realm="InfluxDB"', extra.get("retry_after"))
    return influx_headers(response)


def _error(body: bytes, code: str, scheme: str, retry_after: int | None) -> HttpResponse:
    response = HttpResponse(body, status=_STATUS[code], content_type="application/json")
    if code == "unauthorized":
        response["WWW-Authenticate"] = scheme
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def influx_headers(response: HttpResponse) -> HttpResponse:
    """The headers InfluxDB sends with every answer, which its clients read (`ping()`)."""
    response["X-Influxdb-Version"] = INFLUXDB_VERSION
    response["X-Influxdb-Build"] = "OSS"
    return response


def json_response(data, status: int = 200) -> HttpResponse:
    body = orjson.dumps(data, option=orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC)
    return HttpResponse(body, status=status, content_type="application/json")


def api_view(*methods: str, errors=error_response):
    """JSON errors (shaped by `errors`) for wrong methods and `ApiError`.

    CSRF-exempt: ingest authenticates with tokens, not cookies, and the session-authenticated
    views only read (GET).
    """

    def decorator(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                response = errors(
                    "method not allowed", f"use {' or '.join(methods)}, not {request.method}"
                )
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, **kwargs)
            except ApiError as error:
                return errors(error.code, error.message, **error.extra)
            except (OperationalError, InterfaceError) as error:
                # The database is down or restarting. Nothing of the request was committed, or
                # it was and a retry is skipped as a repeat: either way the client may retry.
                log.warning("api: the database is unavailable: %s", str(error).strip()[:200])
                return errors(
                    "unavailable",
                    "the database is unavailable: retry",
                    retry_after=RETRY_AFTER_SECONDS,
                )

        return wrapper

    return decorator


def ingest_view(scheme: str, *, influx_v1: bool = False):
    """An ingest endpoint: POST with `Authorization: <scheme> <token>`.

    With `influx_v1`, InfluxDB 1.x's ways to send the token too (`_influx_v1_token`) and its
    error shape. The view gets the token's integration and the time of the request, and may
    raise `TelemetryRefused`; a paused integration is refused before the body is read.
    """

    def decorator(view):
        @api_view("POST", errors=influx_v1_error_response if influx_v1 else error_response)
        @functools.wraps(view)
        def wrapper(request):
            now = timezone.now()
            # The ingest generation read first: a token revoked or an integration paused a
            # moment ago is not taken from this worker's cache (`IngestCache`).
            series_cache().check()
            token = _authenticate(request, scheme, now, influx_v1=influx_v1)
            if token.integration.paused:  # before reading a body that would be refused anyway
                raise ApiError("paused", str(IntegrationPaused(token.integration)))
            wait = ratelimit.retry_after(token.pk, now)
            if wait is not None:
                message = (
                    f"this token sent over {conf.rate_points()} points in "
                    f"{conf.rate_window()} s: retry after {wait} s"
                )
                raise ApiError("too many requests", message, retry_after=wait)
            request.ingest_token = token
            try:
                return view(request, token.integration, now)
            except TelemetryRefused as refused:
                raise ApiError(refused.code, str(refused)) from None

        return wrapper

    return decorator


def _authenticate(request, scheme: str, now: datetime, *, influx_v1: bool) -> IngestToken:
    if influx_v1:
        raw = _influx_v1_token(request)
        missing = (
            "send the ingest token as the password (Basic auth or the p parameter) "
            "or as the header 'Authorization: Token <token>'"
        )
    else:
        given, _, raw = request.headers.get("Authorization", "").partition(" ")
        raw = raw.strip() if given.lower() == scheme.lower() else ""
        missing = f"send the ingest token as the header 'Authorization: {scheme} <token>'"
    if not raw:
        raise ApiError("unauthorized", missing, scheme=scheme)
    token = IngestToken.objects.authenticate(raw, now=now, cache=series_cache())
    if token is None:
        raise ApiError("unauthorized", "unknown or revoked token", scheme=scheme)
    return token


def _influx_v1_token(request) -> str:
    """The token as InfluxDB 1.x clients send a password: the `p` query parameter, Basic auth
    (any user name), or `Authorization: Token` / `Bearer`; "" when there is none."""
    if request.GET.get("p"):
        return request.GET["p"].strip()
    given, _, raw = request.headers.get("Authorization", "").partition(" ")
    given, raw = given.lower(), raw.strip()
    if given in ("token", "bearer"):
        return raw
    if given == "basic":
        try:
            return base64.b64decode(raw, validate=True).decode().partition(":")[2].strip()
        except (binascii.Error, UnicodeDecodeError):
            return ""
    return ""


# Ingest


def _charge(request, most_points: int, now) -> int:
    """Charge the token's budget for a body before it is parsed: the most points it can hold.

    At most one batch's worth (the parsers stop past it). `_ingest` settles the charge to the
    real count; a body refused while parsing keeps it, and so does one that never finishes.
    """
    charged = max(0, min(most_points, conf.max_points() + 1))
    ratelimit.spend(request.ingest_token.pk, charged, now)
    return charged


# Series ids and tokens this worker thread has looked up, kept across requests as the MQTT
# listener keeps its series (`IngestCache`: checked against the ingest generation at the start
# of each request, so a pause, a deletion, a rename or a revoked token counts from the next
# one). Saves the token's and the series' queries of each request. One per thread: a cache is
# not safe to share (gunicorn --threads).
_SERIES_CACHES = threading.local()
# Checked with the token; again before storing if the body took longer than this to arrive,
# so that a metric renamed or deleted meanwhile is not written with its old series id.
RECHECK_AFTER = 1.0  # seconds


def series_cache() -> IngestCache:
    """This thread's cache of series ids."""
    cache = getattr(_SERIES_CACHES, "cache", None)
    if cache is None:
        cache = _SERIES_CACHES.cache = IngestCache()
    return cache


def _ingest(request, integration, points, now, charged: int):
    """Settle the batch's charge to its points (refused ones count too), then store it."""
    ratelimit.spend(request.ingest_token.pk, len(points) - charged, now)
    cache = series_cache()
    if time.monotonic() - cache.checked > RECHECK_AFTER:  # a slow upload: read it again
        cache.check()
    return telemetry_ingest(integration=integration, points=points, now=now, cache=cache)


@ingest_view("Token")
def write_v2(request, integration, now):
    """InfluxDB v2 `/api/v2/write`: line protocol; `org` and `bucket` are ignored."""
    precision = request.GET.get("precision") or "ns"
    if precision not in lineprotocol.PRECISIONS:
        raise ApiError("invalid", f"invalid precision '{precision[:40]}': use ns, us, ms or s")
    refused = _write_lines(request, integration, now, precision)
    if refused:
        raise ApiError("invalid", refused.message, line=refused.lines[0], lines=refused.lines)
    return HttpResponse(status=204)


@ingest_view("Token", influx_v1=True)
def write_v1(request, integration, now):
    """InfluxDB 1.x `/write`: line protocol; `db`, `rp` and `consistency` are ignored."""
    raw = request.GET.get("precision") or "n"
    precision = INFLUX_V1_PRECISIONS.get(raw)
    if precision is None:
        shown = ", ".join(INFLUX_V1_PRECISIONS)
        raise ApiError("invalid", f"invalid precision '{raw[:40]}': use {shown}")
    refused = _write_lines(request, integration, now, precision)
    if refused:
        raise ApiError("invalid", refused.message)
    return influx_headers(HttpResponse(status=204))


class _RefusedLines(NamedTuple):
    lines: list[int]  # the refused lines' numbers, in order
    message: str


def _write_lines(request, integration, now, precision: str) -> _RefusedLines | None:
    """Store a line protocol body as InfluxDB does: the good lines, whatever the bad ones.

    Returns the refused lines (None when there are none). One pass stores a body without bad
    lines; a body with some is parsed again line by line and its good lines stored
    (`telemetry_ingest_partial`). The limits still refuse a body whole, and so do more than
    `lineprotocol.MAX_REFUSED_LINES` bad lines.
    """
    body = read_body(request)
    charged = _charge(request, body.count(b"="), now)  # each point has an '=' (tags too)
    text = body_text(body)
    options = {
        "precision": precision,
        "now": now,
        "max_fields": conf.max_line_fields(),
        "max_points": conf.max_points(),
    }
    try:
        points = lineprotocol.parse(text, **options)
    except lineprotocol.TooManyPoints as error:
        raise ApiError("request too large", str(error)) from None
    except lineprotocol.LineProtocolError:
        points = None  # some line is bad: store the others
    if points is not None:
        try:
            _ingest(request, integration, points, now, charged)
            return None
        except InvalidPoint:  # a point the service refuses: store the other lines
            charged = len(points)  # what _ingest settled the charge to
    try:
        lines, refused = lineprotocol.parse_lines(text, **options)
    except lineprotocol.TooManyPoints as error:
        raise ApiError("request too large", str(error)) from None
    except lineprotocol.LineProtocolError as error:  # too many bad lines: refused whole
        extra = {} if error.line is None else {"line": error.line}
        raise ApiError("invalid", str(error), **extra) from None
    groups = [points for _, points in lines]
    ratelimit.spend(request.ingest_token.pk, sum(map(len, groups)) - charged, now)
    _, invalid = telemetry_ingest_partial(integration=integration, groups=groups, now=now)
    reasons = {error.line: error.reason for error in refused}
    for index, error in invalid.items():
        reasons[lines[index][0]] = _invalid_point_reason(error)
    numbers = sorted(reasons)
    named = "; ".join(f"line {number}: {reasons[number]}" for number in numbers)
    total = len(lines) + len(refused)
    if len(numbers) < total:
        named = f"partial write: {len(numbers)} of {total} lines refused, the rest stored: {named}"
    return _RefusedLines(numbers, named)


def _invalid_point_reason(invalid: InvalidPoint) -> str:
    if invalid.field == "metric":
        return f"metric {invalid.reason}"
    return f"{invalid.field} of metric '{invalid.metric[:40]}': {invalid.reason}"


@ingest_view("Bearer")
def telemetry_v1(request, integration, now):
    """JSON points: answers how many were stored and how many were repeats."""
    body = read_body(request)
    # Each point is an object, within the body's: at most one '{' fewer than the body has.
    charged = _charge(request, body.count(b"{") - 1, now)
    try:
        points = jsonpoints.parse(body, now=now, max_points=conf.max_points())
    except jsonpoints.TooManyPoints as error:
        raise ApiError("request too large", str(error)) from None
    except jsonpoints.JsonPointsError as error:
        extra = {"point": error.index, "field": error.field}
        extra = {key: value for key, value in extra.items() if value is not None}
        raise ApiError("invalid", str(error), **extra) from None
    try:
        result = _ingest(request, integration, points, now, charged)
    except InvalidPoint as invalid:
        raise ApiError("invalid", str(invalid), point=invalid.index, field=invalid.field) from None
    return json_response({"accepted": result.accepted, "duplicates": result.duplicates})


@ingest_view("Bearer")
def ping(request, integration, now):
    result = telemetry_ping(integration=integration, now=now)
    return json_response({"accepted": result.accepted, "duplicates": result.duplicates})


@ingest_view("Bearer")
def ping_fail(request, integration, now):
    result = telemetry_ping(integration=integration, now=now, failed=True)
    return json_response({"accepted": result.accepted, "duplicates": result.duplicates})


# InfluxDB's unauthenticated probes: they say the server is up, and nothing of any organisation.


@api_view("GET", "HEAD")
def influx_ping(request):
    """InfluxDB's `/ping` (1.x and 2.x): 204 with the version headers."""
    return influx_headers(HttpResponse(status=204))


@api_view("GET", "HEAD")
def influx_health(request):
    """InfluxDB's `/health`, in the shape both 1.8 and 2.x answer."""
    health = {
        "name": "influxdb",
        "message": "ready for queries and writes",
        "status": "pass",
        "checks": [],
        "version": INFLUXDB_VERSION,
        "commit": "ladder",
    }
    return influx_headers(json_response(health))
