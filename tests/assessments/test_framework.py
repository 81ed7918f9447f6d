import copy
import json
from functools import cache

import pytest
import yaml

from assessments.framework import (
    DEFAULT_FRAMEWORK_FILE,
    Framework,
    FrameworkError,
    default_framework,
    load_framework,
    parse_framework,
)

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


@cache
def _shipped_data() -> dict:
    return yaml.safe_load(DEFAULT_FRAMEWORK_FILE.read_text(encoding="utf-8"))


def shipped_data() -> dict:
    """A fresh copy of the shipped file as plain data, for a test to break one thing in."""
    return copy.deepcopy(_shipped_data())


def error_for(data) -> str:
    """The FrameworkError message for `data` written out as a file named broken.yaml."""
    with pytest.raises(FrameworkError) as excinfo:
        parse_framework(yaml.safe_dump(data, sort_keys=False), "broken.yaml")
    return str(excinfo.value)


# The shipped framework


def test_shipped_framework_loads():
    framework = load_framework(DEFAULT_FRAMEWORK_FILE)

    assert framework.id == "ladder"
    assert framework.version == "2026.1"
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


# Broken files


def test_it_rejects_a_yaml_syntax_error_with_its_line():
    text = "id: ladder\nversion: '2026.1'\nareas: [unclosed\n"

    with pytest.raises(FrameworkError, match=r"^bad\.yaml: line \d+, column \d+: invalid YAML"):
        parse_framework(text, "bad.yaml")


def test_it_refuses_python_tags():
    text = "id: !!python/object/apply:os.system ['echo hacked']\n"

    with pytest.raises(FrameworkError, match=r"^tags.yaml: line 1, column 5: invalid YAML"):
        parse_framework(text, "tags.yaml")


def test_it_survives_an_alias_bomb():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 12)]

    with pytest.raises(FrameworkError, match="bomb.yaml: a0: unknown field"):
        parse_framework("\n".join(lines), "bomb.yaml")


def test_it_rejects_a_top_level_that_is_not_a_mapping():
    with pytest.raises(FrameworkError, match="list.yaml: top level: must be a mapping, got a list"):
        parse_framework("- one\n- two\n", "list.yaml")


def test_it_rejects_an_empty_file():
    with pytest.raises(
        FrameworkError, match="empty.yaml: top level: must be a mapping, got nothing"
    ):
        parse_framework("", "empty.yaml")


def test_it_rejects_a_missing_title():
    data = shipped_data()
    del data["title"]

    assert error_for(data) == "broken.yaml: title: missing"


def test_it_rejects_an_empty_list_of_areas():
    data = shipped_data()
    data["areas"] = []

    assert "broken.yaml: areas: must not be empty" in error_for(data)


def test_it_rejects_an_unquoted_version():
    data = shipped_data()
    data["version"] = 2026.1

    assert (
        error_for(data)
        == 'broken.yaml: version: must be a string; quote it, e.g. version: "2026.1"'
    )


def test_it_rejects_a_wrong_type():
    data = shipped_data()
    data["dimensions"][1]["questions"][0]["text"] = ["not", "text"]

    assert error_for(data) == (
        "broken.yaml: dimensions[1].questions[0].text: must be a string, got a list"
    )


def test_it_rejects_an_unknown_field():
    data = shipped_data()
    data["areas"][0]["colour"] = "blue"

    assert error_for(data) == ("broken.yaml: areas[0].colour: unknown field; expected key, name")


def test_it_rejects_samr_levels_that_are_not_0_to_4():
    data = shipped_data()
    del data["samr_levels"][3]

    assert error_for(data) == "broken.yaml: samr_levels: must define levels 0 to 4, missing 3"


def test_it_rejects_a_samr_level_that_is_not_a_whole_number():
    data = shipped_data()
    data["samr_levels"][2]["level"] = 2.0

    assert "broken.yaml: samr_levels[2].level: must be a whole number 0 to 4, got 2.0" in (
        error_for(data)
    )


def test_it_rejects_a_samr_level_outside_0_to_4():
    data = shipped_data()
    data["samr_levels"][4]["level"] = 5

    message = error_for(data)
    assert "broken.yaml: samr_levels[4].level: must be a whole number 0 to 4, got 5" in message
    assert "broken.yaml: samr_levels: must define levels 0 to 4, missing 4" in message


def test_it_rejects_criteria_for_an_unknown_area():
    data = shipped_data()
    data["criteria"]["mining"] = data["criteria"]["retail"]

    assert "broken.yaml: criteria.mining: unknown area 'mining'" in error_for(data)


def test_it_rejects_an_area_without_criteria():
    data = shipped_data()
    del data["criteria"]["energy"]

    assert error_for(data) == "broken.yaml: criteria.energy: missing"


def test_it_rejects_criteria_for_level_0():
    data = shipped_data()
    data["criteria"]["retail"][0] = [{"key": "ret-0-paper", "text": "Paper."}]

    assert error_for(data) == "broken.yaml: criteria.retail.0: level must be 1 to 4"


def test_it_rejects_criteria_for_a_level_above_4():
    data = shipped_data()
    data["criteria"]["retail"][5] = [{"key": "ret-5-magic", "text": "Magic."}]

    assert error_for(data) == "broken.yaml: criteria.retail.5: level must be 1 to 4"


def test_it_rejects_an_area_missing_a_level():
    data = shipped_data()
    del data["criteria"]["logistics"][3]

    assert (
        error_for(data) == "broken.yaml: criteria.logistics: must define levels 1 to 4, missing 3"
    )


def test_it_rejects_a_criterion_without_text():
    data = shipped_data()
    del data["criteria"]["retail"][2][1]["text"]

    assert error_for(data) == "broken.yaml: criteria.retail.2[1].text: missing"


def test_it_rejects_a_key_used_twice():
    data = shipped_data()
    data["criteria"]["retail"][1][0]["key"] = "mfg-1-digital-records"

    assert error_for(data) == (
        "broken.yaml: criteria.retail.1[0].key: duplicate key 'mfg-1-digital-records', "
        "already used at criteria.manufacturing.1[0].key"
    )


def test_it_rejects_a_key_that_is_not_a_slug():
    data = shipped_data()
    data["dimensions"][0]["key"] = "Connectivity Data"

    assert "broken.yaml: dimensions[0].key: 'Connectivity Data' is not a slug" in error_for(data)


def test_it_rejects_a_mapping_key_repeated_in_the_file():
    text = DEFAULT_FRAMEWORK_FILE.read_text(encoding="utf-8")
    text = text.replace('title: "Ladder IT/OT', 'title: "One"\ntitle: "Ladder IT/OT', 1)

    with pytest.raises(
        FrameworkError, match=r"twice.yaml: title: given twice \(again on line \d+\)"
    ):
        parse_framework(text, "twice.yaml")


def test_it_rejects_an_action_with_an_unknown_responsibility():
    data = shipped_data()
    data["actions"]["transitions"]["energy"][2][0]["responsibility"] = "buy-tools"

    assert error_for(data).startswith(
        "broken.yaml: actions.transitions.energy.2[0].responsibility: "
        "unknown responsibility 'buy-tools'; expected one of align-goals"
    )


def test_it_rejects_an_action_with_an_unknown_benefit():
    data = shipped_data()
    data["actions"]["readiness"]["security"][1]["benefit"] = "fun"

    assert error_for(data).startswith(
        "broken.yaml: actions.readiness.security[1].benefit: unknown benefit 'fun'"
    )


def test_it_rejects_transitions_for_an_unknown_area():
    data = shipped_data()
    data["actions"]["transitions"]["mining"] = {}

    assert "broken.yaml: actions.transitions.mining: unknown area 'mining'" in error_for(data)


def test_it_rejects_an_area_without_an_action_for_a_step():
    data = shipped_data()
    del data["actions"]["transitions"]["finance"][4]

    assert error_for(data) == (
        "broken.yaml: actions.transitions.finance: must define steps 1 to 4, missing 4"
    )


def test_it_rejects_readiness_actions_for_an_unknown_dimension():
    data = shipped_data()
    data["actions"]["readiness"]["budget"] = data["actions"]["readiness"].pop("security")

    message = error_for(data)
    assert "broken.yaml: actions.readiness.budget: unknown dimension 'budget'" in message
    assert "broken.yaml: actions.readiness.security: missing" in message


def test_it_rejects_question_without_all_levels():
    data = shipped_data()
    del data["dimensions"][2]["questions"][0]["levels"][3]

    assert error_for(data) == (
        "broken.yaml: dimensions[2].questions[0].levels: must define levels 0 to 4, missing 3"
    )


def test_it_rejects_question_with_a_level_above_4():
    data = shipped_data()
    data["dimensions"][2]["questions"][0]["levels"][5] = "Beyond."

    assert error_for(data) == (
        "broken.yaml: dimensions[2].questions[0].levels.5: level must be 0 to 4"
    )


def test_it_reports_every_problem_at_once():
    data = shipped_data()
    del data["title"]
    data["benefits"][0]["name"] = ""
    del data["criteria"]["retail"][2][1]["text"]

    errors = error_for(data).splitlines()
    assert errors == [
        "broken.yaml: title: missing",
        "broken.yaml: benefits[0].name: must not be empty",
        "broken.yaml: criteria.retail.2[1].text: missing",
    ]


def test_load_framework_names_the_file(tmp_path):
    data = shipped_data()
    del data["criteria"]["retail"][2][1]["text"]
    path = tmp_path / "ladder-2099.1.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")

    with pytest.raises(FrameworkError) as excinfo:
        load_framework(path)
    assert str(excinfo.value) == "ladder-2099.1.yaml: criteria.retail.2[1].text: missing"


def test_load_framework_refuses_a_missing_file(tmp_path):
    with pytest.raises(FrameworkError, match="^nowhere.yaml: cannot read the file"):
        load_framework(tmp_path / "nowhere.yaml")
