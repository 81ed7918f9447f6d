"""The roadmap arithmetic, without a database: milestones, priority, order, phases, projection."""

from datetime import date

import pytest

from assessments.charts.plotly.roadmap import DAY_MS, STATUS_COLOURS, GanttRow, gantt_figure
from assessments.framework.loading import default_framework
from assessments.roadmaps.rules.milestones import Planned, Slot, milestones_for, process_title
from assessments.roadmaps.rules.ordering import arrange, order_problems, prerequisites, schedule
from assessments.roadmaps.rules.phasing import phase_windows
from assessments.roadmaps.rules.priority import DimensionInput, ProcessInput, format_priority
from assessments.roadmaps.rules.projection import burnup, phase_projections

FRAMEWORK = default_framework()

PRESS = ProcessInput("1", "Press line", "manufacturing", business_value=5, current=1, target=3)
STORE = ProcessInput("2", "Warehouse", "logistics", business_value=2, current=0, target=1)
SECURITY_WEAK = DimensionInput("security", "Security and compliance", it=3.0, ot=1.0)
CONNECTIVITY_OK = DimensionInput("connectivity", "Connectivity", it=2.5, ot=2.0)


def keyed(items):
    return {i.key: i for i in items}


# --- Which milestones -------------------------------------------------------------------------


def test_one_milestone_per_level_step_from_the_first_transition_action():
    items = keyed(milestones_for(FRAMEWORK, [PRESS, STORE], [CONNECTIVITY_OK]))
    assert set(items) == {"step:1:2", "step:1:3", "step:2:1"}
    two = items["step:1:2"]
    assert (two.from_level, two.to_level, two.process_name) == (1, 2, "Press line")
    assert two.title == "Press line: collect machine data automatically, starting at the bottleneck"
    assert two.action_key == "mfg-step2-connect-machines"
    assert (two.responsibility, two.benefit) == ("foster-collaboration", "real-time-data")
    # The step's other recommended actions are listed in the description.
    assert "Also recommended for this step:\n- Put live OEE in front of the shift" in (
        two.description
    )
    action = FRAMEWORK.transition_actions("logistics", 1)[0].title
    assert items["step:2:1"].title == process_title(action, "Warehouse")
    assert items["step:2:1"].title.startswith("Warehouse: ")


def test_a_step_title_names_its_process_once_and_keeps_acronyms():
    shared = "Connect ERP and MES in both directions"
    assert process_title(shared, "Order to cash") == (
        "Order to cash: connect ERP and MES in both directions"
    )
    assert process_title(shared, "Press line") != process_title(shared, "Order to cash")
    assert process_title("MES rollout", "Press line") == "Press line: MES rollout"
    assert process_title("Press line: MES rollout", "Press line") == "Press line: MES rollout"
    assert process_title("Segment the network", "") == "Segment the network"


def test_priority_is_gap_weight_times_business_value_and_says_so():
    items = keyed(milestones_for(FRAMEWORK, [PRESS, STORE], []))
    # Press line: gap 2, weight (1 + 2)^2 - 1 = 8, times value 5 = 40, on both of its steps.
    assert items["step:1:2"].priority == items["step:1:3"].priority == 40
    assert items["step:1:2"].explanation == (
        "gap weight 8 (current 1 → target 3) × business value 5 = 40"
    )
    # Warehouse: gap 1, weight 3, times value 2 = 6.
    assert items["step:2:1"].priority == 6
    assert items["step:2:1"].explanation == (
        "gap weight 3 (current 0 → target 1) × business value 2 = 6"
    )


def test_telemetry_health_factor_scales_the_priority_and_shows_in_the_explanation():
    shaky = ProcessInput("1", "Press line", "manufacturing", 5, current=1, target=3, health=0.5)
    (first, _) = milestones_for(FRAMEWORK, [shaky], [])
    assert first.priority == 20
    assert first.explanation == (
        "gap weight 8 (current 1 → target 3) × business value 5 × telemetry health 0.5 = 20"
    )


def test_no_milestones_without_a_gap_or_a_target():
    at_target = ProcessInput("1", "Done", "finance", 3, current=2, target=2)
    above = ProcessInput("2", "Above", "finance", 3, current=3, target=2)
    untargeted = ProcessInput("3", "Open", "finance", 3, current=1, target=None)
    assert milestones_for(FRAMEWORK, [at_target, above, untargeted], [SECURITY_WEAK]) == []


# --- Readiness gates --------------------------------------------------------------------------


def test_weak_security_adds_segmentation_before_every_step_to_level_two_or_more():
    items = keyed(milestones_for(FRAMEWORK, [PRESS, STORE], [SECURITY_WEAK, CONNECTIVITY_OK]))
    segment = items["readiness:security"]
    assert segment.title == "Segment the OT network with the security team"
    assert (segment.responsibility, segment.benefit) == ("ensure-security", "safety-compliance")
    assert "OT 1.00 of 4, below the 2 that live data needs" in segment.description
    # It gates both Press line steps (to 2 and to 3), not the Warehouse's step to 1.
    before = prerequisites(items.values())
    assert before["step:1:2"] == {"readiness:security"}
    assert before["step:1:3"] == {"step:1:2", "readiness:security"}
    assert before["step:2:1"] == set()
    assert "readiness:connectivity" not in items  # both sides at 2 or above


def test_a_readiness_milestone_takes_the_highest_priority_of_what_it_gates():
    small = ProcessInput("3", "Boiler room", "energy", business_value=1, current=1, target=2)
    items = keyed(milestones_for(FRAMEWORK, [PRESS, small], [SECURITY_WEAK]))
    # Boiler room's step weighs 3 × 1 = 3; Press line's 40: the gate gets 40.
    assert items["step:3:2"].priority == 3
    assert items["readiness:security"].priority == 40
    assert items["readiness:security"].explanation == (
        "40, the highest priority of the 3 steps it gates: Press line 1 → 2"
    )


def test_security_readiness_comes_before_connectivity_readiness():
    weak_connectivity = DimensionInput("connectivity", "Connectivity", it=2.0, ot=1.5)
    items = milestones_for(FRAMEWORK, [PRESS], [weak_connectivity, SECURITY_WEAK])
    before = prerequisites(items)
    assert before["readiness:connectivity"] == {"readiness:security"}
    order = [i.key for i in schedule(items, capacity=10)]
    assert order == [
        "readiness:security",
        "readiness:connectivity",
        "step:1:2",
        "step:1:3",
    ]


def test_a_weak_dimension_that_gates_nothing_adds_nothing():
    assert [i.key for i in milestones_for(FRAMEWORK, [STORE], [SECURITY_WEAK])] == ["step:2:1"]


def test_out_of_scope_and_unanswered_dimensions_gate_nothing():
    out = DimensionInput("security", "Security", it=0.0, ot=0.0, in_scope=False)
    unanswered = DimensionInput("connectivity", "Connectivity", it=None, ot=None)
    keys = [i.key for i in milestones_for(FRAMEWORK, [PRESS], [out, unanswered])]
    assert keys == ["step:1:2", "step:1:3"]


def test_a_side_exactly_at_the_minimum_is_not_weak():
    assert DimensionInput("d", "D", it=2.0, ot=1.99).weak_sides == [("OT", 1.99)]
    assert DimensionInput("d", "D", it=2.0, ot=2.0).weak_sides == []


# --- Order and phases -------------------------------------------------------------------------


def test_phases_fill_in_priority_order_within_capacity_respecting_the_order():
    items = milestones_for(FRAMEWORK, [PRESS, STORE], [SECURITY_WEAK])
    scheduled = [(i.key, i.phase) for i in schedule(items, capacity=2)]
    # Segmentation (40) first, then Press line 1 → 2 (40); 2 → 3 must wait for 1 → 2 and now
    # is full, so it goes next, with the Warehouse step (6).
    assert scheduled == [
        ("readiness:security", "now"),
        ("step:1:2", "now"),
        ("step:1:3", "next"),
        ("step:2:1", "next"),
    ]


def test_later_takes_whatever_now_and_next_have_no_room_for():
    items = milestones_for(FRAMEWORK, [PRESS, STORE], [SECURITY_WEAK])
    phases = [i.phase for i in schedule(items, capacity=1)]
    assert phases == ["now", "next", "later", "later"]


def test_a_higher_priority_step_does_not_jump_the_step_below_it():
    big = ProcessInput("9", "Big", "retail", business_value=5, current=0, target=4)  # 24 × 5
    items = milestones_for(FRAMEWORK, [big, STORE], [])
    order = [i.key for i in schedule(items, capacity=10)]
    assert order == ["step:9:1", "step:9:2", "step:9:3", "step:9:4", "step:2:1"]


def test_capacity_must_be_at_least_one():
    with pytest.raises(ValueError, match="capacity"):
        schedule([], capacity=0)


def test_pinned_open_work_uses_up_its_phase_and_new_work_goes_after_what_it_waits_for():
    pinned = [
        Slot(key=1, kind="custom", phase="now", position=0, title="Kick-off"),
        Slot(key=2, kind="step", phase="next", position=1, process_key="1", to_level=2),
        Slot(key=3, kind="step", phase="now", position=2, done=True, process_key="7", to_level=1),
    ]
    free = [
        Planned(key="step:1:3", kind="step", title="3", priority=40, process_key="1", to_level=3),
        Planned(key="step:2:1", kind="step", title="1", priority=6, process_key="2", to_level=1),
    ]
    order = arrange(pinned, free, capacity=2)
    # Now holds one open item (the done one does not count), so the Warehouse step fits there;
    # Press line 2 → 3 waits for its step below, pinned in next.
    assert order == [(1, "now"), (3, "now"), ("step:2:1", "now"), (2, "next"), ("step:1:3", "next")]


def test_new_readiness_work_goes_before_pinned_steps_it_gates():
    pinned = [
        Slot(key=1, kind="step", phase="now", position=0, process_key="1", to_level=2),
        Slot(key=2, kind="step", phase="now", position=1, process_key="2", to_level=1),
    ]
    gate = Planned(
        key="readiness:security",
        kind="readiness",
        title="Segment",
        priority=40,
        dimension_key="security",
    )
    order = arrange(pinned, [gate], capacity=5)
    assert order == [("readiness:security", "now"), (1, "now"), (2, "now")]


def test_order_problems_name_what_must_come_first():
    slots = [
        Slot(key=1, kind="step", phase="now", position=0, process_key="1", to_level=3, title="B"),
        Slot(key=2, kind="step", phase="next", position=1, process_key="1", to_level=2, title="A"),
    ]
    (problem,) = order_problems(slots)
    assert str(problem) == "“B” must come after “A”."
    done_first = [slots[0], Slot(**{**slots[1].__dict__, "done": True})]
    assert order_problems(done_first) == []


def test_phase_windows_run_from_the_start_date():
    now, nxt, later = phase_windows(date(2026, 1, 1), 90)
    assert (now.start, now.end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert (nxt.start, nxt.end) == (date(2026, 4, 1), date(2026, 6, 29))
    assert later.start == date(2026, 6, 30) and later.open_ended


# --- Projection -------------------------------------------------------------------------------


def test_each_phase_projects_the_samr_index_once_it_and_earlier_phases_are_done():
    slots = [
        Slot(key=1, kind="readiness", phase="now", dimension_key="security"),
        Slot(key=2, kind="step", phase="now", process_key="1", to_level=2),
        Slot(key=3, kind="step", phase="next", process_key="1", to_level=3),
        Slot(key=4, kind="step", phase="next", process_key="2", to_level=1),
    ]
    projection = phase_projections([PRESS, STORE], slots)
    # Today (5 × 1 + 2 × 0) / 7; after now Press line is at 2: 10 / 7; after next 3 and 1: 17 / 7.
    assert projection["now"] == pytest.approx(10 / 7)
    assert projection["next"] == pytest.approx(17 / 7)
    assert projection["later"] == pytest.approx(17 / 7)


def test_a_level_counts_only_when_every_step_below_it_is_done():
    slots = [
        Slot(key=1, kind="step", phase="now", process_key="1", to_level=3),
        Slot(key=2, kind="step", phase="later", process_key="1", to_level=2),
    ]
    projection = phase_projections([PRESS], slots)
    assert projection["now"] == projection["next"] == 1
    assert projection["later"] == 3


def test_done_steps_count_from_the_first_phase():
    slots = [Slot(key=1, kind="step", phase="later", process_key="2", to_level=1, done=True)]
    assert phase_projections([STORE], slots)["now"] == 1


# --- Burn-up ----------------------------------------------------------------------------------


def test_burnup_projects_the_finish_from_the_pace_so_far():
    b = burnup(
        start=date(2026, 1, 1),
        today=date(2026, 1, 31),
        completed=[date(2026, 1, 11), date(2026, 1, 21), date(2026, 1, 21)],
        total=9,
    )
    assert b.points == [
        (date(2026, 1, 1), 0),
        (date(2026, 1, 11), 1),
        (date(2026, 1, 21), 3),
        (date(2026, 1, 31), 3),
    ]
    # 3 done in 30 days: 0.1 a day, 6 to go: 60 more days.
    assert b.per_week == 0.7
    assert b.projected_finish == date(2026, 4, 1)


def test_burnup_without_anything_done_has_no_projection():
    b = burnup(start=date(2026, 1, 1), today=date(2026, 2, 1), completed=[], total=4)
    assert b.projected_finish is None and b.per_week is None
    assert b.points == [(date(2026, 1, 1), 0), (date(2026, 2, 1), 0)]


def test_burnup_all_done_finishes_on_the_last_completion():
    b = burnup(
        start=date(2026, 1, 1), today=date(2026, 3, 1), completed=[date(2026, 2, 3)], total=1
    )
    assert b.projected_finish == date(2026, 2, 3)


def test_priorities_show_without_trailing_zeros():
    assert format_priority(40) == "40"
    assert format_priority(30.5) == "30.5"
    assert format_priority(2.345) == "2.35"


def test_gantt_bars_start_at_their_dates_and_last_to_the_due_day():
    rows = [
        GanttRow("1. Segment", date(2026, 1, 1), date(2026, 1, 10), "done", "now"),
        GanttRow("2. Connect", date(2026, 1, 1), date(2026, 3, 31), "planned", "now", True),
    ]
    figure = gantt_figure(rows, phase_windows(date(2026, 1, 1), 90), date(2026, 2, 1))
    planned, done = figure["data"]  # traces in status order: planned, …, done
    assert (planned["name"], done["name"]) == ("Planned", "Done")
    assert done["base"] == ["2026-01-01"] and done["x"] == [10 * DAY_MS]
    assert planned["marker"]["line"]["color"] == [STATUS_COLOURS["blocked"]]  # overdue
    assert figure["layout"]["xaxis"]["type"] == "date"


def test_gantt_labels_wrap_and_are_never_cut():
    title = "3. Press line 3 maintenance: connect ERP and MES in both directions <b>"
    rows = [GanttRow(title, date(2026, 1, 1), date(2026, 1, 10), "planned", "now")]
    figure = gantt_figure(rows, phase_windows(date(2026, 1, 1), 90), date(2026, 2, 1))
    label = figure["data"][0]["y"][0]
    assert "…" not in label and label.count("<br>") == 1
    assert label.replace("<br>", " ") == title.replace("<b>", "&lt;b&gt;")
    assert figure["layout"]["yaxis"]["categoryarray"] == [label]
