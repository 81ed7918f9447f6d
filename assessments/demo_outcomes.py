"""Demo outcome KPIs: Acme's unplanned downtime on press line 3 before and after condition
monitoring, Northwind's stock accuracy after the POS-inventory sync.

Each KPI's metric gets a daily point for the last `DAYS` days through the ingest service (so
the hour rollups carry it, as for any data), its rollups stamped as arriving when they
happened; a milestone that names the KPI started 70 days ago and was done 40 days ago, so its
baseline is frozen and its 30-day after window is complete. Safe to rerun: a point repeated is
stored once, and the KPI and milestone are found by name.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Organization, User
from assessments.demo_data import ROADMAP_TITLE
from assessments.models import Milestone, OutcomeKpi
from assessments.roadmaps.editing import milestone_create, milestone_status_set
from assessments.roadmaps.outcomes import baselines_freeze
from integration.lineprotocol import Point
from integration.models import HourRollup, Integration, Metric, MinuteRollup
from integration.services import seen_minutes_recount, telemetry_ingest

DAYS = 100
STARTED, DONE = 70, 40  # days ago


@dataclass(frozen=True)
class DemoKpi:
    org: str
    integration: str
    metric: str
    unit: str
    kpi: str
    benefit: str
    aggregate: str
    better: str
    before: tuple[float, float]  # mean and spread per day before the milestone was done
    after: tuple[float, float]
    milestone: str
    expected: float
    effort: int
    cost: int


DEMO_KPIS = (
    DemoKpi(
        org="acme",
        integration="Press line 3 vibration to CMMS",
        metric="downtime.unplanned_h",
        unit="h",
        kpi="Unplanned downtime, press line 3",
        benefit="predictive-maintenance",
        aggregate="sum",
        better="lower",
        before=(2.0, 0.45),
        after=(1.45, 0.35),
        milestone="Condition monitoring on press line 3",
        expected=-10,
        effort=35,
        cost=24000,
    ),
    DemoKpi(
        org="northwind",
        integration="POS to inventory sync",
        metric="stock.accuracy_pct",
        unit="%",
        kpi="Stock accuracy",
        benefit="resource-management",
        aggregate="mean",
        better="higher",
        before=(93.8, 1.1),
        after=(97.6, 0.6),
        milestone="POS–inventory sync in every store",
        expected=3,
        effort=20,
        cost=9500,
    ),
)


def demo_outcomes_create(orgs: dict[str, Organization], *, now: datetime | None = None) -> None:
    """The demo KPIs, their daily data and a milestone each; safe to rerun."""
    now = now or timezone.now()
    for spec in DEMO_KPIS:
        org = orgs.get(spec.org)
        integration = Integration.objects.filter(organization=org, name=spec.integration).first()
        roadmap = org and org.roadmaps.filter(title=ROADMAP_TITLE).first()
        if integration is None or roadmap is None:
            continue
        _data(integration, spec, now)
        _kpi_and_milestone(org, roadmap, integration, spec, now)


def _value(spec: DemoKpi, day: date, done: date) -> float:
    mean, spread = spec.before if day <= done else spec.after
    rng = random.Random(f"{spec.kpi}:{day.isoformat()}")
    return round(max(0.0, rng.gauss(mean, spread)), 2)


@transaction.atomic
def _data(integration: Integration, spec: DemoKpi, now: datetime) -> None:
    today = now.astimezone(UTC).date()
    done = today - timedelta(days=DONE)
    Metric.objects.get_or_create(
        integration=integration, name=spec.metric, defaults={"unit": spec.unit, "created": now}
    )
    points = []
    for back in range(DAYS, 0, -1):
        day = today - timedelta(days=back)
        ts = datetime.combine(day, time(23, 0), tzinfo=UTC)
        points.append(Point(spec.metric, (), ts, _value(spec, day, done)))
    telemetry_ingest(integration=integration, points=points, now=now)
    rows = {"series__metric__integration": integration, "series__metric__name": spec.metric}
    lag = timedelta(minutes=2)
    MinuteRollup.objects.filter(**rows).update(
        first_arrival=F("bucket") + lag, last_arrival=F("bucket") + lag
    )
    HourRollup.objects.filter(**rows).update(
        first_arrival=F("bucket") + lag, last_arrival=F("bucket") + lag
    )
    seen_minutes_recount(integration)  # the arrivals just set: its on-time minutes


@transaction.atomic
def _kpi_and_milestone(org, roadmap, integration, spec: DemoKpi, now: datetime) -> None:
    owner = User.objects.get(email=f"coo@{spec.org}.example")
    kpi, _ = OutcomeKpi.objects.get_or_create(
        organization=org,
        name=spec.kpi,
        defaults={
            "benefit": spec.benefit,
            "integration": integration,
            "metric": spec.metric,
            "aggregate": spec.aggregate,
            "unit": spec.unit,
            "better": spec.better,
            "window_days": 30,
            "created": now - timedelta(days=DAYS),
        },
    )
    milestone = roadmap.milestones.filter(title=spec.milestone).first()
    if milestone is None:
        started = now - timedelta(days=STARTED)
        milestone = milestone_create(
            roadmap=roadmap,
            user=owner,
            now=started - timedelta(days=7),
            title=spec.milestone,
            description=f"Evidence: {spec.kpi}, {spec.better} is better.",
            phase=Milestone._meta.get_field("phase").default,
            owner=owner,
            benefit=spec.benefit,
            kpi=kpi,
            start_date=started.date(),
            expected_change=spec.expected,
            effort_days=spec.effort,
            cost=spec.cost,
        )
        baselines_freeze(milestones=[milestone], now=started + timedelta(days=1))  # after grace
        milestone_status_set(
            milestone=milestone, user=owner, status="done", now=now - timedelta(days=DONE)
        )
