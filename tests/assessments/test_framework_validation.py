"""Broken framework files: each mistake refused with a message that names the file and place."""

import copy
from functools import cache

import pytest
import yaml

from assessments.framework.fields import FrameworkError
from assessments.framework.loading import DEFAULT_FRAMEWORK_FILE, load_framework, parse_framework


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

    with pytest.raises(
        FrameworkError, match="bomb.yaml: line 5, .*: more than 20000 values once aliases"
    ):
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


def test_it_rejects_a_version_longer_than_its_column():
    data = shipped_data()
    data["version"] = "2026." + "1" * 35

    assert error_for(data) == "broken.yaml: version: must be at most 30 characters, got 40"


@pytest.mark.parametrize("version", ['1"; x="y', "1 beta", "../1", "-1", "1/2"])
def test_it_rejects_a_version_with_other_characters(version):
    data = shipped_data()
    data["version"] = version

    assert error_for(data) == (
        f"broken.yaml: version: {version!r} may hold only letters, digits, dots, hyphens "
        "and underscores"
    )


def test_it_rejects_a_line_break_in_a_version():
    data = shipped_data()
    data["version"] = "1\r\nX-Injected: yes"

    assert error_for(data) == ("broken.yaml: version: must not contain the control character '\\r'")


def test_it_rejects_a_line_break_in_a_name():
    data = shipped_data()
    data["areas"][0]["name"] = "Manu\nfacturing"

    assert error_for(data) == (
        "broken.yaml: areas[0].name: must not contain the control character '\\n'"
    )


def test_it_accepts_line_breaks_in_a_description():
    data = shipped_data()
    data["dimensions"][0]["description"] = "One line.\n\nAnother\tline."

    framework = parse_framework(yaml.safe_dump(data), "fine.yaml")

    assert framework.dimensions[0].description == "One line.\n\nAnother\tline."


def test_it_rejects_a_nul_in_a_text():
    data = shipped_data()
    data["criteria"]["retail"][1][0]["text"] = "Digital\x00records"

    assert error_for(data) == (
        "broken.yaml: criteria.retail.1[0].text: must not contain the control character '\\x00'"
    )


def test_it_rejects_a_title_longer_than_its_column():
    data = shipped_data()
    data["title"] = "T" * 201

    assert error_for(data) == "broken.yaml: title: must be at most 200 characters, got 201"


def test_it_rejects_an_action_title_longer_than_a_milestone_title():
    data = shipped_data()
    data["actions"]["readiness"]["security"][0]["title"] = "T" * 201

    assert error_for(data) == (
        "broken.yaml: actions.readiness.security[0].title: must be at most 200 characters, got 201"
    )


def test_it_rejects_a_text_longer_than_2000_characters():
    data = shipped_data()
    data["dimensions"][0]["description"] = "D" * 2001

    assert error_for(data) == (
        "broken.yaml: dimensions[0].description: must be at most 2000 characters, got 2001"
    )


def test_it_rejects_a_key_longer_than_an_area_column():
    data = shipped_data()
    data["id"] = "a" * 41

    assert error_for(data) == "broken.yaml: id: must be at most 40 characters, got 41"


def test_it_quotes_a_long_value_by_its_first_characters():
    data = shipped_data()
    data["samr_levels"][2]["level"] = "x" * 10_000

    assert error_for(data) == (
        f"broken.yaml: samr_levels[2].level: must be a whole number 0 to 4, got '{'x' * 40}'…"
        "\nbroken.yaml: samr_levels: must define levels 0 to 4, missing 2"
    )


def test_it_quotes_an_unusual_field_name():
    data = shipped_data()
    data["areas"][0]["the colour"] = "blue"
    data["areas"][1][7] = "seven"

    assert error_for(data).splitlines() == [
        "broken.yaml: areas[0].'the colour': unknown field; expected key, name",
        "broken.yaml: areas[1].7: unknown field; expected key, name",
    ]


def test_it_lists_only_the_first_few_choices():
    data = shipped_data()
    data["responsibilities"] += [{"key": f"duty-{n}", "name": f"Duty {n}"} for n in range(20)]
    data["actions"]["readiness"]["security"][1]["responsibility"] = "nobody"

    message = error_for(data)
    assert message.startswith(
        "broken.yaml: actions.readiness.security[1].responsibility: unknown responsibility "
        "'nobody'; expected one of "
    )
    assert message.endswith(", …")
    assert message.count(",") == 10


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
