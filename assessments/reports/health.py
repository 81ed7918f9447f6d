"""Integration health for a report: one row per integration, with a sparkline of its metric."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from assessments.charts.svg.roadmap import sparkline
from integration.models import RESERVED_PREFIX, Integration
from integration.services.health import format_share, health_figures
from integration.services.series import SeriesRefused, telemetry_series

SPARKLINE_WINDOW = timedelta(days=7)


@dataclass
class IntegrationRow:
    name: str
    systems: str
    status: str
    freshness: str
    uptime: dict[str, str]
    error_rate: str
    processes: list[str]
    metric: str
    sparkline: str
    span: str  # the sparkline's range, e.g. "12.1 – 48.0 mm/s"


def integration_rows(org, linked: dict, now: datetime) -> list[IntegrationRow]:
    rows = []
    integrations = Integration.objects.filter(organization=org).prefetch_related("metrics")
    for integration in integrations:
        health = health_figures(integration=integration, now=now)
        metric = next(
            (m for m in integration.metrics.all() if not m.name.startswith(RESERVED_PREFIX)), None
        )
        line, span, metric_label = sparkline([]), "no data", "no metric yet"
        if metric is not None:
            metric_label = metric.name
            values = _hourly_means(integration, metric.name, now)
            known = [v for v in values if v is not None]
            line = sparkline(values)
            if known:
                unit = f" {metric.unit}" if metric.unit else ""
                span = f"{min(known):.4g} – {max(known):.4g}{unit}"
        systems = " → ".join(s for s in (integration.source_system, integration.target_system) if s)
        rows.append(
            IntegrationRow(
                name=integration.name,
                systems=systems,
                status=str(health.status),
                freshness=health.freshness_display,
                uptime=health.uptime_display,
                error_rate=format_share(health.error_rate),
                processes=linked.get(integration.pk, []),
                metric=metric_label,
                sparkline=line,
                span=span,
            )
        )
    return rows


def _hourly_means(integration, metric: str, now: datetime) -> list[float | None]:
    """The metric's hourly means over the sparkline window, None for hours without data."""
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - SPARKLINE_WINDOW
    try:
        rows = telemetry_series(
            integration=integration, metric=metric, start=start, end=end, step="1h"
        )
    except SeriesRefused:
        return []
    by_hour = {bucket: avg for bucket, _count, _low, _high, avg in rows}
    hours = int(SPARKLINE_WINDOW.total_seconds() // 3600)
    return [by_hour.get(start + timedelta(hours=h)) for h in range(hours)]
