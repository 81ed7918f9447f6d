"""Demo checks and evidence: bindings judged over the demo's week of data, and evidence.

What the demo shows: passing checks on the press line; the dead SCADA export failing on
Production scheduling, one of its checks overdue (its grace tightened to two days), so that
process's verified level is below its claimed one, and others within their grace; evidence
a facilitator accepted for the level-1 criteria, one of them expired. The checks' history is
built by evaluator rounds at past times over the week, as the evaluator would have run. Acme's
auditor then signs one attestation over the whole days of that history.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_AUDITOR
from accounts.models import Membership, Organization, Role, User
from assessments.models import Assessment, Attestation, Process
from assessments.models.verification import CheckResult, CriterionEvidence, ProcessCheck
from assessments.verified.attestation import attestation_sign
from assessments.verified.bindings import check_bind, check_tune
from assessments.verified.evaluate import evaluate_round
from integration.models import Integration

CONSULTANT = "consultant@ladder.example"
ROUNDS_EVERY = timedelta(hours=6)
ROUNDS_OVER = timedelta(days=6)

# org -> (process, check, integration, metric, grace days or None)
DEMO_CHECKS = {
    "acme": [
        (
            "Press line 3 maintenance",
            "mfg-2-machine-data-arrives",
            "Press line 3 vibration to CMMS",
            "",
            None,
        ),
        (
            "Press line 3 maintenance",
            "mfg-2-machine-data-varies",
            "Press line 3 vibration to CMMS",
            "vibration.rms",
            None,
        ),
        (
            "Press line 3 maintenance",
            "mfg-2-live-oee-fresh",
            "Press line 3 vibration to CMMS",
            "",
            None,
        ),
        (
            "Press line 3 maintenance",
            "mfg-2-historian-receives",
            "Press line 3 vibration to CMMS",
            "",
            None,
        ),
        (
            "CNC machining quality inspection",
            "mfg-2-machine-data-arrives",
            "CNC cell 2 spindle and quality data to MES",
            "",
            None,
        ),
        (
            "CNC machining quality inspection",
            "mfg-2-machine-data-varies",
            "CNC cell 2 spindle and quality data to MES",
            "spindle.load",
            None,
        ),
        (
            "Production scheduling",
            "mfg-2-machine-data-arrives",
            "Legacy SCADA historian export",
            "",
            2,
        ),
        (
            "Production scheduling",
            "mfg-2-machine-data-varies",
            "Legacy SCADA historian export",
            "line.availability",
            None,
        ),
        (
            "Production scheduling",
            "mfg-2-live-oee-fresh",
            "Legacy SCADA historian export",
            "",
            None,
        ),
        (
            "Production scheduling",
            "mfg-2-historian-receives",
            "Legacy SCADA historian export",
            "",
            None,
        ),
        (
            "Compressed air and energy monitoring",
            "nrg-2-dashboard-fresh",
            "Compressed air sub-metering to energy dashboard",
            "",
            None,
        ),
        (
            "Finished goods warehousing",
            "log-2-equipment-reports",
            "Warehouse WMS scanner sync",
            "",
            None,
        ),
    ],
    "northwind": [
        (
            "Point-of-sale to inventory sync",
            "ret-2-web-stock-fresh",
            "POS to inventory sync",
            "",
            None,
        ),
        ("Store replenishment", "ret-2-web-stock-fresh", "POS to inventory sync", "", None),
        (
            "Point-of-sale to inventory sync",
            "ret-2-sales-reach-stock",
            "POS to inventory sync",
            "pos.sync_lag",
            None,
        ),
    ],
}
EVIDENCE_AGE = timedelta(days=60)
EXPIRED = {"acme": ("Finished goods warehousing", timedelta(days=400))}  # effective 400 days ago


@transaction.atomic
def demo_verification_create(orgs: dict[str, Organization], *, now=None) -> None:
    """Bind the demo checks, judge them over the past week and add evidence; safe to rerun."""
    now = now or timezone.now()
    for slug, org in orgs.items():
        consultant = User.objects.get(email=CONSULTANT)
        draft = Assessment.objects.filter(organization=org, title="Current assessment").first()
        if draft is None:
            continue
        _bind(org, slug, draft, consultant)
        _evidence(org, slug, draft, consultant, now)
        if not CheckResult.objects.filter(process_check__process__organization=org).exists():
            moment = now - ROUNDS_OVER
            while moment < now:
                evaluate_round(now=moment, organization=org)
                moment += ROUNDS_EVERY
        evaluate_round(now=now, organization=org)
        _attest(org, now)


def _attest(org, now) -> None:
    """The auditor's attestation of the history's whole days (its first whole day to yesterday),
    signed once: a rerun finds it."""
    auditor = Membership.objects.filter(
        organization=org, role=Role.AUDITOR, user__email=DEMO_AUDITOR
    ).first()
    if auditor is None or Attestation.objects.filter(organization=org).exists():
        return
    first = CheckResult.objects.filter(process_check__process__organization=org).order_by("first")
    if not first.exists():
        return
    today = timezone.localdate(now)
    start = timezone.localdate(first.first().first) + timedelta(days=1)
    attestation_sign(
        organization=org,
        user=auditor.user,
        start=max(start, auditor.observe_from),
        end=today - timedelta(days=1),
        statement=(
            "I observed the checks of the bound integrations over this window; the history "
            "below is what they found."
        ),
        now=now,
    )


def _bind(org, slug, draft, user) -> None:
    processes = {p.name: p for p in Process.objects.filter(organization=org)}
    integrations = {i.name: i for i in Integration.objects.filter(organization=org)}
    definition = draft.framework.definition
    for process, key, integration, metric, grace in DEMO_CHECKS.get(slug, []):
        if process not in processes or integration not in integrations:
            continue
        check = definition.check(key)
        check_bind(
            process=processes[process],
            framework=draft.framework,
            check_key=key,
            role=check.roles[0],
            integration=integrations[integration],
            metric=metric,
            user=user,
        )
        if grace is not None:
            row = ProcessCheck.objects.get(process=processes[process], check_key=key)
            check_tune(process_check=row, user=user, threshold=None, grace_days=grace)


def _evidence(org, slug, draft, user, now) -> None:
    definition = draft.framework.definition
    expired_process, expired_age = EXPIRED.get(slug, (None, None))
    for process in Process.objects.filter(organization=org, scores__assessment=draft):
        for i, criterion in enumerate(definition.criteria_for(process.area, 1)):
            old = process.name == expired_process and i == 0
            effective = (now - (expired_age if old else EVIDENCE_AGE)).date()
            CriterionEvidence.objects.get_or_create(
                process=process,
                criterion_key=criterion.key,
                defaults={
                    "description": f"Walkthrough record: {criterion.text[:120]}",
                    "effective": effective,
                    "valid_days": org.evidence_validity_days,
                    "added_by": user,
                    "accepted_by": user,
                    "accepted": now - (expired_age if old else EVIDENCE_AGE) + timedelta(days=1),
                },
            )
