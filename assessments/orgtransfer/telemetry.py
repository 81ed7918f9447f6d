"""Integrations in the document: metrics, series, rollups, health events, raw points if asked.

Never their ingest tokens. Rollups are copied as they are (not recomputed from points), so the
charts and uptime figures come out the same even where raw points have expired or stay behind;
the minutes uptime counts (`SeenMinutes`) are derived from the minute rollups on import.
"""

import uuid
from dataclasses import dataclass, field

from assessments.exchange.validation import shown
from assessments.orgtransfer.checks import checked, refuse, saved
from assessments.orgtransfer.document import IntegrationEntry, SeriesEntry
from assessments.orgtransfer.references import stamp
from integration.models import (
    QUALITY_CODES,
    HealthEvent,
    HourRollup,
    Integration,
    Metric,
    MinuteRollup,
    Point,
    Series,
)
from integration.services import seen_minutes_fill

BATCH = 2000
INTEGRATION_FIELDS = (
    "name",
    "description",
    "source_system",
    "target_system",
    "interval_seconds",
    "grace_seconds",
    "paused",
)
STATE_FIELDS = ("created", "last_seen", "last_failed", "last_status", "last_status_at")
METRIC_FIELDS = ("name", "unit", "expected_min", "expected_max", "created")
ROLLUPS = {"minute_rollups": MinuteRollup, "hour_rollups": HourRollup}
ROLLUP_COLUMNS = (
    *("bucket", "count", "min", "max", "sum", "last", "last_ts", "uncertain", "bad"),
    *("first_arrival", "last_arrival"),
)
_COUNTS = ("count", "uncertain", "bad")
QUALITY_NAMES = {code: name for name, code in QUALITY_CODES.items()}


def integrations_export(*, organization, with_points: bool) -> list[dict]:
    """Every integration of `organization`, by name, with its telemetry rollups."""
    return [
        {
            "id": str(integration.pk),
            **{name: getattr(integration, name) for name in INTEGRATION_FIELDS},
            # The health caches, so status, freshness and uptime read the same at once.
            **{name: _plain(getattr(integration, name)) for name in STATE_FIELDS},
            "metrics": [
                _metric_export(metric, with_points)
                for metric in integration.metrics.order_by("name")
            ],
            "health_events": [
                {"previous": e.previous, "status": e.status, "at": stamp(e.at), "note": e.note}
                for e in integration.health_events.order_by("at", "id")
            ],
        }
        for integration in organization.integrations.order_by("name")
    ]


def _plain(value):
    return value if isinstance(value, str) else stamp(value)


def _metric_export(metric: Metric, with_points: bool) -> dict:
    data = {name: getattr(metric, name) for name in METRIC_FIELDS}
    data["created"] = stamp(metric.created)
    data["series"] = []
    for series in metric.series.order_by("labels"):
        item = {"labels": series.labels}
        for name, model in ROLLUPS.items():
            rows = model.objects.filter(series=series).order_by("bucket")
            item[name] = [
                [
                    stamp(bucket),
                    *values,
                    stamp(last_ts),
                    uncertain,
                    bad,
                    stamp(first),
                    stamp(latest),
                ]
                for bucket, *values, last_ts, uncertain, bad, first, latest in (
                    rows.values_list(*ROLLUP_COLUMNS)
                )
            ]
        if with_points:
            points = Point.objects.filter(series=series).order_by("ts")
            item["points"] = [
                [stamp(ts), value, QUALITY_NAMES.get(code)]
                for ts, value, code in points.values_list("ts", "value", "quality")
            ]
        data["series"].append(item)
    return data


@dataclass
class IntegrationsImported:
    by_name: dict[str, Integration] = field(default_factory=dict)
    new_ids: list[tuple[str, str, str]] = field(default_factory=list)  # name, old id, new id
    points: int = 0
    rollups: int = 0


def integrations_import(*, organization, integrations: list[IntegrationEntry]):
    """The document's integrations stored in `organization`, with their telemetry."""
    done = IntegrationsImported()
    for i, item in enumerate(integrations):
        path = f"integrations[{i}]"
        integration = Integration(
            id=_free_id(item, path, done),
            organization=organization,
            **item.values("id", "metrics", "health_events"),
        )
        if integration.name in done.by_name:
            refuse(f"{path}.name", f"{shown(integration.name)} is there twice")
        saved(integration, path)
        done.by_name[integration.name] = integration
        for j, metric_item in enumerate(item.metrics):
            metric_path = f"{path}.metrics[{j}]"
            metric = saved(
                Metric(integration=integration, **metric_item.values("series")), metric_path
            )
            for k, series_item in enumerate(metric_item.series):
                series_path = f"{metric_path}.series[{k}]"
                series = saved(Series(metric=metric, labels=series_item.labels), series_path)
                _telemetry_import(series, series_item, done, series_path)
        events = [
            checked(
                HealthEvent(integration=integration, **event.values()), f"{path}.health_events[{j}]"
            )
            for j, event in enumerate(item.health_events)
        ]
        HealthEvent.objects.bulk_create(events)
    seen_minutes_fill(organization=organization)
    return done


def _free_id(item: IntegrationEntry, path: str, done: IntegrationsImported) -> uuid.UUID:
    """The integration's own id when no integration here has it, else a new one (noted)."""
    try:
        wanted = uuid.UUID(item.id)
    except (TypeError, ValueError, AttributeError):
        refuse(f"{path}.id", f"{shown(item.id)} is not a UUID")
    if not Integration.objects.filter(pk=wanted).exists():
        return wanted
    new = uuid.uuid4()
    done.new_ids.append((str(item.name), str(wanted), str(new)))
    return new


def _telemetry_import(series: Series, item: SeriesEntry, done: IntegrationsImported, path: str):
    """Rollups and points as the document has them: their values were checked as it was read,
    and here whether each rollup's counts add up (health reads them as shares)."""
    for name, model in ROLLUPS.items():
        for i, row in enumerate(getattr(item, name)):
            count, uncertain, bad = (row[ROLLUP_COLUMNS.index(c)] for c in _COUNTS)
            if uncertain + bad > count:
                problem = f"{uncertain} uncertain and {bad} bad readings of only {count}"
                refuse(f"{path}.{name}[{i}]", problem)
        rows = [
            model(series=series, **dict(zip(ROLLUP_COLUMNS, row, strict=True)))
            for row in getattr(item, name)
        ]
        model.objects.bulk_create(rows, batch_size=BATCH)
        done.rollups += len(rows)
    points = [
        Point(series=series, ts=ts, value=value, quality=QUALITY_CODES.get(quality))
        for ts, value, quality in item.points
    ]
    Point.objects.bulk_create(points, batch_size=BATCH)
    done.points += len(points)
