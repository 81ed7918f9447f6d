"""Drift: tell people when a process's verified level drops or recovers.

After each round of the evaluator, `drift_round` works out the live verification of every
process of every draft or in-review assessment and compares its verified level with the one
last seen (`VerifiedLevelSeen`). The first time a level is seen it is only recorded. A change
is claimed with a conditional UPDATE (`filter(level=old).update(level=new)`): of several
evaluators seeing the same change, exactly one wins, and only it sends one email to the
organisation's owners and consultants and the process owner and records one audit event
(`AuditArea.CHECKS`, actor None: Ladder). Each round judges at its own `now`, taken when it
began; a level recorded at a later `now` than this round's is left alone (an evaluator whose
long round began before a check's grace ended would otherwise announce a "recovery" from the
drop the other one had just announced).

Several evaluators share the comparing: a round takes the live assessments in chunks under
`SELECT ... FOR UPDATE SKIP LOCKED` on their `DriftTurn` rows (PostgreSQL) and leaves those
compared less than a gap ago (`evaluate.MIN_GAP` or shorter), as `evaluate_round` does with the
checks; each chunk's turn is stamped and committed before its comparing starts (the emails are
sent outside any transaction). Without that, every evaluator compared every assessment after
every round, and two of them cost twice one's CPU for the same work (docs/BENCHMARKS.md, the
two-of-each run).

A process whose verified level is below its claimed level because a check is overdue is marked
`dropped`, which lists it under "needs attention" on the overview until that no longer holds.

The evaluator judges only windows ending now, so backfilled history never sends an email about
the past: a recovery is seen only when a current window passes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

import audit.trail as audit
from accounts.models import Membership, Role
from assessments.audit_areas import AuditArea
from assessments.figures import figures_of
from assessments.models import Assessment
from assessments.models.verification import DriftTurn, VerifiedLevelSeen
from assessments.verified.evaluate import MIN_GAP
from assessments.verified.status import ProcessVerification, live_verification

log = logging.getLogger(__name__)
LIVE_STATES = (Assessment.State.DRAFT, Assessment.State.REVIEW)
CHUNK = 20  # assessments taken at a time: small, so that two evaluators split a few dozen


@dataclass
class Change:
    score: object  # ProcessScore
    before: int
    after: int

    @property
    def kind(self) -> str:
        return "dropped" if self.after < self.before else "recovered"


@dataclass
class DriftSummary:
    seen: int = 0
    changes: int = 0
    emails: int = 0


def drift_round(*, now: datetime, organization=None, gap: timedelta = MIN_GAP) -> DriftSummary:
    """Compare every live process's verified level with the last seen; email and audit the
    changes this process wins. Assessments another evaluator compared less than `gap` before
    `now` are left to it."""
    live = Assessment.objects.filter(state__in=LIVE_STATES)
    if organization is not None:
        live = live.filter(organization=organization)
    ids = list(live.order_by("pk").values_list("pk", flat=True))
    DriftTurn.objects.bulk_create(
        [DriftTurn(assessment_id=pk, checked=now - 2 * MIN_GAP) for pk in ids],
        ignore_conflicts=True,
    )
    summary = DriftSummary()
    for start in range(0, len(ids), CHUNK):
        mine = _take_turn(ids[start : start + CHUNK], now, gap)
        if mine:
            _compare_assessments(live.filter(pk__in=mine), now, summary)
    return summary


def _take_turn(ids: list[int], now: datetime, gap: timedelta) -> list[int]:
    """The assessments of `ids` this evaluator compares now, their turns stamped and committed."""
    with transaction.atomic():
        mine = list(
            DriftTurn.objects.filter(assessment_id__in=ids, checked__lte=now - gap)
            .select_for_update(skip_locked=True)
            .values_list("assessment_id", flat=True)
        )
        DriftTurn.objects.filter(assessment_id__in=mine).update(checked=now)
    return mine


def _compare_assessments(assessments, now: datetime, summary: DriftSummary) -> None:
    assessments = assessments.select_related("organization", "framework")
    for figures in figures_of(assessments).values():
        try:
            verification = live_verification(figures, now=now, history=False)
        except Exception:  # one assessment's bad row must not stop every organisation's drift
            log.exception("drift: verification of assessment %s failed", figures.assessment.pk)
            continue
        seen = {
            s.process_score_id: s
            for s in VerifiedLevelSeen.objects.filter(
                process_score__in=[p.score for p in figures.processes]
            )
        }
        for p in figures.processes:
            view = verification.of(p.score.process_id)
            if view is None or view.verified is None:
                continue
            summary.seen += 1
            change = _compare(p.score, view, seen.get(p.score.pk), now)
            if change is not None:
                summary.changes += 1
                summary.emails += _announce(change, figures.assessment, p.process, now)


def _compare(score, view: ProcessVerification, seen, now: datetime) -> Change | None:
    dropped = view.verified < view.claimed and _overdue(view)
    if seen is None:
        VerifiedLevelSeen.objects.get_or_create(
            process_score=score,
            defaults={"level": view.verified, "changed": now, "dropped": dropped},
        )
        return None
    if seen.changed > now:
        # Another evaluator, whose round began later, recorded this level: its clock is newer
        # (a check's grace may have ended in between), so this older view must not undo it.
        return None
    if seen.dropped != dropped:
        VerifiedLevelSeen.objects.filter(pk=seen.pk).update(dropped=dropped)
    if seen.level == view.verified:
        return None
    won = VerifiedLevelSeen.objects.filter(pk=seen.pk, level=seen.level, changed__lte=now).update(
        level=view.verified, changed=now
    )
    if view.verified < seen.level and view.verified >= view.claimed:
        return None  # the answers lowered the claim and the verified level with it: no drift
    return Change(score, seen.level, view.verified) if won else None


def _overdue(view: ProcessVerification) -> bool:
    return any(
        check.standing == "overdue"
        for criterion in view.criteria
        if criterion.level <= view.claimed
        for check in criterion.checks
    )


def _announce(change: Change, assessment, process, now: datetime) -> int:
    organization = assessment.organization
    audit.record(
        organization=organization,
        actor=None,
        area=AuditArea.CHECKS,
        action=f"verified level {change.kind}",
        subject=f"Verified level of {process.name}",
        obj=change.score,
        before={"verified": change.before},
        after={"verified": change.after},
        scope=assessment,
        at=now,
    )
    return _email(change, assessment, process, now)


def recipients(organization, process) -> list[str]:
    """The organisation's owners and consultants and the process owner, each once."""
    emails = list(
        Membership.objects.filter(
            organization=organization, role__in=[Role.OWNER, Role.CONSULTANT]
        ).values_list("user__email", flat=True)
    )
    if process.owner_id is not None:
        emails.append(process.owner.email)
    return list(dict.fromkeys(e for e in emails if e))


def _email(change: Change, assessment, process, now: datetime) -> int:
    """One message per person; a failing mail server is logged, never raised."""
    to = recipients(assessment.organization, process)
    if not to:
        return 0
    context = {
        "change": change,
        "process": process,
        "assessment": assessment,
        "organization": assessment.organization,
        "at": now,
        "url": settings.SITE_URL
        + reverse(
            "assessments:process-score",
            args=[assessment.organization.slug, assessment.pk, change.score.pk],
        ),
    }
    subject = render_to_string(f"assessments/email/verified_{change.kind}_subject.txt", context)
    body = render_to_string(f"assessments/email/verified_{change.kind}_body.txt", context)
    subject = " ".join(subject.split())
    messages = [EmailMessage(subject, body, to=[email]) for email in to]
    try:
        return get_connection().send_messages(messages) or 0
    except Exception:  # any mail backend failure: the change stays recorded and audited
        log.exception("emailing about the verified level of score %s failed", change.score.pk)
        return 0
