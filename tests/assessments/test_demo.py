import io
from datetime import timedelta

import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.demo import DEMO_AUDITOR
from accounts.models import Membership
from assessments.demo_data import DEMO_LINKS, PROCESSES
from assessments.figures import assessment_figures
from assessments.models import Assessment, Attestation
from assessments.models.verification import CheckResult
from assessments.verified.attestation import window_history
from assessments.verified.status import assessment_verification
from integration.demo import DEMO_INTEGRATIONS
from tests.conftest import client_for


def test_demo_has_a_final_baseline_and_a_disputed_draft_per_organisation(db):
    # One instant for both runs: on a loaded machine the second run came minutes later, when a
    # check's data had aged into another state, and a new run of its history was right.
    with time_machine.travel(timezone.now(), tick=False):
        call_command("seed_demo", stdout=io.StringIO())
        call_command("seed_demo", stdout=io.StringIO())  # idempotent
    for slug in ("acme", "northwind"):
        assessments = {a.title: a for a in Assessment.objects.filter(organization__slug=slug)}
        assert set(assessments) == {"Baseline, last quarter", "Current assessment"}
        baseline, draft = assessments["Baseline, last quarter"], assessments["Current assessment"]
        assert baseline.state == "final" and draft.state == "draft"
        before, after = assessment_figures(baseline), assessment_figures(draft)
        assert after.samr_index > before.samr_index  # the organisation moved up the ladder
        assert before.disputed == [] and len(after.disputed) > 0  # assessors disagree on a few
        assert after.progress >= 80
    _demo_verification()
    _demo_outcomes()
    _demo_attestation()


def _demo_verification():
    """Checks passing, failing within their grace, overdue (the dead SCADA export) and
    expired evidence; the rerun above added no second history."""
    draft = Assessment.objects.get(organization__slug="acme", title="Current assessment")
    verification = assessment_verification(assessment_figures(draft), now=timezone.now())
    by_name = {
        p.process.name: verification.of(p.score.process_id)
        for p in assessment_figures(draft).processes
    }

    def standings(name):
        return [c.standing for cr in by_name[name].criteria for c in cr.checks]

    press, scheduling = by_name["Press line 3 maintenance"], by_name["Production scheduling"]
    assert press.verified == press.claimed == 2 and press.data >= 1
    assert "passing" in standings("Press line 3 maintenance")
    assert scheduling.verified < scheduling.claimed
    assert "overdue" in standings("Production scheduling")
    assert "needs attention" in standings("Finished goods warehousing")
    expired = [
        e
        for cr in by_name["Finished goods warehousing"].criteria
        for e in cr.evidence
        if e.accepted and not e.in_force
    ]
    assert expired
    runs = CheckResult.objects.filter(process_check__process__name="Press line 3 maintenance")
    days = {timezone.localdate(first) for first in runs.values_list("first", flat=True)}
    assert runs.count() == 4 * len(days)  # a run per check and day: the rerun extended them


def _demo_attestation():
    """One attestation (the rerun signed no second), by the auditor, of whole past days of the
    seeded history, inside the auditor's window; its figures stay when the history changes."""
    attestation = Attestation.objects.get()
    auditor = Membership.objects.get(user__email=DEMO_AUDITOR)
    assert attestation.signed_by == auditor.user and attestation.signed_as == "auditor"
    first, last = auditor.window
    assert first <= attestation.window_start <= attestation.window_end < timezone.localdate()
    assert attestation.window_end <= last
    org = attestation.organization
    frozen = attestation.data
    assert frozen == window_history(org, attestation.window_start, attestation.window_end)
    assert frozen["summary"]["checks"] >= 10 and 0 < frozen["summary"]["pass_share"] < 1
    CheckResult.objects.filter(process_check__process__organization=org).update(state="passing")
    assert window_history(org, attestation.window_start, attestation.window_end) != frozen
    attestation.refresh_from_db()
    assert attestation.data == frozen
    client = client_for(auditor.user)
    url = f"/o/{org.slug}/reports/attestations/{attestation.pk}/"
    assert client.get(url).status_code == 200
    assert url.encode() in client.get(f"/o/{org.slug}/reports/").content
    # Exactly its window: the auditor cannot attest a day before their own window.
    wider = client.post(
        f"/o/{org.slug}/reports/attest/",
        {
            "window_start": (first - timedelta(days=1)).isoformat(),
            "window_end": attestation.window_end.isoformat(),
            "statement": "s",
            "action": "preview",
        },
    )
    assert wider.status_code == 400


def test_demo_links_name_processes_of_the_same_organisation():
    specs = {spec.name: spec for spec in DEMO_INTEGRATIONS}
    assert set(DEMO_LINKS) == set(specs)
    for name, processes in DEMO_LINKS.items():
        known = {process[0] for process in PROCESSES[specs[name].org]}
        assert processes and set(processes) <= known, name
    assert DEMO_LINKS["Press line 3 vibration to CMMS"] == ["Press line 3 maintenance"]


def _demo_outcomes():
    """Acme's downtime fell after condition monitoring, Northwind's stock accuracy rose after
    the POS-inventory sync: one milestone each after two runs, measured on frozen baselines."""
    from assessments.models import Milestone
    from assessments.roadmaps.outcomes import outcomes_of

    milestones = list(
        Milestone.objects.filter(kpi__isnull=False)
        .select_related("kpi__integration", "kpi__organization", "roadmap__organization")
        .order_by("roadmap__organization__slug")
    )
    assert [(m.roadmap.organization.slug, m.kpi.name) for m in milestones] == [
        ("acme", "Unplanned downtime, press line 3"),
        ("northwind", "Stock accuracy"),
    ]
    views = outcomes_of(milestones=milestones, now=timezone.now())
    downtime, accuracy = (views[m.pk] for m in milestones)
    assert downtime.complete and downtime.result.verdict == "realised"
    assert downtime.result.change < -10 and len(milestones[0].baseline) == 30
    assert accuracy.result.verdict == "realised" and accuracy.result.change > 3
