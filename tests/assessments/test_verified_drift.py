"""Drift: a verified level that drops or recovers is emailed and audited once, listed under
"needs attention" while a check is overdue, and backfilled history sends nothing about the past."""

from datetime import date, timedelta

import pytest
from django.core import mail

from accounts.models import Membership
from assessments.figures import assessment_figures
from assessments.home import home
from assessments.models import Assessment, CriterionAnswer, VerifiedLevelSeen
from assessments.models.verification import CriterionEvidence, DriftTurn
from assessments.verified.drift import _compare, drift_round, recipients
from assessments.verified.evaluate import MIN_GAP, evaluate_round
from assessments.verified.status import live_verification
from audit.models import AuditEvent
from integration.lineprotocol import Point
from integration.services import telemetry_ingest
from tests.assessments.conftest import NOW
from tests.assessments.test_verified_evaluate import (  # noqa: F401 (fixtures)
    DAY,
    feed,
    line,
    scored,
    uptime_check,
)

FAILED = NOW + DAY + timedelta(minutes=5)  # the data stopped: the check fails from here
OVERDUE = FAILED + 7 * DAY  # its grace is over


@pytest.fixture
def verified_two(scored, line, owner, member, consultant):  # noqa: F811
    """Verified level 2 while the uptime check holds: every other criterion up to level 2 has
    accepted evidence; the member owns the process."""
    score = scored.process_scores.select_related("process").get()
    process = score.process
    process.owner = member
    process.save()
    definition = scored.framework.definition
    for level in (1, 2):
        for criterion in definition.criteria_for(process.area, level):
            CriterionEvidence.objects.create(
                process=process,
                criterion_key=criterion.key,
                description="Signed-off records",
                effective=date(2026, 11, 1),
                accepted=NOW - 10 * DAY,
                accepted_by=owner,
            )
    uptime_check(scored, line, owner)
    feed(line, start=NOW - 8 * DAY, end=NOW)
    return scored


def round_at(now):
    evaluate_round(now=now)
    return drift_round(now=now)


def seen(assessment):
    return VerifiedLevelSeen.objects.get(process_score__assessment=assessment)


def test_first_sight_is_recorded_without_email(verified_two):
    summary = round_at(NOW)
    assert (summary.seen, summary.changes, summary.emails) == (1, 0, 0)
    assert seen(verified_two).level == 2 and not seen(verified_two).dropped
    assert mail.outbox == []


def test_a_drop_is_emailed_once_audited_once_and_needs_attention(verified_two, owner):
    round_at(NOW)
    round_at(FAILED)  # failing within its grace: still verified
    assert seen(verified_two).level == 2 and mail.outbox == []
    summary = round_at(OVERDUE)
    assert (summary.changes, summary.emails) == (1, 3)
    assert seen(verified_two).level < 2 and seen(verified_two).dropped
    assert sorted(m.to[0] for m in mail.outbox) == [
        "consultant@advisory.test",
        "member@acme.test",
        "owner@acme.test",
    ]
    assert "dropped" in mail.outbox[0].subject and "Press line 3" in mail.outbox[0].subject
    events = AuditEvent.objects.filter(area="checks", action="verified level dropped")
    assert events.count() == 1 and events.get().actor is None
    assert events.get().before == {"verified": 2}

    round_at(OVERDUE + timedelta(minutes=5))  # the same level again: nothing new
    assert len(mail.outbox) == 3 and events.count() == 1

    membership = Membership.objects.get(user=owner)
    entries = home(org=verified_two.organization, membership=membership, now=OVERDUE).attention
    dropped = [e for e in entries if e.kind == "verified-dropped"]
    assert len(dropped) == 1 and dropped[0].subject == "Press line 3 maintenance"
    assert dropped[0].url.endswith(
        f"/assessments/{verified_two.pk}/processes/{verified_two.process_scores.get().pk}/"
    )


def test_only_one_of_two_evaluators_seeing_the_change_sends(verified_two):
    round_at(NOW)
    round_at(FAILED)
    stale = seen(verified_two)  # what a second evaluator read before the first one wrote
    evaluate_round(now=OVERDUE)
    drift_round(now=OVERDUE)
    assert len(mail.outbox) == 3
    figures = assessment_figures(verified_two)
    view = live_verification(figures, now=OVERDUE, history=False).of(stale.process_score.process_id)
    assert view.verified < stale.level
    assert _compare(stale.process_score, view, stale, OVERDUE) is None  # lost the UPDATE
    assert len(mail.outbox) == 3


def test_backfilled_history_sends_no_recovery_until_a_current_window_passes(verified_two, line):  # noqa: F811
    round_at(NOW)
    round_at(FAILED)
    round_at(OVERDUE)
    assert len(mail.outbox) == 3
    # The missing week arrives now, all at once, stamped with its old times.
    later = OVERDUE + timedelta(minutes=10)
    ts, points = FAILED - DAY, []
    while ts < OVERDUE:
        points.append(Point("temp", (), ts, 20.0 + len(points) % 7))
        ts += timedelta(minutes=5)
    telemetry_ingest(integration=line, points=points, now=later)
    round_at(later + timedelta(minutes=1))
    assert len(mail.outbox) == 3 and seen(verified_two).dropped
    # Live data for a whole window: the current window passes, the level recovers.
    feed(line, start=later, end=later + 7 * DAY + timedelta(hours=1))
    summary = round_at(later + 7 * DAY + timedelta(hours=1))
    assert summary.changes == 1 and len(mail.outbox) == 6
    assert "back up to 2" in mail.outbox[-1].subject
    assert seen(verified_two).level == 2 and not seen(verified_two).dropped
    assert AuditEvent.objects.filter(action="verified level recovered").count() == 1


def test_final_assessments_are_not_watched(verified_two, owner):
    Assessment.objects.filter(pk=verified_two.pk).update(state=Assessment.State.FINAL)
    assert round_at(NOW).seen == 0
    assert not VerifiedLevelSeen.objects.exists()


def test_recipients_are_each_named_once(verified_two, owner):
    process = verified_two.process_scores.get().process
    process.owner = owner  # also an owner of the organisation
    found = recipients(verified_two.organization, process)
    assert sorted(found) == ["consultant@advisory.test", "owner@acme.test"]


def test_a_lower_claim_is_no_drift(verified_two, owner):
    """The answers lower the claimed level, and the verified level follows it: the level seen
    is updated, nobody is emailed."""
    round_at(NOW)
    score = verified_two.process_scores.get()
    level_two = [c.key for c in verified_two.framework.definition.criteria_for("manufacturing", 2)]
    CriterionAnswer.objects.filter(process_score=score, criterion_key__in=level_two).update(
        status="not"
    )
    summary = round_at(NOW + timedelta(minutes=5))
    assert seen(verified_two).level == 1
    assert (summary.emails, mail.outbox) == (0, [])
    assert not AuditEvent.objects.filter(area="checks", action__startswith="verified level")


def test_a_hostile_process_name_reads_as_written_in_a_plain_text_email(verified_two):
    """Subject and body are plain text: the name is neither escaped nor able to add a header."""
    process = verified_two.process_scores.get().process
    process.name = 'Press <b>"3"</b> & co\nBcc: evil@example.test'
    process.save()
    round_at(NOW)
    round_at(FAILED)
    round_at(OVERDUE)
    message = mail.outbox[0]
    assert message.content_subtype == "plain" and not getattr(message, "alternatives", None)
    assert 'Press <b>"3"</b> & co Bcc: evil@example.test: verified level dropped' in message.subject
    assert 'Press <b>"3"</b> & co\nBcc: evil@example.test' in message.body
    assert "&amp;" not in message.subject + message.body
    assert all(m.bcc == [] and len(m.to) == 1 for m in mail.outbox)


def test_an_evaluator_with_an_older_clock_does_not_undo_a_newer_drop(verified_two):
    """Two evaluators: one whose round began after the deadline announced the drop; the other's
    round began before it and runs its drift later (a round of many checks takes a minute).
    Its older `now` still sees the check within its grace: that is no recovery to announce."""
    round_at(NOW)
    round_at(FAILED)
    round_at(OVERDUE)
    assert len(mail.outbox) == 3 and seen(verified_two).level < 2
    DriftTurn.objects.update(checked=NOW)  # it took its turn before the other's stamp
    summary = drift_round(now=OVERDUE - timedelta(minutes=1))
    assert (summary.changes, len(mail.outbox)) == (0, 3)
    assert seen(verified_two).level < 2 and seen(verified_two).dropped
    assert AuditEvent.objects.filter(area="checks", action="verified level recovered").count() == 0


def test_an_assessment_compared_less_than_a_gap_ago_is_left_to_that_evaluator(verified_two):
    """Several evaluators take turns: the comparing is done once per MIN_GAP, not by each."""
    assert round_at(NOW).seen == 1
    assert drift_round(now=NOW + MIN_GAP / 2).seen == 0
    assert DriftTurn.objects.get(assessment=verified_two).checked == NOW
    assert drift_round(now=NOW + MIN_GAP).seen == 1


def test_a_shorter_gap_compares_again_after_it(verified_two):
    """`evaluate_checks --every 60` compares with a gap of 30 s: a round 45 s after the last
    compares again (with the 60 s gap it waited for the round after)."""
    assert round_at(NOW).seen == 1
    gap = MIN_GAP / 2
    assert drift_round(now=NOW + gap / 2, gap=gap).seen == 0
    assert drift_round(now=NOW + gap * 1.5, gap=gap).seen == 1
