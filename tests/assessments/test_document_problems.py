"""The documents' shared vocabulary: where a problem is (pydantic's loc as a path) and what."""

import pytest

from assessments.exchange.validation import (
    Entry,
    InvalidExport,
    Moment,
    WholeNumber,
    document_read,
    row,
    text,
    whole,
)


class Answer(Entry):
    level: whole(range(5), null=True)
    note: text(max_length=5) = ""


class Process(Entry):
    name: text(blank=False)
    answers: list[Answer]
    rollups: list[row(Moment, WholeNumber)] = []


class Document(Entry):
    processes: list[Process]
    owner: Answer | None = None


def problems(data) -> list[str]:
    with pytest.raises(InvalidExport) as refused:
        document_read(Document, data)
    return refused.value.errors


def test_a_path_names_keys_with_dots_and_positions_in_brackets():
    data = {"processes": [{"name": "a", "answers": []}, {"name": "b", "answers": [{}] * 4}]}
    data["processes"][1]["answers"] = [{"level": 1}, {"level": 2}, {"level": 3}, {"level": 7}]
    assert problems(data) == [
        "processes[1].answers[3].level: must be a whole number 0 to 4 or null, got 7"
    ]


def test_missing_keys_lists_and_objects_are_said_in_our_words():
    data = {
        "processes": [{"answers": {"level": 1}}, "Press line"],
        "owner": [],
    }
    assert problems(data) == [
        "processes[0].name: missing",
        "processes[0].answers: must be a list, got an object",
        "processes[1]: must be an object, got text",
        "owner: must be an object, got a list",
    ]
    assert problems([]) == ["top level: must be an object, got a list"]


def test_a_row_is_checked_by_position():
    rows = [["2026-11-25T10:00:00+00:00", 3], ["2026-11-25T10:00:00", True], [1]]
    data = {"processes": [{"name": "a", "answers": [], "rollups": rows}]}
    assert problems(data) == [
        "processes[0].rollups[1][0]: '2026-11-25T10:00:00' has no UTC offset",
        "processes[0].rollups[1][1]: must be a whole number, got true/false",
        "processes[0].rollups[2]: must be a list of 2 values",
    ]


def test_values_are_quoted_short_and_every_problem_is_listed_but_not_endlessly():
    long = "x" * 10_000
    data = {"processes": [{"name": "a", "answers": [{"level": long, "note": long}] * 30}]}
    errors = problems(data)
    excerpt = repr("x" * 57 + "...")
    assert errors[0] == (
        f"processes[0].answers[0].level: must be a whole number 0 to 4 or null, got {excerpt}"
    )
    assert errors[1] == "processes[0].answers[0].note: must be at most 5 characters, got 10000"
    assert len(errors) == 21 and errors[-1] == "… and 40 more problems"
    assert max(len(e) for e in errors) < 200


def test_a_good_document_reads_as_its_values():
    data = {"processes": [{"name": "a", "answers": [{"level": None}], "extra": "ignored"}]}
    document = document_read(Document, data)
    assert document.processes[0].answers[0].values() == {"level": None, "note": ""}
    assert document.processes[0].values("answers", "rollups") == {"name": "a"}
