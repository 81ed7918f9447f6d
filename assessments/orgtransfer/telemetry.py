"""Integrations in the document: metrics, series, rollups, health events, raw points if asked.

Never their ingest tokens. Rollups are copied as they are (not recomputed from points), so the
charts and uptime figures come out the same even where raw points have expired or stay behind.
"""

import uuid
from dataclasses import dataclass, field

from assessments.exchange.validation import shown
from assessments.orgtransfer.checks import checked, entries, fields, moment, number, refuse, saved
from assessments.orgtransfer.references import stamp
from integration.models import (
    HealthEvent,
    HourRollup,
    Integration,
    Metric,
    MinuteRollup,
    Point,
    Series,
)

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
ROLLUP_COLUMNS = ("bucket", "count", "min", "max", "sum", "last", "last_ts")


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
                [stamp(bucket), count, low, high, total, last, stamp(last_ts)]
                for bucket, count, low, high, total, last, last_ts in rows.values_list(
                    *ROLLUP_COLUMNS
                )
            ]
        if with_points:
            points = Point.objects.filter(series=series).order_by("ts")
            item["points"] = [[stamp(ts), value] for ts, value in points.values_list("ts", "value")]
        data["series"].append(item)
    return data


@dataclass
class IntegrationsImported:
    by_name: dict[str, Integration] = field(default_factory=dict)
    new_ids: list[tuple[str, str, str]] = field(default_factory=list)  # name, old id, new id
    points: int = 0
    rollups: int = 0


def integrations_import(*, organization, data: dict) -> IntegrationsImported:
    """The document's integrations stored in `organization`, with their telemetry."""
    done = IntegrationsImported()
    for path, item in entries(data, "integrations"):
        integration = Integration(
            id=_free_id(item, path, done),
            organization=organization,
            **fields(item, path, *INTEGRATION_FIELDS, *STATE_FIELDS),
        )
        if integration.name in done.by_name:
            refuse(f"{path}.name", f"{shown(integration.name)} is there twice")
        saved(integration, path)
        done.by_name[integration.name] = integration
        for metric_path, metric_item in entries(item, "metrics", path):
            metric = saved(
                Metric(integration=integration, **fields(metric_item, metric_path, *METRIC_FIELDS)),
                metric_path,
            )
            for series_path, series_item in entries(metric_item, "series", metric_path):
                series = saved(
                    Series(metric=metric, **fields(series_item, series_path, "labels")),
                    series_path,
                )
                _telemetry_import(series, series_item, series_path, done)
        events = [
            checked(
                HealthEvent(
                    integration=integration,
                    **fields(event, event_path, "previous", "status", "at", "note"),
                ),
                event_path,
            )
            for event_path, event in entries(item, "health_events", path)
        ]
        HealthEvent.objects.bulk_create(events)
    return done


def _free_id(item: dict, path: str, done: IntegrationsImported) -> uuid.UUID:
    """The integration's own id when no integration here has it, else a new one (noted)."""
    (text,) = fields(item, path, "id").values()
    try:
        wanted = uuid.UUID(str(text))
    except ValueError:
        refuse(f"{path}.id", f"{shown(text)} is not a UUID")
    if not Integration.objects.filter(pk=wanted).exists():
        return wanted
    new = uuid.uuid4()
    done.new_ids.append((str(item.get("name")), str(wanted), str(new)))
    return new


def _telemetry_import(series: Series, item: dict, path: str, done: IntegrationsImported):
    for name, model in ROLLUPS.items():
        rows = [
            model(series=series, **_rollup(row, where))
            for where, row in _rows(fields(item, path, name)[name], f"{path}.{name}", 7)
        ]
        model.objects.bulk_create(rows, batch_size=BATCH)
        done.rollups += len(rows)
    points = [
        Point(series=series, ts=moment(ts, f"{where}[0]"), value=number(value, f"{where}[1]"))
        for where, (ts, value) in _rows(item.get("points", []), f"{path}.points", 2)
    ]
    Point.objects.bulk_create(points, batch_size=BATCH)
    done.points += len(points)


def _rollup(row: list, path: str) -> dict:
    bucket, count, low, high, total, last, last_ts = row
    return {
        "bucket": moment(bucket, f"{path}[0]"),
        "count": number(count, f"{path}[1]", whole=True),
        "min": number(low, f"{path}[2]"),
        "max": number(high, f"{path}[3]"),
        "sum": number(total, f"{path}[4]"),
        "last": number(last, f"{path}[5]"),
        "last_ts": moment(last_ts, f"{path}[6]"),
    }


def _rows(rows, path: str, width: int) -> list[tuple[str, list]]:
    """(path, row) for each row of `width` values in the list `rows`."""
    if not isinstance(rows, list):
        refuse(path, "must be a list")
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != width:
            refuse(f"{path}[{i}]", f"must be a list of {width} values")
    return [(f"{path}[{i}]", row) for i, row in enumerate(rows)]
