"""Filling in `SeenMinutes` from minute rollups written without it.

Ingest writes the minutes itself (`storage.points_write`, in the statement of the rollups);
this is for rollups that came another way: an imported organisation, those stored before the
table existed (migration 0017 keeps its own copy of this SQL) or by processes still running
the code from before it (`manage.py telemetry_seen_minutes`). The minute's bit and the hour
are computed as ingest computes them (`storage`).
"""

from __future__ import annotations

from datetime import UTC

from django.db import connection, transaction

from integration.services.storage import _MINUTE_BITS, _MINUTE_SUM, _ORIGIN, ON_TIME, _sqlite_text

__all__ = ["seen_minutes_fill", "seen_minutes_recount"]

_FILL = """
INSERT INTO integration_seenminutes AS t (integration_id, hour, minutes, on_time, arrived)
SELECT m.integration_id, {hour}, {bits}, {on_time}, max(coalesce(r.first_arrival, r.bucket))
FROM integration_minuterollup r
JOIN integration_series s ON s.id = r.series_id
JOIN integration_metric m ON m.id = s.metric_id
JOIN integration_integration i ON i.id = m.integration_id
WHERE {where}
GROUP BY 1, 2 ORDER BY 1, 2
ON CONFLICT (integration_id, hour) DO UPDATE SET
    minutes = t.minutes | excluded.minutes,
    on_time = t.on_time | excluded.on_time,
    arrived = {latest}
WHERE t.minutes | excluded.minutes <> t.minutes OR t.on_time | excluded.on_time <> t.on_time
    OR t.arrived IS NULL OR excluded.arrived > t.arrived
"""
# A minute is on time when one of its rollups first arrived by `ON_TIME` after its start (a
# row stored before arrivals were kept: at its start); `arrived` is bounded by the latest
# first arrival, so a check judged before it reads the rollups instead.
_FILL_SQL = {
    "postgresql": {
        "hour": f"date_bin('1 hour', r.bucket, {_ORIGIN})",
        "bits": _MINUTE_BITS.format("r.bucket"),
        "on_time": f"coalesce({_MINUTE_SUM.format('r.bucket')} FILTER (WHERE coalesce("
        f"r.first_arrival, r.bucket) <= r.bucket + interval '{ON_TIME.total_seconds():.0f} s'), "
        "0)::int8",
        "latest": "greatest(t.arrived, excluded.arrived)",
    },
    # Django's SQLite text: 'YYYY-MM-DD HH:MM:SS[.ffffff]', UTC, compared as text.
    "sqlite": {
        "hour": "substr(r.bucket, 1, 13) || ':00:00'",
        "bits": "sum(DISTINCT 1 << CAST(substr(r.bucket, 15, 2) AS INTEGER))",
        "on_time": "sum(DISTINCT CASE WHEN coalesce(r.first_arrival, r.bucket) <= datetime("
        f"r.bucket, '+{ON_TIME.total_seconds():.0f} seconds') "
        "THEN 1 << CAST(substr(r.bucket, 15, 2) AS INTEGER) ELSE 0 END)",
        "latest": "max(coalesce(t.arrived, excluded.arrived), excluded.arrived)",
    },
}


def seen_minutes_fill(*, organization=None, integration=None, since=None) -> None:
    """OR into `SeenMinutes` the minutes (and the on-time ones) the minute rollups have: of the
    organisation's or the one integration's (all when neither), from `since` on (all when
    None). For rollups written other than by `points_write`: an imported organisation, those
    stored before the table existed or by processes still running the code from before it.

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
    if since is not None:  # from its hour: `arrived` is of the whole hour's rollups
        since = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        where.append("r.bucket >= %(since)s")
        params["since"] = _sqlite_text(since) if sqlite else since
    sql = _FILL.format(**_FILL_SQL[connection.vendor], where=" AND ".join(where))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def seen_minutes_recount(integration) -> None:
    """Count `integration`'s `SeenMinutes` again from its minute rollups alone: after one of
    its metrics was deleted (with its rollups), so that uptime and uptime checks no longer
    count that metric's minutes, as the rollups no longer hold them."""
    from integration.models import SeenMinutes

    with transaction.atomic():
        SeenMinutes.objects.filter(integration=integration).delete()
        seen_minutes_fill(integration=integration)
