"""Attestations: the window's check history, and signing it (by a consultant or an auditor).

`window_history` reads the organisation's bound checks (or one process's) over a window of
days: per check its bindings, its history runs clipped to the window and its pass share (the
part of the covered time it passed). `attestation_refusal` says why a window or signer is
refused; `attestation_sign` freezes the history into an `Attestation`, audited. An owner never
signs: an attestation is a consultant's or an auditor's word, not the organisation's own.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

import audit.trail as audit
from accounts.models import Membership, Role, window_problem
from assessments.audit_areas import AuditArea
from assessments.models import Attestation, Process
from assessments.models.verification import CheckResult, ProcessCheck
from assessments.verification import CheckState
from assessments.verified.status import STALE_AFTER

OWNER_REFUSED = (
    "An owner cannot sign an attestation: it is the word of a consultant or an auditor, "
    "never the organisation's alone."
)


class AttestationRefused(Exception):
    """The attestation cannot be signed as asked; the message says why."""


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _share(passing: float, covered: float) -> float | None:
    return round(passing / covered, 4) if covered else None


def window_history(organization, start: date, end: date, process: Process | None = None) -> dict:
    """The window's check history as plain JSON-ready data (what an attestation freezes)."""
    since, until = _day_start(start), _day_start(end + timedelta(days=1))
    # Every check judged in the window, bound now or not: unbinding never hides a failure.
    checks = (
        ProcessCheck.objects.filter(
            process__organization=organization, results__first__lt=until, results__last__gte=since
        )
        .distinct()
        .select_related("process", "framework")
        .prefetch_related("bindings__integration")
        .order_by("process__name", "check_key")
    )
    if process is not None:
        checks = checks.filter(process=process)
    checks = list(checks)
    runs = {check.pk: [] for check in checks}
    for run in CheckResult.objects.filter(
        process_check__in=checks, first__lt=until, last__gte=since
    ).order_by("first", "pk"):
        runs[run.process_check_id].append(run)
    rows, all_passing, all_covered = [], 0.0, 0.0
    for check in checks:
        clipped, passing, covered = [], 0.0, 0.0
        check_runs = runs[check.pk]
        for i, run in enumerate(check_runs):
            first, last = max(run.first, since), min(run.last, until)
            # A run stands until the next one began (its last evaluation was only the last one
            # before the state changed), for at most STALE_AFTER past its last evaluation.
            ends = run.last + STALE_AFTER
            if i + 1 < len(check_runs):
                ends = min(ends, check_runs[i + 1].first)
            seconds = max((min(max(ends, run.last), until) - first).total_seconds(), 0.0)
            covered += seconds
            passing += seconds if run.state == CheckState.PASSING else 0.0
            clipped.append(
                {
                    "state": run.state,
                    "first": first.isoformat(),
                    "last": last.isoformat(),
                    "measured": run.measured,
                    "threshold": run.threshold,
                    "reason": run.reason,
                }
            )
        definition = check.definition
        rows.append(
            {
                "key": check.check_key,
                "name": definition.name if definition else check.check_key,
                "process": check.process.name,
                "bindings": [
                    {"role": b.role, "integration": b.integration.name, "metric": b.metric}
                    for b in check.bindings.all()
                ],
                "runs": clipped,
                "pass_share": _share(passing, covered),
            }
        )
        all_passing, all_covered = all_passing + passing, all_covered + covered
    return {
        "window": {"start": start.isoformat(), "end": end.isoformat()},
        "scope": process.name if process else f"All checks of {organization.name}",
        "checks": rows,
        "summary": {
            "checks": len(rows),
            "runs": sum(len(row["runs"]) for row in rows),
            "pass_share": _share(all_passing, all_covered),
        },
    }


def history_for_page(data: dict) -> dict:
    """A copy of frozen history for a template: times as datetimes, shares as per cent."""

    def percent(share):
        return None if share is None else round(share * 100, 1)

    checks = [
        {
            **check,
            "pass_percent": percent(check["pass_share"]),
            "runs": [
                {
                    **run,
                    "first": datetime.fromisoformat(run["first"]),
                    "last": datetime.fromisoformat(run["last"]),
                }
                for run in check["runs"]
            ],
        }
        for check in data.get("checks", [])
    ]
    summary = data.get("summary", {})
    return {
        **data,
        "checks": checks,
        "summary": {**summary, "pass_percent": percent(summary.get("pass_share"))},
    }


def attestation_refusal(membership: Membership, start: date, end: date, today: date) -> str | None:
    """Why `membership` may not attest this window, or None."""
    if membership.role == Role.OWNER:
        return OWNER_REFUSED
    if not membership.can_attest:
        return "Only consultants and auditors sign attestations."
    if problem := window_problem(start, end):
        return problem
    if end > today:
        return "The window cannot end in the future: attest what has happened."
    if membership.window is not None:
        first, last = membership.window
        if start < first or end > last:
            return f"You observe {first:%-d %b %Y} to {last:%-d %b %Y}: attest a window inside it."
    return None


@transaction.atomic
def attestation_sign(
    *,
    organization,
    user,
    start: date,
    end: date,
    statement: str,
    process: Process | None = None,
    now: datetime | None = None,
) -> Attestation:
    """Sign an attestation over the window, freezing its check history; AttestationRefused
    for an owner, a member who is neither consultant nor auditor, or a refused window."""
    now = now or timezone.now()
    membership = Membership.objects.filter(user=user, organization=organization).first()
    if membership is None:
        raise AttestationRefused("Only the organisation's consultants and auditors attest.")
    if problem := attestation_refusal(membership, start, end, timezone.localdate(now)):
        raise AttestationRefused(problem)
    if process is not None and process.organization_id != organization.pk:
        raise ValueError("The process belongs to another organisation.")
    statement = statement.strip()
    if not statement:
        raise AttestationRefused("Write the statement you sign.")
    data = window_history(organization, start, end, process)
    attestation = Attestation.objects.create(
        organization=organization,
        process=process,
        scope_name=data["scope"][:200],
        window_start=start,
        window_end=end,
        signed_by=user,
        signer_name=(user.get_full_name() or user.email)[:300],
        signed_as=membership.role,
        signed_at=now,
        statement=statement,
        data=data,
    )
    audit.record(
        organization=organization,
        actor=user,
        area=AuditArea.CHECKS,
        action="attested",
        subject=str(attestation)[:300],
        obj=attestation,
        after={
            "window": f"{start} to {end}",
            "signed as": membership.get_role_display(),
            "checks": data["summary"]["checks"],
        },
        at=now,
    )
    return attestation
