"""Generating, regenerating and editing roadmaps on hand-built assessments."""

from datetime import date, datetime

import pytest
from django.utils import timezone

from assessments.models import Milestone
from assessments.roadmaps.activity import roadmap_activity
from assessments.roadmaps.editing import (
    OrderRefused,
    milestone_comment_add,
    milestone_create,
    milestone_move,
    milestone_remove,
    milestone_restore,
    milestone_status_set,
    milestone_update,
    roadmap_update,
)
from assessments.roadmaps.generate import roadmap_generate
from assessments.roadmaps.reading import roadmap_plan
from assessments.roadmaps.regenerate import roadmap_regenerate
from assessments.roadmaps.rules.ordering import order_problems
from audit.models import AuditEvent
from tests.assessments.conftest import (
    answer_dimension,
    answer_levels,
    make_assessment,
    make_process,
)
from tests.assessments.evidence_helpers import accept_evidence

START = date(2026, 1, 1)


def set_targets(assessment, **targets):
    for score in assessment.process_scores.select_related("process"):
        score.target_level = targets[score.process.name.split()[0].lower()]
        score.save()


@pytest.fixture
def processes(org):
    return [
        make_process(org, "Press line", value=5),
        make_process(org, "Warehouse picking", area="logistics", value=2),
        make_process(org, "Boiler room", area="energy", value=3),
    ]


@pytest.fixture
def first(org, framework, owner, processes):
    """Press line 1 → 3 (weight 8 × 5), Warehouse 0 → 1 (3 × 2), Boiler 1 → 2 (3 × 3); OT
    security at 1."""
    assessment = make_assessment(org, framework, processes, title="Spring")
    scores = {s.process.name: s for s in assessment.process_scores.select_related("process")}
    answer_levels(scores["Press line"], owner, {1: "fully"})
    answer_levels(scores["Boiler room"], owner, {1: "fully"})
    # Verified as claimed, here and in `second` (evidence is the process's): priority × 1.
    accept_evidence(scores["Press line"], owner, [1, 2])
    accept_evidence(scores["Boiler room"], owner, [1])
    set_targets(assessment, press=3, warehouse=1, boiler=2)
    answer_dimension(assessment, owner, "security", it=3, ot=1)
    answer_dimension(assessment, owner, "connectivity", it=2, ot=2)
    return assessment


@pytest.fixture
def second(org, framework, owner, processes):
    """Press line now at 2 aiming for 4, Warehouse no longer targeted, Boiler aims for 3;
    security fixed."""
    assessment = make_assessment(org, framework, processes, title="Autumn")
    scores = {s.process.name: s for s in assessment.process_scores.select_related("process")}
    answer_levels(scores["Press line"], owner, {1: "fully", 2: "fully"})
    answer_levels(scores["Boiler room"], owner, {1: "fully"})
    set_targets(assessment, press=4, warehouse=0, boiler=3)
    answer_dimension(assessment, owner, "security", it=3, ot=2)
    return assessment


def generate(assessment, owner, capacity=2):
    return roadmap_generate(assessment=assessment, user=owner, start_date=START, capacity=capacity)


def plan_of(roadmap):
    return [(m.key, m.phase, m.priority) for m in roadmap.milestones.active().in_plan_order()]


# --- Generate ---------------------------------------------------------------------------------


def test_generation_orders_gates_and_prices_the_milestones(first, owner, processes):
    press, warehouse, boiler = (str(p.pk) for p in processes)
    roadmap = generate(first, owner)
    # Segmentation gates Press line 1 → 2 and 2 → 3 and Boiler 1 → 2 and takes their highest
    # priority, 40; Boiler's step (9) must wait for it too, the Warehouse step (6) need not.
    assert plan_of(roadmap) == [
        ("readiness:security", "now", 40),
        (f"step:{press}:2", "now", 40),
        (f"step:{press}:3", "next", 40),
        (f"step:{boiler}:2", "next", 9),
        (f"step:{warehouse}:1", "later", 6),
    ]
    boiler_step = roadmap.milestones.get(key=f"step:{boiler}:2")
    assert boiler_step.priority_explanation == (
        "gap weight 3 (current 1 → target 2) × business value 3 = 9"
    )
    assert boiler_step.responsibility and boiler_step.benefit
    assert boiler_step.process.name == "Boiler room"
    segment = roadmap.milestones.get(key="readiness:security")
    assert segment.title == "Segment the OT network with the security team"
    assert segment.responsibility == "ensure-security"


def test_generation_dates_the_phases_and_keeps_the_baseline(first, owner):
    roadmap = generate(first, owner)
    due = dict(roadmap.milestones.values_list("phase", "due_date").distinct())
    assert due == {"now": date(2026, 3, 31), "next": date(2026, 6, 29), "later": date(2026, 9, 27)}
    assert {row["name"]: row["current"] for row in roadmap.baseline} == {
        "Press line": 1,
        "Warehouse picking": 0,
        "Boiler room": 1,
    }
    assert roadmap.title == "Roadmap from Spring"
    assert AuditEvent.of_scope(roadmap).get().text == "Generated from Spring: 5 milestones."


def test_each_phase_shows_the_projected_samr_index(first, owner):
    plan = roadmap_plan(generate(first, owner))
    # Values 5, 2, 3; today (5 × 1 + 2 × 0 + 3 × 1) / 10 = 0.8.
    assert plan.baseline_index == pytest.approx(0.8)
    # After now Press line is at 2: 1.3; after next also at 3 and Boiler at 2: 2.1;
    # after later the Warehouse reaches 1: 2.3, the target index.
    assert [p.projected for p in plan.phases] == pytest.approx([1.3, 2.1, 2.3])
    assert plan.target_index == pytest.approx(2.3)
    assert [p.projected_display for p in plan.phases] == ["1.30", "2.10", "2.30"]
    assert plan.problems == []


def test_a_final_assessment_generates_too(first, owner):
    first.finalize()
    assert generate(first, owner).milestones.count() == 5


# --- Regenerate -------------------------------------------------------------------------------


@pytest.fixture
def worked_on(first, owner, processes):
    """The spring roadmap after people worked on it: segmentation done, Press line 2 → 3
    retitled, one milestone added by hand."""
    press = processes[0].pk
    roadmap = generate(first, owner)
    segment = roadmap.milestones.get(key="readiness:security")
    milestone_status_set(milestone=segment, user=owner, status="done")
    retitled = roadmap.milestones.get(key=f"step:{press}:3")
    milestone_update(
        milestone=retitled, user=owner, changes={"title": "Connect MES and ERP for press 3"}
    )
    milestone_create(roadmap=roadmap, user=owner, title="Hire an OT engineer", phase="now")
    return roadmap


def test_regeneration_keeps_edits_and_done_work_and_reports_what_changed(
    worked_on, second, owner, processes
):
    press, warehouse, boiler = (p.pk for p in processes)
    report = roadmap_regenerate(roadmap=worked_on, assessment=second, user=owner)

    assert {m.key for m in report.added} == {f"step:{press}:4", f"step:{boiler}:3"}
    # Boiler 1 → 2 weighs more now, and moves up into now, where the retired step left room.
    assert [(m.key, changes) for m, changes in report.updated] == [
        (f"step:{boiler}:2", ["priority 9 → 24", "phase Next → Now"])
    ]
    assert {m.key for m in report.retired} == {f"step:{press}:2", f"step:{warehouse}:1"}
    assert {(m.key, why) for m, why in report.kept} == {
        ("readiness:security", "done; the new assessment no longer needs it"),
        (f"step:{press}:3", "edited by people, so not updated"),
    }
    assert report.summary() == (
        "Regenerated from Autumn: 2 added, 1 updated, 2 retired, 2 kept as people left them."
    )

    milestones = {m.key: m for m in worked_on.milestones.all()}
    assert milestones[f"step:{press}:3"].title == "Connect MES and ERP for press 3"
    assert milestones["readiness:security"].status == "done"
    retired = milestones[f"step:{press}:2"]
    assert retired.retired is not None  # retired, not deleted
    assert retired.retired_reason == "no longer called for from Autumn"
    assert worked_on.milestones.filter(title="Hire an OT engineer", retired=None).exists()
    worked_on.refresh_from_db()
    assert worked_on.assessment == second
    assert {row["name"]: row["current"] for row in worked_on.baseline}["Press line"] == 2


def test_regeneration_places_new_steps_after_the_ones_below_them(
    worked_on, second, owner, processes
):
    press = processes[0].pk
    roadmap_regenerate(roadmap=worked_on, assessment=second, user=owner)
    order = [m.key for m in worked_on.milestones.active().in_plan_order()]
    assert order.index(f"step:{press}:4") > order.index(f"step:{press}:3")
    slots = [m.as_slot() for m in worked_on.milestones.active().in_plan_order()]
    assert order_problems(slots) == []


def test_regenerating_again_changes_nothing(worked_on, second, owner):
    roadmap_regenerate(roadmap=worked_on, assessment=second, user=owner)
    before = plan_of(worked_on)
    report = roadmap_regenerate(roadmap=worked_on, assessment=second, user=owner)
    assert not report.changed
    assert plan_of(worked_on) == before


def test_a_retired_step_comes_back_when_an_assessment_calls_for_it_again(
    worked_on, first, second, owner, processes
):
    press = processes[0].pk
    roadmap_regenerate(roadmap=worked_on, assessment=second, user=owner)
    report = roadmap_regenerate(roadmap=worked_on, assessment=first, user=owner)
    assert f"step:{press}:2" in {m.key for m in report.added}
    assert worked_on.milestones.get(key=f"step:{press}:2").retired is None


def test_a_removed_milestone_stays_removed(first, owner, processes):
    warehouse = processes[1].pk
    roadmap = generate(first, owner)
    step = roadmap.milestones.get(key=f"step:{warehouse}:1")
    milestone_remove(milestone=step, user=owner)
    report = roadmap_regenerate(roadmap=roadmap, assessment=first, user=owner)
    assert report.added == []
    assert [(m.key, why) for m, why in report.kept] == [
        (f"step:{warehouse}:1", "removed by a person, so left out")
    ]
    assert roadmap.milestones.get(key=f"step:{warehouse}:1").retired is not None


def test_started_work_is_kept_even_when_no_longer_needed(first, second, owner, processes):
    warehouse = processes[1].pk
    roadmap = generate(first, owner)
    step = roadmap.milestones.get(key=f"step:{warehouse}:1")
    milestone_status_set(milestone=step, user=owner, status="in_progress")
    report = roadmap_regenerate(roadmap=roadmap, assessment=second, user=owner)
    assert (step.pk, "work has started; the new assessment no longer needs it") in {
        (m.pk, why) for m, why in report.kept
    }
    assert roadmap.milestones.get(pk=step.pk).retired is None


def test_regeneration_is_logged(worked_on, second, owner):
    roadmap_regenerate(roadmap=worked_on, assessment=second, user=owner)
    latest = roadmap_activity(worked_on)[0]
    assert latest.action == "regenerated"
    assert latest.text.startswith("Regenerated from Autumn: 2 added")
    assert [a.action for a in roadmap_activity(worked_on)].count("retired") == 2


def test_another_organisations_assessment_is_refused(first, owner, other_org, framework):
    roadmap = generate(first, owner)
    theirs = make_assessment(other_org, framework, title="Theirs")
    with pytest.raises(ValueError, match="another organisation"):
        roadmap_regenerate(roadmap=roadmap, assessment=theirs, user=owner)


# --- Edit and track ---------------------------------------------------------------------------


def test_moving_up_and_down_reorders_within_the_phase_and_across_phases(first, owner, processes):
    warehouse = processes[1].pk
    roadmap = generate(first, owner, capacity=5)

    def keys():
        return [(m.key, m.phase) for m in roadmap.milestones.active().in_plan_order()]

    warehouse_step = roadmap.milestones.get(key=f"step:{warehouse}:1")
    assert keys()[-1] == (f"step:{warehouse}:1", "now")
    milestone_move(milestone=warehouse_step, user=owner, direction="up")
    assert keys()[-2] == (f"step:{warehouse}:1", "now")
    warehouse_step.refresh_from_db()
    assert warehouse_step.edited
    milestone_move(milestone=warehouse_step, user=owner, direction="down")
    milestone_move(milestone=warehouse_step, user=owner, direction="down")
    assert keys()[-1] == (f"step:{warehouse}:1", "next")  # past the end of now: into next
    warehouse_step.refresh_from_db()
    assert warehouse_step.due_date == date(2026, 6, 29)  # the phase's day, so it moved too
    assert [a.action for a in roadmap_activity(roadmap)].count("moved") == 3


def test_a_move_before_what_it_waits_for_is_refused(first, owner, processes):
    roadmap = generate(first, owner, capacity=5)
    press_step = roadmap.milestones.get(key=f"step:{processes[0].pk}:2")
    before = plan_of(roadmap)
    with pytest.raises(OrderRefused, match="must come after “Segment the OT network"):
        milestone_move(milestone=press_step, user=owner, direction="up")
    with pytest.raises(OrderRefused):
        milestone_update(milestone=press_step, user=owner, changes={"phase": "later"})
    assert plan_of(roadmap) == before


def test_moving_to_another_phase_puts_it_at_the_end_and_marks_it_edited(first, owner, processes):
    roadmap = generate(first, owner)
    warehouse_step = roadmap.milestones.get(key=f"step:{processes[1].pk}:1")
    milestone_update(milestone=warehouse_step, user=owner, changes={"phase": "now"})
    now = [m.key for m in roadmap.milestones.active().in_plan_order() if m.phase == "now"]
    assert now[-1] == warehouse_step.key
    warehouse_step.refresh_from_db()
    assert warehouse_step.edited
    assert roadmap_activity(roadmap)[0].text == "Changed phase Later → Now."


def test_tracking_changes_are_logged_but_do_not_count_as_edits(first, owner, member):
    roadmap = generate(first, owner)
    milestone = roadmap.milestones.get(key="readiness:security")
    moment = timezone.make_aware(datetime(2026, 2, 3, 10, 0))
    milestone_update(
        milestone=milestone, user=owner, changes={"owner": member, "due_date": date(2026, 2, 1)}
    )
    milestone_status_set(milestone=milestone, user=member, status="done", now=moment)
    milestone.refresh_from_db()
    assert not milestone.edited
    assert milestone.completed == moment
    log = AuditEvent.of_scope(milestone).order_by("pk")
    assert list(log.values_list("actor__email", "text")) == [
        (
            "owner@acme.test",
            "Changed owner – → member@acme.test, due date 31 Mar 2026 → 01 Feb 2026.",
        ),
        ("member@acme.test", "Status Planned → Done."),
    ]
    milestone_status_set(milestone=milestone, user=member, status="in_progress")
    milestone.refresh_from_db()
    assert milestone.completed is None


def test_comments_are_kept_and_logged(first, owner, member):
    milestone = generate(first, owner).milestones.first()
    milestone_comment_add(milestone=milestone, user=member, text="  Ordered the switches. ")
    assert milestone.comments.get().text == "Ordered the switches."
    assert AuditEvent.of_scope(milestone).get().text == f"Commented on {milestone.title}."


def test_a_removed_milestone_refuses_changes_until_put_back(first, owner):
    milestone = generate(first, owner).milestones.last()
    milestone_remove(milestone=milestone, user=owner)
    with pytest.raises(OrderRefused, match="no longer on the roadmap"):
        milestone_status_set(milestone=milestone, user=owner, status="done")
    milestone_restore(milestone=milestone, user=owner)
    milestone_status_set(milestone=milestone, user=owner, status="done")
    assert Milestone.objects.get(pk=milestone.pk).status == "done"


def test_changing_the_start_date_moves_due_dates_left_on_their_phase_end(first, owner, member):
    roadmap = generate(first, owner)
    custom = roadmap.milestones.get(key="readiness:security")
    milestone_update(milestone=custom, user=owner, changes={"due_date": date(2026, 2, 14)})
    roadmap_update(roadmap=roadmap, user=owner, changes={"start_date": date(2026, 2, 1)})
    due = dict(roadmap.milestones.values_list("key", "due_date"))
    assert due["readiness:security"] == date(2026, 2, 14)  # set by a person: stays
    assert sorted(set(due.values()) - {date(2026, 2, 14)}) == [
        date(2026, 5, 1),
        date(2026, 7, 30),
        date(2026, 10, 28),
    ]
