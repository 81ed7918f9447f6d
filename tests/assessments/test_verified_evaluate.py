"""The evaluator on real rollups, the checks' deadlines and history, and the verified level it
gives a process: live while the assessment is open, frozen when it becomes final."""

from datetime import timedelta

import pytest

from assessments.figures import assessment_figures
from assessments.lifecycle import assessment_finalize
from assessments.models.verification import CheckResult, ProcessCheck
from assessments.verified.bindings import BindingRefused, check_bind, check_tune
from assessments.verified.evaluate import evaluate_round
from assessments.verified.status import assessment_verification
from audit.models import AuditEvent
from integration.lineprotocol import Point
from integration.models import Integration
from integration.services import telemetry_ingest
from tests.assessments.conftest import NOW, answer_levels, make_assessment, make_process

STEP = timedelta(minutes=5)
DAY = timedelta(days=1)
CHECK = "mfg-2-machine-data-arrives"  # uptime >= 0.95 over 7 days, on criterion mfg-2-machine-data


def feed(integration, *, start, end):
    """Varied points of `temp` every five minutes, each batch posted ten minutes later."""
    ts, i, batch = start, 0, []
    while ts < end:
        batch.append(Point("temp", (), ts, 20.0 + (i * 7) % 11))
        ts, i = ts + STEP, i + 1
        if len(batch) == 2 or ts >= end:
            telemetry_ingest(integration=integration, points=batch, now=ts)
            batch = []


@pytest.fixture
def line(org):
    return Integration.objects.create(
        organization=org, name="Press line", created=NOW - 30 * DAY, interval_seconds=300
    )


@pytest.fixture
def scored(org, framework, owner):
    """A process claiming level 2, every criterion up to it fully met."""
    process = make_process(org)
    assessment = make_assessment(org, framework, [process])
    answer_levels(assessment.process_scores.get(), owner, {1: "fully", 2: "fully", 3: "not"})
    return assessment


def uptime_check(scored, line, owner):
    process = scored.process_scores.get().process
    check_bind(
        process=process,
        framework=scored.framework,
        check_key=CHECK,
        role=scored.framework.definition.check(CHECK).roles[0],
        integration=line,
        user=owner,
    )
    return ProcessCheck.objects.get(process=process, check_key=CHECK)


def standing(assessment, now):
    verification = assessment_verification(assessment_figures(assessment), now=now)
    process = verification.of(assessment.process_scores.get().process_id)
    criterion = process.criterion("mfg-2-machine-data")
    return criterion.checks[0].standing, criterion.basis, process


def test_passing_then_failing_then_overdue(scored, line, owner):
    row = uptime_check(scored, line, owner)
    feed(line, start=NOW - 8 * DAY, end=NOW)
    summary = evaluate_round(now=NOW)
    row.refresh_from_db()
    assert (summary.evaluated, summary.passing) == (1, 1)
    assert row.state == "passing" and row.measured == pytest.approx(1.0)
    assert standing(scored, NOW)[:2] == ("passing", "data")

    # The data stops: a day later the window holds none of it.
    later = NOW + DAY + timedelta(minutes=5)
    evaluate_round(now=later)
    row.refresh_from_db()
    assert row.state == "failing" and row.failing_since == later
    state, basis, process = standing(scored, later + timedelta(hours=1))
    assert (state, basis) == ("needs attention", "data")  # within its 7 days of grace

    # Still failing a week on: failing_since is kept, the check is overdue, the level drops.
    evaluate_round(now=later + 7 * DAY)
    row.refresh_from_db()
    assert row.failing_since == later
    state, basis, process = standing(scored, later + 7 * DAY)
    assert (state, basis) == ("overdue", "claim")
    assert process.claimed == 2 and process.verified < 2


def test_history_runs_extend_and_split(scored, line, owner):
    row = uptime_check(scored, line, owner)
    feed(line, start=NOW - 8 * DAY, end=NOW)
    for minutes in (0, 5, 10):
        evaluate_round(now=NOW + timedelta(minutes=minutes))
    runs = list(CheckResult.objects.filter(process_check=row))
    assert len(runs) == 1 and runs[0].evaluations == 3
    assert runs[0].last == NOW + timedelta(minutes=10)
    evaluate_round(now=NOW + 2 * DAY)  # failing now: a new run
    assert CheckResult.objects.filter(process_check=row).count() == 2


def test_a_round_skips_checks_judged_a_moment_ago(scored, line, owner):
    uptime_check(scored, line, owner)
    feed(line, start=NOW - 8 * DAY, end=NOW)
    assert evaluate_round(now=NOW).evaluated == 1
    assert evaluate_round(now=NOW + timedelta(seconds=30)).evaluated == 0


def test_unbound_check_is_not_tested_and_never_passes(scored, owner):
    state, basis, process = standing(scored, NOW)
    assert (state, basis) == ("unbound", "claim")
    assert process.verified == 0 and process.claimed == 2


def test_finalize_freezes_verification(scored, line, owner, frozen):
    uptime_check(scored, line, owner)
    feed(line, start=NOW - 8 * DAY, end=NOW)
    evaluate_round(now=NOW)
    assessment_finalize(assessment=scored, user=owner)
    before = assessment_verification(assessment_figures(scored), now=NOW)
    assert before.frozen
    evaluate_round(now=NOW + 30 * DAY)  # the check fails and goes overdue after the finalize
    after = assessment_verification(assessment_figures(scored), now=NOW + 30 * DAY)
    assert after == before
    assert (
        after.of(scored.process_scores.get().process_id)
        .criterion("mfg-2-machine-data")
        .checks[0]
        .standing
        == "passing"
    )


def test_binding_and_tuning_are_facilitator_actions_and_audited(scored, line, owner, member):
    process = scored.process_scores.get().process
    role = scored.framework.definition.check(CHECK).roles[0]
    with pytest.raises(BindingRefused):
        check_bind(
            process=process,
            framework=scored.framework,
            check_key=CHECK,
            role=role,
            integration=line,
            user=member,
        )
    row = uptime_check(scored, line, owner)
    with pytest.raises(BindingRefused, match="stricter"):
        check_tune(process_check=row, user=owner, threshold=0.5, grace_days=None)
    check_tune(process_check=row, user=owner, threshold=0.999, grace_days=3)
    actions = list(
        AuditEvent.objects.filter(area="checks").order_by("at").values_list("action", flat=True)
    )
    assert actions == ["bind", "tune"]


def bind(scored, line, owner, key, metric=""):
    process = scored.process_scores.get().process
    check = scored.framework.definition.check(key)
    check_bind(
        process=process,
        framework=scored.framework,
        check_key=key,
        role=check.roles[0],
        integration=line,
        metric=metric,
        user=owner,
    )
    return ProcessCheck.objects.get(process=process, check_key=key)


def test_a_loop_posting_a_constant_value_fails_as_staged(scored, line, owner):
    row = bind(scored, line, owner, "mfg-2-machine-data-varies", metric="temp")
    ts = NOW - DAY
    while ts < NOW:
        telemetry_ingest(integration=line, points=[Point("temp", (), ts, 42.0)], now=ts)
        ts += STEP
    evaluate_round(now=NOW)
    row.refresh_from_db()
    assert row.state == "failing" and "staged" in row.reason


def test_backfill_after_a_failed_judgement_never_rewrites_it(scored, line, owner):
    row = uptime_check(scored, line, owner)
    evaluate_round(now=NOW)  # nothing has arrived: failing
    row.refresh_from_db()
    assert row.state == "failing"
    # The week is then uploaded late (store and forward), in small batches an hour later.
    ts = NOW - 8 * DAY
    while ts < NOW:
        points = [Point("temp", (), ts + i * STEP, 20.0 + i) for i in range(12)]
        telemetry_ingest(integration=line, points=points, now=NOW + timedelta(hours=1))
        ts += 12 * STEP
    evaluate_round(now=NOW + timedelta(hours=2))
    runs = list(CheckResult.objects.filter(process_check=row).order_by("first"))
    assert runs[0].state == "failing" and runs[0].first == NOW  # the judged window stays failed
    row.refresh_from_db()
    assert row.state == "failing"  # the late upload arrived in one burst: it cannot verify
