"""The HTTP API's read side: series and metrics for members (their session) or a read token
(dashboards such as Grafana), and the OpenAPI document. Errors and view decorators are
`integration.api`'s, shared with ingest.
"""

from __future__ import annotations

import functools
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from django.http import HttpResponse
from django.utils import timezone

from integration import lineprotocol
from integration.api import ApiError, api_view, json_response
from integration.models import Integration, ReadToken
from integration.services import (
    SeriesRefused,
    UnknownMetric,
    telemetry_metrics,
    telemetry_series,
)

OPENAPI_PATH = Path(__file__).with_name("openapi.yaml")


# Reading


def _readable_integration(request, integration_id) -> Integration:
    """The integration a read request may read, else 401 or 404.

    With `Authorization: Bearer <read token>`: only that token's integration (any other is a
    404, as if it did not exist); an ingest token, a revoked or unknown one is a 401. Without
    a Bearer token: the session of a member of the integration's organisation.
    """
    given, _, raw = request.headers.get("Authorization", "").partition(" ")
    token = None
    # Other schemes are left alone: a proxy's Basic auth must not end a member's session access.
    if given.lower() == "bearer":
        token = ReadToken.objects.authenticate(raw.strip(), now=timezone.now())
        if token is None:
            raise ApiError("unauthorized", "unknown or revoked read token", scheme="Bearer")
    elif not request.user.is_authenticated:
        message = "log in first, or send a read token as 'Authorization: Bearer <token>'"
        raise ApiError("unauthorized", message, scheme="Bearer")
    try:  # checked here, not by a <uuid:> converter, so a bad id gets the API's JSON 404
        integration_id = uuid.UUID(integration_id)
    except ValueError:
        raise ApiError("not found", "no such integration") from None
    if token is not None:
        if token.integration_id != integration_id:
            raise ApiError("not found", "no such integration")
        return token.integration
    integration = Integration.objects.for_user(request.user).filter(pk=integration_id).first()
    if integration is None:
        raise ApiError("not found", "no such integration")
    return integration


@api_view("GET", "HEAD")
def series(request, integration_id):
    """A metric's raw points or rollups, for members of the integration's organisation or a
    read token of the integration."""
    integration = _readable_integration(request, integration_id)
    now = timezone.now()
    query = _series_query(request.GET, now)
    try:
        rows = telemetry_series(integration=integration, with_labels=True, **query)
    except UnknownMetric as error:
        raise ApiError("not found", str(error)) from None
    except SeriesRefused as error:
        raise ApiError("invalid", str(error)) from None
    fields = ("time", "value") if query["step"] == "raw" else ("time", "count", "min", "max", "avg")
    answer = {
        "metric": query["metric"],
        "step": query["step"],
        "points": [row[:-1] for row in rows],
        "rows": [{**dict(zip(fields, row, strict=False)), "labels": row[-1]} for row in rows],
    }
    return json_response(answer)


# How many label values (per label name) and label names (per metric) `metrics` lists.
METRICS_MAX_LABEL_VALUES = 100
METRICS_MAX_LABEL_KEYS = 50


@api_view("GET", "HEAD")
def metrics(request, integration_id):
    """The integration's metrics, each with its unit and the label names and values seen."""
    integration = _readable_integration(request, integration_id)
    listed = telemetry_metrics(
        integration=integration,
        max_values=METRICS_MAX_LABEL_VALUES,
        max_keys=METRICS_MAX_LABEL_KEYS,
    )
    return json_response({"integration": str(integration.pk), "metrics": listed})


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


# Epoch milliseconds, as Grafana sends `${__from}` and `${__to}`: exactly 13 digits (2001 to
# 2286; epoch seconds in the accepted range have 9 or 10), or any digits with the suffix "ms".
_EPOCH_MS = re.compile(r"[0-9]{13}|([0-9]{1,20})ms")


def _time_param(params, name: str) -> datetime | None:
    """ISO 8601 with a time zone, epoch seconds (a number), or epoch milliseconds (13 digits,
    or digits ending in "ms")."""
    raw = params.get(name)
    if not raw:
        return None
    millis = _EPOCH_MS.fullmatch(raw)
    try:
        if millis:
            ms = int(millis.group(1) or raw)
            return datetime.fromtimestamp(ms // 1000, UTC) + timedelta(milliseconds=ms % 1000)
        return datetime.fromtimestamp(float(raw), UTC)
    except ValueError:
        if millis:
            raise ApiError("invalid", f"{name} '{raw[:40]}' is out of range") from None
    except (OverflowError, OSError):
        raise ApiError("invalid", f"{name} '{raw[:40]}' is out of range") from None
    try:
        ts = datetime.fromisoformat(raw)
    except ValueError:
        example = "2026-11-25T10:00:00Z"
        message = (
            f"{name} '{raw[:40]}' is not ISO 8601 (e.g. {example}), epoch seconds "
            "or epoch milliseconds (13 digits, or digits ending in ms)"
        )
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
