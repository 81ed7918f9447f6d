"""An organisation's outcome KPIs and its milestones' outcomes survive export and import."""

import json
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from accounts.demo import demo_accounts_create
from assessments.demo import demo_assessments_create, demo_roadmaps_create
from assessments.demo_outcomes import demo_outcomes_create
from assessments.models import Milestone, OutcomeKpi
from assessments.orgtransfer.exporting import organization_export
from assessments.orgtransfer.importing import organization_import
from assessments.roadmaps.outcomes import outcomes_of
from integration.demo import demo_integrations_create
from tests.assessments.org_transfer_helpers import clear_database

KPI = ("name", "benefit", "metric", "aggregate", "unit", "better", "window_days")
MILESTONE = (
    "start_date",
    "expected_change",
    "effort_days",
    "cost",
    "baseline",
    "baseline_frozen",
    "outcome_from",
)


def outcome_picture(org, now):
    kpis = [
        (*(getattr(k, f) for f in KPI), k.integration.name)
        for k in OutcomeKpi.objects.filter(organization=org).order_by("name")
    ]
    milestones = list(
        Milestone.objects.filter(roadmap__organization=org, kpi__isnull=False)
        .select_related("kpi__integration", "kpi__organization")
        .order_by("title")
    )
    views = outcomes_of(milestones=milestones, now=now)
    return {
        "kpis": kpis,
        "milestones": [
            (m.title, m.kpi.name, *(getattr(m, f) for f in MILESTONE), views[m.pk].summary)
            for m in milestones
        ],
    }


def test_kpis_and_milestone_outcomes_come_back_the_same(db):
    orgs = demo_accounts_create()
    demo_integrations_create(orgs, history=timedelta(hours=6))
    demo_assessments_create(orgs)
    demo_roadmaps_create(orgs)
    demo_outcomes_create(orgs)
    now = timezone.now()
    before = outcome_picture(orgs["acme"], now)
    assert before["kpis"] and before["milestones"][0][-1].startswith("Benefit realised")
    assert all(row[MILESTONE.index("outcome_from") + 2] for row in before["milestones"])
    document = json.loads(
        json.dumps(organization_export(organization=orgs["acme"]), cls=DjangoJSONEncoder)
    )
    assert document["version"] == 3
    assert document["outcome_kpis"][0]["name"] == "Unplanned downtime, press line 3"
    clear_database()
    report = organization_import(data=document)
    assert report.counts["outcome KPIs"] == 1
    assert outcome_picture(report.organization, now) == before


def test_an_older_file_without_outcome_from_counts_from_the_done_date(db):
    orgs = demo_accounts_create()
    demo_integrations_create(orgs, history=timedelta(hours=6))
    demo_assessments_create(orgs)
    demo_roadmaps_create(orgs)
    demo_outcomes_create(orgs)
    now = timezone.now()
    before = outcome_picture(orgs["acme"], now)
    document = json.loads(
        json.dumps(organization_export(organization=orgs["acme"]), cls=DjangoJSONEncoder)
    )
    for roadmap in document["roadmaps"]:
        for milestone in roadmap["milestones"]:
            assert "outcome_from" in milestone
            del milestone["outcome_from"]
    clear_database()
    organization = organization_import(data=document).organization
    imported = Milestone.objects.filter(roadmap__organization=organization, kpi__isnull=False)
    assert imported and all(m.outcome_from is None for m in imported)
    after = outcome_picture(organization, now)
    assert [row[-1] for row in after["milestones"]] == [row[-1] for row in before["milestones"]]
