"""The demo organisations' integrations, with a week of history, and what the simulator feeds.

`demo_integrations_create(orgs)` (called by `manage.py seed_demo`) creates, for Acme, four
integrations of its plants and warehouse (one of them flaky) and a dead historian export, and
for Northwind three store and distribution-centre flows; each with its metrics (unit, expected
range) and a week of history written through the ingest service, so charts and uptime figures
look real at once. Run again, it creates nothing twice and only fills the time since the last
point. `manage.py simulate_telemetry` then keeps the live ones reporting.

Which demo processes each integration serves is the assessments demo's business
(`assessments.demo_data.DEMO_LINKS`): integration/ knows nothing of processes. The integrations
themselves, as data, are in `integration.demo_specs`.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Organization
from integration import conf
from integration.demo_specs import (
    DEAD,
    DEMO_INTEGRATIONS,
    FLAKY,
    HEALTHY,
    DemoIntegration,
)
from integration.models import HourRollup, IngestToken, Integration, Metric, MinuteRollup
from integration.services import (
    integration_create,
    seen_minutes_recount,
    telemetry_ingest,
    telemetry_ping,
)
from integration.simulator.feeds import history
from integration.simulator.signals import EPOCH

__all__ = [
    "DEAD",
    "DEAD_SINCE",
    "DEMO_INTEGRATIONS",
    "FLAKY",
    "HEALTHY",
    "HISTORY",
    "SIMULATOR_TOKEN_NAME",
    "DemoIntegration",
    "demo_feeds",
    "demo_integrations_create",
    "demo_simulator_tokens",
]

HISTORY = timedelta(days=7)
DEAD_SINCE = timedelta(days=3)  # the dead integration's last point is this old
SIMULATOR_TOKEN_NAME = "simulator"
_BATCH = 20_000  # points per ingest call while backfilling


def demo_integrations_create(
    orgs: dict[str, Organization],
    *,
    now: datetime | None = None,
    history: timedelta = HISTORY,
) -> dict[str, Integration]:
    """Create the demo integrations of `orgs` (by slug) with a week of history; idempotent.

    An integration that exists (same organisation and name) is kept as it is; its history is
    only extended from its last point to `now` (the dead one's up to 3 days before `now`).
    `history` shortens the week (tests). Returns the integrations by name.
    """
    now = now or timezone.now()
    created = {}
    for spec in DEMO_INTEGRATIONS:
        org = orgs.get(spec.org)
        if org is None:
            continue
        integration = _integration(org, spec, now - history)
        _backfill(integration, spec, now, history)
        created[spec.name] = integration
    return created


@transaction.atomic
def _integration(org: Organization, spec: DemoIntegration, start: datetime) -> Integration:
    integration = Integration.objects.filter(organization=org, name=spec.name).first()
    if integration is None:
        integration, _ = integration_create(
            organization=org,
            name=spec.name,
            interval_seconds=spec.interval_seconds,
            grace_seconds=spec.grace_seconds,
            description=spec.description,
            source_system=spec.source_system,
            target_system=spec.target_system,
            token_name="demo",
            now=start,
        )
    for signal in spec.signals:
        low, high = signal.expected
        Metric.objects.get_or_create(
            integration=integration,
            name=signal.metric,
            defaults={
                "unit": signal.unit,
                "expected_min": low,
                "expected_max": high,
                "created": start,
            },
        )
    return integration


def _floor(ts: datetime, step: timedelta) -> datetime:
    return ts - (ts - EPOCH) % step


def _backfill(
    integration: Integration, spec: DemoIntegration, now: datetime, history_length: timedelta
) -> int:
    """Write the history missing since the last point; returns how many points were stored."""
    if integration.paused:
        return 0
    step = spec.interval
    start = _floor(now - history_length, step)
    end = _floor(now - DEAD_SINCE if spec.behaviour == DEAD else now, step)
    if integration.last_seen is not None:
        start = max(start, _floor(integration.last_seen, step) + step)
    if start > end:
        return 0
    rng = random.Random(f"{spec.name}:{start.isoformat()}")
    points, pings = history(
        spec.feed(str(integration.pk)), start=start, end=end, step=step, rng=rng
    )
    batch = min(_BATCH, conf.max_points())
    stored = 0
    with transaction.atomic():  # all or nothing, one commit rather than one per batch and ping
        for first in range(0, len(points), batch):
            result = telemetry_ingest(
                integration=integration, points=points[first : first + batch], now=now
            )
            stored += result.accepted
        for ts, failed in pings:  # in time order, so the last fail ping is the one remembered
            telemetry_ping(integration=integration, now=ts, failed=failed)
        _arrived_as_it_happened(integration, start)
    return stored


def _arrived_as_it_happened(integration: Integration, start: datetime) -> None:
    """The history is written at once but stands for data that arrived as it happened: each
    rollup is stamped as arriving a minute after its first minute ended (an hour's last
    arrival a minute after the hour), so the demo's checks judge it as live data rather than
    as one staged burst (`integration.checks`); its seen minutes counted again to match."""
    lag, since = timedelta(minutes=2), _floor(start, timedelta(hours=1))
    rows = {"series__metric__integration": integration, "bucket__gte": since}
    MinuteRollup.objects.filter(**rows).update(
        first_arrival=F("bucket") + lag, last_arrival=F("bucket") + lag
    )
    HourRollup.objects.filter(**rows).update(
        first_arrival=F("bucket") + lag, last_arrival=F("bucket") + timedelta(hours=1) + lag
    )
    seen_minutes_recount(integration)


# The live simulator


def demo_feeds(*, org_slug: str | None = None) -> list[tuple[Integration, DemoIntegration]]:
    """The demo integrations the simulator keeps alive (all but the dead one), as stored."""
    found = []
    for spec in DEMO_INTEGRATIONS:
        if spec.behaviour == DEAD or (org_slug is not None and spec.org != org_slug):
            continue
        integration = Integration.objects.filter(
            organization__slug=spec.org, name=spec.name
        ).first()
        if integration is not None:
            found.append((integration, spec))
    return found


@transaction.atomic
def demo_simulator_tokens(
    integrations: list[Integration], *, now: datetime | None = None
) -> dict[str, str]:
    """A fresh "simulator" ingest token per integration (id -> plain text); earlier simulator
    tokens of those integrations are revoked, so restarts leave one live token each."""
    now = now or timezone.now()
    tokens = {}
    for integration in integrations:
        IngestToken.objects.filter(
            integration=integration, name=SIMULATOR_TOKEN_NAME, revoked__isnull=True
        ).update(revoked=now)
        _, raw = IngestToken.objects.issue(
            integration=integration, name=SIMULATOR_TOKEN_NAME, now=now
        )
        tokens[str(integration.pk)] = raw
    return tokens
