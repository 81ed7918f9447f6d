"""Integration services: telemetry ingest, reads, retention, and creating integrations.

`from integration.services import telemetry_ingest` etc.; the submodules hold the details.
"""

from integration.services.ingest import (
    BatchTooLarge,
    IngestResult,
    IntegrationPaused,
    InvalidPoint,
    TelemetryRefused,
    TooManyMetrics,
    telemetry_ingest,
    telemetry_ingest_many,
    telemetry_ingest_partial,
    telemetry_ping,
)
from integration.services.integrations import (
    integration_create,
    integration_update,
    read_token_issue,
    read_token_revoke,
    token_issue,
    token_revoke,
)
from integration.services.retention import RetentionReport, telemetry_retention_apply
from integration.services.seenminutes import seen_minutes_fill, seen_minutes_recount
from integration.services.series import (
    STEPS,
    SeriesRefused,
    TooManyRows,
    UnknownMetric,
    telemetry_metrics,
    telemetry_ping_counts,
    telemetry_seen_buckets,
    telemetry_series,
    telemetry_uptime,
    telemetry_uptimes,
)
from integration.services.seriesids import IngestCache, labels_text

__all__ = [
    "STEPS",
    "BatchTooLarge",
    "IngestCache",
    "IngestResult",
    "IntegrationPaused",
    "InvalidPoint",
    "RetentionReport",
    "SeriesRefused",
    "TelemetryRefused",
    "TooManyMetrics",
    "TooManyRows",
    "UnknownMetric",
    "integration_create",
    "integration_update",
    "labels_text",
    "read_token_issue",
    "read_token_revoke",
    "seen_minutes_fill",
    "seen_minutes_recount",
    "telemetry_ingest",
    "telemetry_ingest_many",
    "telemetry_ingest_partial",
    "telemetry_metrics",
    "telemetry_ping",
    "telemetry_ping_counts",
    "telemetry_retention_apply",
    "telemetry_seen_buckets",
    "telemetry_series",
    "telemetry_uptime",
    "telemetry_uptimes",
    "token_issue",
    "token_revoke",
]
