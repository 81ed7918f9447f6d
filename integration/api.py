"""The HTTP API: token-authenticated ingest, the session-authenticated read API, OpenAPI.

Every error is JSON ``{"code": "...", "message": "..."}`` with InfluxDB's codes and statuses:
400 ``invalid``, 401 ``unauthorized``, 404 ``not found``, 405 ``method not allowed``,
409 ``paused`` (the integration is paused: nothing is stored, clients should not retry),
413 ``request too large``, 415 ``unsupported media type``, 422 ``too many metrics`` (the batch
would give the integration more metrics or series than allowed), 429 ``too many requests``
(the token used its rate budget: retry after Retry-After), 503 ``unavailable`` (the database
is down: retry after Retry-After seconds; storage skips repeats). Ingest views only parse and
answer; validation and storage are `integration.services.telemetry_ingest`'s.
"""

from __future__ import annotations

import functools
import logging
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import yaml
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from integration import conf, jsonpoints, lineprotocol, ratelimit
from integration.models import IngestToken, Integration
from integration.services import (
    IntegrationPaused,
    InvalidPoint,
    SeriesRefused,
    TelemetryRefused,
    UnknownMetric,
    telemetry_ingest,
    telemetry_ping,
    telemetry_series,
)

log = logging.getLogger(__name__)
OPENAPI_PATH = Path(__file__).with_name("openapi.yaml")
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
# Concatenated gzip members are legal but rare (clients send one). Each member's leftover input
# is copied by zlib, so without a cap a body of tiny members costs its size squared.
GZIP_MAX_MEMBERS = 16


class ApiError(Exception):
    def __init__(self, code: str, message: str, **extra):
        self.code, self.message, self.extra = code, message, extra
        super().__init__(message)


def error_response(code: str, message: str, **extra) -> HttpResponse:
    scheme = extra.pop("scheme", None)  # for 401: the Authorization scheme expected
    retry_after = extra.pop("retry_after", None)  # for 429 and 503: seconds
    body = orjson.dumps({"code": code, "message": message, **extra})
    response = HttpResponse(body, status=_STATUS[code], content_type="application/json")
    if code == "unauthorized":
        response["WWW-Authenticate"] = scheme or "Token"
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def json_response(data, status: int = 200) -> HttpResponse:
    body = orjson.dumps(data, option=orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC)
    return HttpResponse(body, status=status, content_type="application/json")


def api_view(*methods: str):
    """JSON errors for wrong methods and `ApiError`.

    CSRF-exempt: ingest authenticates with tokens, not cookies, and the session-authenticated
    views only read (GET).
    """

    def decorator(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                response = error_response(
                    "method not allowed", f"use {' or '.join(methods)}, not {request.method}"
                )
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, **kwargs)
            except ApiError as error:
                return error_response(error.code, error.message, **error.extra)
            except (OperationalError, InterfaceError) as error:
                # The database is down or restarting. Nothing of the request was committed, or
                # it was and a retry is skipped as a repeat: either way the client may retry.
                log.warning("api: the database is unavailable: %s", str(error).strip()[:200])
                return error_response(
                    "unavailable",
                    "the database is unavailable: retry",
                    retry_after=RETRY_AFTER_SECONDS,
                )

        return wrapper

    return decorator


def ingest_view(scheme: str):
    """An ingest endpoint: POST with `Authorization: <scheme> <token>`.

    The view gets the token's integration and the time of the request, and may raise
    `TelemetryRefused`; a paused integration is refused before the body is read.
    """

    def decorator(view):
        @api_view("POST")
        @functools.wraps(view)
        def wrapper(request):
            now = timezone.now()
            token = _authenticate(request, scheme, now)
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


def _authenticate(request, scheme: str, now: datetime) -> IngestToken:
    given, _, raw = request.headers.get("Authorization", "").partition(" ")
    if given.lower() != scheme.lower() or not raw.strip():
        raise ApiError(
            "unauthorized",
            f"send the ingest token as the header 'Authorization: {scheme} <token>'",
            scheme=scheme,
        )
    token = IngestToken.objects.authenticate(raw.strip(), now=now)
    if token is None:
        raise ApiError("unauthorized", "unknown or revoked token", scheme=scheme)
    return token


def _read_body(request) -> bytes:
    """The body, gunzipped if sent so; 413 past TELEMETRY_MAX_BODY_BYTES either way."""
    limit = conf.max_body_bytes()
    message = f"the body is over {limit} bytes (after decompression)"
    too_large = ApiError("request too large", message, maxLength=limit)
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        raise ApiError("invalid", "Content-Length is not a number") from None
    if declared > limit:
        raise too_large
    if not declared and "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        # Django reads a body only as long as Content-Length says: refuse, never drop data.
        raise ApiError("invalid", "send the body with a Content-Length, not chunked")
    # Read the stream directly: request.body would stop at DATA_UPLOAD_MAX_MEMORY_SIZE.
    body = request.read(limit + 1)
    if len(body) > limit:
        raise too_large
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding == "gzip":
        return _gunzip(body, limit, too_large)
    if encoding not in ("", "identity"):
        raise ApiError("unsupported media type", f"Content-Encoding '{encoding}': use gzip")
    return body


def _gunzip(data: bytes, limit: int, too_large: ApiError) -> bytes:
    """Decompress every gzip member, never holding more than `limit` + 1 bytes (gzip bombs).

    The cap holds while inflating (zlib's `max_length`), never after.
    """
    out = bytearray()
    members = 0
    try:
        while data:
            members += 1
            if members > GZIP_MAX_MEMBERS:
                raise ApiError("invalid", f"the gzip body has over {GZIP_MAX_MEMBERS} members")
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            out += inflater.decompress(data, limit + 1 - len(out))
            if len(out) > limit or inflater.unconsumed_tail:
                raise too_large
            if not inflater.eof:
                raise ApiError("invalid", "the gzip body is truncated")
            data = inflater.unused_data
    except zlib.error as error:
        raise ApiError("invalid", f"the body is not valid gzip: {error}") from None
    return bytes(out)


def _text(body: bytes) -> str:
    try:
        return body.decode()
    except UnicodeDecodeError as error:
        raise ApiError("invalid", f"the body is not UTF-8 (byte {error.start})") from None


# Ingest


def _charge(request, most_points: int, now) -> int:
    """Charge the token's budget for a body before it is parsed: the most points it can hold.

    At most one batch's worth (the parsers stop past it). `_ingest` settles the charge to the
    real count; a body refused while parsing keeps it, and so does one that never finishes.
    """
    charged = max(0, min(most_points, conf.max_points() + 1))
    ratelimit.spend(request.ingest_token.pk, charged, now)
    return charged


def _ingest(request, integration, points, now, charged: int):
    """Settle the batch's charge to its points (refused ones count too), then store it."""
    ratelimit.spend(request.ingest_token.pk, len(points) - charged, now)
    return telemetry_ingest(integration=integration, points=points, now=now)


@ingest_view("Token")
def write_v2(request, integration, now):
    """InfluxDB v2 `/api/v2/write`: line protocol; `org` and `bucket` are ignored."""
    precision = request.GET.get("precision") or "ns"
    body = _read_body(request)
    charged = _charge(request, body.count(b"="), now)  # each point has an '=' (tags too)
    try:
        points = lineprotocol.parse(
            _text(body),
            precision=precision,
            now=now,
            max_fields=conf.max_line_fields(),
            max_points=conf.max_points(),
        )
    except lineprotocol.TooManyPoints as error:
        raise ApiError("request too large", str(error)) from None
    except lineprotocol.LineProtocolError as error:
        extra = {} if error.line is None else {"line": error.line}
        raise ApiError("invalid", str(error), **extra) from None
    try:
        _ingest(request, integration, points, now, charged)
    except InvalidPoint as invalid:
        # Line numbers are gone after parsing (which checked values and times itself); the
        # metric name finds the line.
        if invalid.field == "metric":
            message = f"metric {invalid.reason}"
        else:
            message = f"{invalid.field} of metric '{invalid.metric[:40]}': {invalid.reason}"
        raise ApiError("invalid", message) from None
    return HttpResponse(status=204)


@ingest_view("Bearer")
def telemetry_v1(request, integration, now):
    """JSON points: answers how many were stored and how many were repeats."""
    body = _read_body(request)
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


# Reading


@api_view("GET", "HEAD")
def series(request, integration_id):
    """A metric's raw points or rollups, for members of the integration's organisation."""
    if not request.user.is_authenticated:
        raise ApiError("unauthorized", "log in first: this API uses the session", scheme="Session")
    try:  # checked here, not by a <uuid:> converter, so a bad id gets the API's JSON 404
        integration_id = uuid.UUID(integration_id)
    except ValueError:
        raise ApiError("not found", "no such integration") from None
    integration = Integration.objects.for_user(request.user).filter(pk=integration_id).first()
    if integration is None:
        raise ApiError("not found", "no such integration")
    now = timezone.now()
    query = _series_query(request.GET, now)
    try:
        rows = telemetry_series(integration=integration, **query)
    except UnknownMetric as error:
        raise ApiError("not found", str(error)) from None
    except SeriesRefused as error:
        raise ApiError("invalid", str(error)) from None
    return json_response({"metric": query["metric"], "step": query["step"], "points": rows})


def _series_query(params, now: datetime) -> dict:
    metric = params.get("metric", "")
    if not metric:
        raise ApiError("invalid", "the metric parameter is required")
    if not metric.isprintable():
        raise ApiError("invalid", "the metric parameter holds control characters")
    end = _bounded(_time_param(params, "end") or now, "end", now)
    start = _bounded(_time_param(params, "start") or end - timedelta(hours=24), "start", now)
    labels = {}
    for pair in params.getlist("label"):
        key, eq, value = pair.partition("=")
        if not key or not eq:
            raise ApiError("invalid", f"label '{pair[:40]}' must be name=value")
        labels[key] = value
    step = params.get("step") or "raw"
    return {"metric": metric, "start": start, "end": end, "step": step, "labels": labels}


def _bounded(value: datetime, name: str, now: datetime) -> datetime:
    # Telemetry is refused before 2000 and after now + 10 min, so nothing lies outside these
    # bounds; keeping to them keeps date arithmetic and the databases' time zones in range.
    if not lineprotocol.EARLIEST <= value <= now + timedelta(days=366):
        raise ApiError("invalid", f"{name} must lie between 2000 and a year from now")
    return value


def _time_param(params, name: str) -> datetime | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        return datetime.fromtimestamp(float(raw), UTC)
    except ValueError:
        pass
    except (OverflowError, OSError):
        raise ApiError("invalid", f"{name} '{raw[:40]}' is out of range") from None
    try:
        ts = datetime.fromisoformat(raw)
    except ValueError:
        example = "2026-11-25T10:00:00Z"
        message = f"{name} '{raw[:40]}' is not ISO 8601 (e.g. {example}) or epoch seconds"
        raise ApiError("invalid", message) from None
    if ts.tzinfo is None:
        raise ApiError("invalid", f"{name} '{raw[:40]}' needs a time zone, e.g. Z for UTC")
    return ts


# The document


@functools.cache
def _openapi() -> dict:
    return yaml.safe_load(OPENAPI_PATH.read_text())


@api_view("GET", "HEAD")
def openapi_json(request):
    return json_response(_openapi())


@api_view("GET", "HEAD")
def openapi_yaml(request):
    return HttpResponse(OPENAPI_PATH.read_bytes(), content_type="application/yaml")
