"""The shipped framework: its areas, levels, criteria, dimensions and actions, lookups by key,
and snapshots that survive a JSON field."""

import json

import pytest

from assessments.framework.fields import FrameworkError
from assessments.framework.loading import DEFAULT_FRAMEWORK_FILE, default_framework, load_framework
from assessments.framework.model import Framework

REQUIRED_AREAS = {"manufacturing", "retail", "logistics", "energy", "finance"}
REQUIRED_DIMENSIONS = {
    "connectivity",
    "integration-architecture",
    "security",
    "people-skills",
    "collaboration",
    "change-management",
    "goal-alignment",
}


# The shipped framework


def test_shipped_framework_loads():
    framework = load_framework(DEFAULT_FRAMEWORK_FILE)

    assert framework.id == "ladder"
    assert framework.version == "2026.2"
    assert framework.title == "Ladder IT/OT integration framework"


def test_default_framework_is_loaded_once():
    assert default_framework() is default_framework()


def test_it_has_the_five_areas_at_least():
    areas = {area.key: area.name for area in default_framework().areas}

    assert set(areas) >= REQUIRED_AREAS
    assert areas["finance"] == "Finance and back office"


def test_samr_levels_are_0_to_4_in_order():
    levels = default_framework().samr_levels

    assert [(lv.level, lv.key) for lv in levels] == [
        (0, "manual"),
        (1, "substitution"),
        (2, "augmentation"),
        (3, "modification"),
        (4, "redefinition"),
    ]
    assert all(lv.descriptor for lv in levels)


def test_every_area_has_2_to_4_criteria_per_level():
    framework = default_framework()

    for area in framework.areas:
        assert framework.criteria_for(area.key, 0) == ()
        for level in range(1, 5):
            criteria = framework.criteria_for(area.key, level)
            assert 2 <= len(criteria) <= 4, (area.key, level)
            assert all(c.area == area.key and c.level == level for c in criteria)


def test_it_has_seven_dimensions_with_3_to_6_questions():
    dimensions = default_framework().dimensions

    assert {d.key for d in dimensions} >= REQUIRED_DIMENSIONS
    for dimension in dimensions:
        assert 3 <= len(dimension.questions) <= 6, dimension.key
        assert all(q.dimension == dimension.key for q in dimension.questions)


def test_every_question_describes_levels_0_to_4():
    for dimension in default_framework().dimensions:
        for question in dimension.questions:
            assert list(question.levels) == [0, 1, 2, 3, 4], question.key
            assert all(question.levels.values())


def test_every_area_step_has_1_to_3_actions():
    framework = default_framework()

    for area in framework.areas:
        for step in range(1, 5):
            actions = framework.transition_actions(area.key, step)
            assert 1 <= len(actions) <= 3, (area.key, step)


def test_every_dimension_has_1_to_3_readiness_actions():
    framework = default_framework()

    for dimension in framework.dimensions:
        assert 1 <= len(framework.readiness_actions(dimension.key)) <= 3, dimension.key


def test_responsibilities_are_the_coos_four():
    keys = [r.key for r in default_framework().responsibilities]

    assert keys == ["align-goals", "foster-collaboration", "lead-change", "ensure-security"]


def test_benefits_are_the_seeds_five():
    keys = [b.key for b in default_framework().benefits]

    assert keys == [
        "real-time-data",
        "predictive-maintenance",
        "efficiency",
        "resource-management",
        "safety-compliance",
    ]


def test_every_action_is_tagged_and_every_tag_is_used():
    framework = default_framework()
    responsibilities = {r.key for r in framework.responsibilities}
    benefits = {b.key for b in framework.benefits}

    assert {a.responsibility for a in framework.actions} == responsibilities
    assert {a.benefit for a in framework.actions} == benefits


def test_lookups_find_by_key():
    framework = default_framework()

    assert framework.dimension("security").name == "Security and compliance"
    assert framework.question("security-segmentation").dimension == "security"
    assert framework.area("finance").name == "Finance and back office"
    assert framework.samr_level(2).name == "Augmentation"
    assert framework.responsibility("lead-change").name == "Lead change management"
    assert framework.benefit("efficiency").name == "Increased efficiency"
    action = framework.transition_actions("manufacturing", 2)[0]
    assert (action.area, action.step, action.dimension) == ("manufacturing", 2, None)
    action = framework.readiness_actions("security")[0]
    assert (action.area, action.step, action.dimension) == (None, None, "security")


def test_lookups_refuse_unknown_keys():
    framework = default_framework()

    with pytest.raises(KeyError):
        framework.question("no-such-question")
    with pytest.raises(KeyError):
        framework.criteria_for("mining", 1)
    with pytest.raises(KeyError):
        framework.transition_actions("mining", 1)
    with pytest.raises(KeyError):
        framework.readiness_actions("no-such-dimension")
    with pytest.raises(KeyError):
        framework.samr_level(5)


# Snapshots


def test_from_dict_round_trips():
    framework = default_framework()

    assert Framework.from_dict(framework.as_dict()) == framework


def test_as_dict_survives_json_as_a_json_field_would_store_it():
    framework = default_framework()
    data = framework.as_dict()
    stored = json.loads(json.dumps(data))

    assert stored == data
    assert Framework.from_dict(stored) == framework


def test_as_dict_has_the_files_shape():
    data = default_framework().as_dict()

    assert data["criteria"]["retail"]["2"][0]["key"] == "ret-2-pos-inventory-sync"
    assert data["dimensions"][0]["questions"][0]["levels"]["4"]
    assert data["actions"]["readiness"]["security"][0]["responsibility"] == "ensure-security"


def test_from_dict_validates_the_snapshot():
    data = default_framework().as_dict()
    del data["title"]

    with pytest.raises(FrameworkError, match="framework snapshot: title: missing"):
        Framework.from_dict(data)
