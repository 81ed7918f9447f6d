"""Broken framework files, the file and its texts: YAML, types, lengths, unknown fields."""

import pytest
import yaml

from assessments.framework.fields import FrameworkError
from assessments.framework.loading import parse_framework
from tests.assessments.framework_helpers import error_for, shipped_data

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
