"""Broken framework files, the structure: levels, areas, keys, references, all problems at once."""

import pytest
import yaml

from assessments.framework.fields import FrameworkError
from assessments.framework.loading import DEFAULT_FRAMEWORK_FILE, load_framework, parse_framework
from tests.assessments.framework_helpers import error_for, shipped_data


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


def test_a_framework_stored_before_the_limits_still_loads():
    """Limits on lengths and characters bind new files; a stored framework accepted before
    them keeps working, or every page of its assessments would fail."""
    from assessments.framework.model import Framework

    data = shipped_data()
    data["version"] = "1 beta"
    data["dimensions"][0]["description"] = "Long. " * 500
    data["areas"][0]["name"] = "Manu\nfacturing"
    assert "version" in error_for(data)

    framework = Framework.from_dict(data, source="stored", stored=True)

    assert framework.version == "1 beta"
    assert framework.areas[0].name == "Manu\nfacturing"


# Paths from the schema's errors


def test_a_path_names_list_items_by_index_and_mapping_entries_by_name():
    data = shipped_data()
    data["actions"]["transitions"]["retail"]["3"] = data["actions"]["transitions"]["retail"].pop(3)
    data["actions"]["transitions"]["retail"]["3"][1]["title"] = 7

    assert error_for(data) == (
        "broken.yaml: actions.transitions.retail.3[1].title: must be a string, got a number"
    )


def test_a_name_that_is_not_a_string_is_quoted_by_its_kind():
    data = shipped_data()
    data["dimensions"][0]["questions"][0]["levels"][None] = "Nothing."

    assert error_for(data) == (
        "broken.yaml: dimensions[0].questions[0].levels.nothing: level must be 0 to 4"
    )


def test_an_unknown_field_of_a_nested_record_lists_that_records_fields():
    data = shipped_data()
    data["actions"]["readiness"]["security"][0][True] = "yes"

    assert error_for(data) == (
        "broken.yaml: actions.readiness.security[0].True: unknown field; "
        "expected key, title, description, responsibility, benefit"
    )


def test_a_key_is_checked_for_repeats_even_beside_other_problems():
    data = shipped_data()
    data["criteria"]["retail"][1][0]["key"] = "mfg-1-digital-records"
    del data["criteria"]["retail"][2][1]["text"]

    assert error_for(data).splitlines() == [
        "broken.yaml: criteria.retail.2[1].text: missing",
        "broken.yaml: criteria.retail.1[0].key: duplicate key 'mfg-1-digital-records', "
        "already used at criteria.manufacturing.1[0].key",
    ]


def test_a_stored_framework_rebuilds_as_it_was():
    from assessments.framework.model import Framework

    framework = load_framework(DEFAULT_FRAMEWORK_FILE)

    assert Framework.from_dict(framework.as_dict(), stored=True) == framework
