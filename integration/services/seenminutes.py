"""Filling in `SeenMinutes` from minute rollups written without it.

Ingest writes the minutes itself (`storage.points_write`, in the statement of the rollups);
this is for rollups that came another way: an imported organisation, those stored before the
table existed (migration 0017 keeps its own copy of this SQL) or by processes still running
the code from before it (`manage.py telemetry_seen_minutes`). The minute's bit and the hour
are computed as ingest computes them (`storage`).
"""

from __future__ import annotations

from django.db import connection

from integration.services.storage import _MINUTE_BITS, _ORIGIN, _sqlite_text

__all__ = ["seen_minutes_fill"]

_FILL = """
INSERT INTO integration_seenminutes AS t (integration_id, hour, minutes)
SELECT m.integration_id, {hour}, {bits}
FROM integration_minuterollup r
JOIN integration_series s ON s.id = r.series_id
JOIN integration_metric m ON m.id = s.metric_id
JOIN integration_integration i ON i.id = m.integration_id
WHERE {where}
GROUP BY 1, 2 ORDER BY 1, 2
ON CONFLICT (integration_id, hour) DO UPDATE SET minutes = t.minutes | excluded.minutes
WHERE t.minutes | excluded.minutes <> t.minutes
"""
_FILL_HOUR_BITS = {
    "postgresql": (f"date_bin('1 hour', r.bucket, {_ORIGIN})", _MINUTE_BITS.format("r.bucket")),
    # Django's SQLite text: 'YYYY-MM-DD HH:MM:SS[.ffffff]', UTC.
    "sqlite": (
        "substr(r.bucket, 1, 13) || ':00:00'",
        "sum(DISTINCT 1 << CAST(substr(r.bucket, 15, 2) AS INTEGER))",
    ),
}


def seen_minutes_fill(*, organization=None, integration=None, since=None) -> None:
    """OR into `SeenMinutes` the minutes the minute rollups have: of the organisation's or
    the one integration's (all when neither), from `since` on (all when None). For rollups
    written other than by `points_write`: an imported organisation, those stored before the
    table existed or by processes still running the code from before it.

    Adds minutes, never takes any away, and takes its rows in ingest's order (integration,
    hour), so it is safe while ingest runs; but ingest of an integration it has passed waits
    until it commits, so fill a live install one integration at a time
    (`manage.py telemetry_seen_minutes`)."""
    sqlite = connection.vendor == "sqlite"
    where, params = ["TRUE"], {}
    if organization is not None:
        where.append("i.organization_id = %(organization)s")
        params["organization"] = organization.pk
    if integration is not None:
        where.append("m.integration_id = %(integration)s")
        params["integration"] = integration.pk.hex if sqlite else integration.pk
    if since is not None:
        where.append("r.bucket >= %(since)s")
        params["since"] = _sqlite_text(since) if sqlite else since
    hour, bits = _FILL_HOUR_BITS[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(_FILL.format(hour=hour, bits=bits, where=" AND ".join(where)), params)
