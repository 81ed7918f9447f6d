"""The organisation transfer tests' demo organisation, export and import, and what they compare."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.demo import demo_accounts_create
from accounts.models import Organization, User
from assessments.demo import demo_assessments_create, demo_roadmaps_create
from assessments.evidence import process_evidence
from assessments.exchange.export import figures_data
from assessments.figures import assessment_figures
from assessments.models import (
    Assessment,
    CriterionAgreement,
    CriterionAnswer,
    ExcludedDimension,
    FrameworkVersion,
    Milestone,
    Process,
    ReadinessAgreement,
    Roadmap,
)
from assessments.roadmaps.activity import roadmap_activity
from assessments.roadmaps.export import roadmap_csv
from assessments.roadmaps.reading import roadmap_plan
from assessments.services import assessment_create
from assessments.verified.status import assessment_verification
from integration.demo import demo_integrations_create
from integration.models import HealthEvent, Integration
from integration.services import telemetry_series
from integration.services.health import health_figures, health_figures_list
from tests.assessments.conftest import answer_dimension, answer_levels


@pytest.fixture(name="acme")
def acme_fixture(db):
    return demo_acme()


def demo_acme():
    """The demo's Acme with six hours of telemetry, a health event, agreements settling the
    draft's disputes, and an assessment on a framework of its own."""
    orgs = demo_accounts_create()
    demo_integrations_create(orgs, history=timedelta(hours=6))
    demo_assessments_create(orgs)
    demo_roadmaps_create(orgs)
    org = orgs["acme"]
    integration = org.integrations.get(name="Legacy SCADA historian export")
    HealthEvent.objects.create(integration=integration, previous="up", status="down", note="cut")
    _settle_and_exclude(org)
    _assess_on_own_framework(org)
    return org


def _settle_and_exclude(org):
    draft = org.assessments.get(title="Current assessment")
    draft.based_on = org.assessments.get(title="Baseline, last quarter")
    draft.save()
    coo = User.objects.get(email="coo@acme.example")
    disputed = assessment_figures(draft).disputed
    criterion = next(d for d in disputed if hasattr(d, "criterion"))
    score = criterion.answers[0].process_score
    CriterionAgreement.objects.create(
        process_score=score,
        criterion_key=criterion.criterion.key,
        status="largely",
        reason="Seen on the shop floor",
        agreed_by=coo,
    )
    question = next(d for d in disputed if hasattr(d, "question"))
    ReadinessAgreement.objects.create(
        assessment=draft,
        question_key=question.question.key,
        side="ot",
        value=2,
        reason="Agreed in the review",
        agreed_by=coo,
    )
    ExcludedDimension.objects.create(
        assessment=draft, dimension_key="goal-alignment", reason="Next year"
    )


def _assess_on_own_framework(org):
    shipped = FrameworkVersion.objects.shipped()
    own = FrameworkVersion.objects.create(
        organization=org,
        key="acme-ladder",
        version="1",
        title="Acme's own ladder",
        data={**shipped.data, "id": "acme-ladder", "version": "1"},
    )
    coo = User.objects.get(email="coo@acme.example")
    process = org.processes.get(name="Purchase-to-pay")
    assessment = assessment_create(
        organization=org, user=coo, title="On our own ladder", processes=[process], framework=own
    )
    answer_levels(assessment.process_scores.get(), coo, {1: "fully", 2: "largely", 3: "partial"})
    answer_dimension(assessment, coo, "security", 3, 1)
    assessment.finalize()


def clear_database():
    """As a fresh install: no organisation, no person, no framework stored yet."""
    Organization.objects.all().delete()
    User.objects.all().delete()
    FrameworkVersion.objects.all().delete()
    assert not Integration.objects.exists() and not Process.objects.exists()


def export(org, *args, tmp_path, name="acme.json") -> str:
    path = str(tmp_path / name)
    call_command("export_org", org.slug, "-o", path, *args, stdout=StringIO())
    return path


def import_(path, *args) -> str:
    out = StringIO()
    call_command("import_org", path, *args, stdout=out)
    return out.getvalue()


def picture(org, now) -> dict:
    """Everything a person sees of the organisation's numbers, without ids."""
    assessments = {a.title: a for a in org.assessments.all()}
    integrations = list(org.integrations.order_by("name"))
    processes = list(org.processes.order_by("name"))
    draft = assessment_figures(assessments["Current assessment"])
    evidence = process_evidence(processes=processes, now=now)
    verification = assessment_verification(draft, now=now, history=False)
    listed = health_figures_list(integrations=integrations, now=now)
    return {
        "figures": {title: figures_data(assessment_figures(a)) for title, a in assessments.items()},
        "states": {
            title: (a.state, a.based_on and a.based_on.title) for title, a in assessments.items()
        },
        "agreements": sorted(
            (c.criterion_key, c.status, c.reason, c.agreed_by.email)
            for c in CriterionAgreement.objects.filter(process_score__assessment__organization=org)
        )
        + sorted(
            (r.question_key, r.side, r.value, r.reason, r.agreed_by.email)
            for r in ReadinessAgreement.objects.filter(assessment__organization=org)
        ),
        "answers": sorted(
            (a.process_score.process.name, a.criterion_key, a.assessor.email, a.status)
            for a in CriterionAnswer.objects.filter(
                process_score__assessment__organization=org
            ).select_related("process_score__process", "assessor")
        ),
        "down": {p.name: evidence[p.pk].any_down for p in processes},
        "verified": {
            p.process.name: (v.claimed, v.verified, v.data, v.evidence, v.claim)
            for p in draft.processes
            for v in [verification.of(p.score.process_id)]
        },
        "health": {i.name: health_figures(integration=i, now=now) for i in integrations},
        "health_listed": {i.name: listed[i.pk] for i in integrations},
        "charts": {
            (i.name, m.name, step): telemetry_series(
                integration=i, metric=m.name, start=now - timedelta(days=2), end=now, step=step
            )
            for i in integrations
            for m in i.metrics.filter(series__isnull=False).distinct()
            for step in ("1m", "1h")
        },
        "roadmaps": {r.title: _roadmap_content(r) for r in org.roadmaps.all()},
        "audit": [
            (e.at, e.actor_email, e.area, e.action, e.subject, e.before, e.after, e.text)
            + (_scope_title(e),)
            for e in org.audit_events.order_by("at", "pk")
        ],
    }


def _scope_title(event):
    """The title of the assessment, roadmap or milestone an event is scoped to (None for none)."""
    model = {
        "assessments.assessment": Assessment,
        "assessments.roadmap": Roadmap,
        "assessments.milestone": Milestone,
    }
    if not event.scope_type:
        return None
    return (event.scope_type, model[event.scope_type].objects.get(pk=event.scope_id).title)


def _roadmap_content(roadmap) -> dict:
    plan = roadmap_plan(roadmap)
    return {
        "csv": roadmap_csv(roadmap=roadmap),
        "baseline_index": plan.baseline_index,
        "projected": [p.projected for p in plan.phases],
        "verified": [
            (m.title, m.verification and m.verification.label)
            for m in roadmap.milestones.order_by("position", "title")
        ],
        "comments": sorted(
            (c.milestone.title, c.author and c.author.email, c.text, c.created)
            for m in roadmap.milestones.all()
            for c in m.comments.all()
        ),
        "activity": [
            (a.action, a.text, a.at, a.actor and a.actor.email)
            + (a.milestone and a.milestone.title,)
            for a in roadmap_activity(roadmap)
        ],
        "step_keys": sorted(
            (m.key == f"step:{m.process_id}:{m.to_level}", m.title)
            for m in roadmap.milestones.filter(kind=Milestone.Kind.STEP)
        ),
    }


def read(path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)
