"""Hostile framework files: each one is refused with a short, clear FrameworkError, quickly.

Never a crash (a 500 on upload), never a message that grows with the input.
"""

import time
from functools import cache

import pytest
import yaml

from assessments.framework.fields import FrameworkError
from assessments.framework.loading import DEFAULT_FRAMEWORK_FILE, parse_framework

MAX_MESSAGE = 4000


@cache
def shipped_text() -> str:
    return DEFAULT_FRAMEWORK_FILE.read_text(encoding="utf-8")


def shipped_with(**changes) -> str:
    """The shipped framework as YAML with some top-level fields replaced."""
    data = yaml.safe_load(shipped_text())
    data.update(changes)
    return yaml.safe_dump(data, sort_keys=False)


def alias_bomb(levels: int = 8, width: int = 9) -> str:
    """`levels` lists of `width` aliases to the one before: width**levels strings in all."""
    lines = [f"a0: &a0 [{', '.join(['x'] * width)}]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * width)}]" for n in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def bomb_as_samr_level() -> str:
    bomb = alias_bomb()
    return bomb + "samr_levels:\n  - {level: *a8, key: a, name: A, descriptor: D}\n"


def many_areas_and_an_unknown_one() -> str:
    data = yaml.safe_load(shipped_text())
    data["areas"] += [{"key": f"area-{n}", "name": f"Area {n}"} for n in range(2000)]
    data["criteria"]["mining"] = data["criteria"]["retail"]
    return yaml.safe_dump(data, sort_keys=False)


HOSTILE = {
    "alias bomb in an unknown field": alias_bomb(),
    "alias bomb in a value quoted back": bomb_as_samr_level(),
    "alias bomb of 11 levels": alias_bomb(levels=11, width=10),
    "recursive alias": "title: &loop [*loop]\n",
    "10,000 nested lists": "title: " + "[" * 10_000 + "]" * 10_000 + "\n",
    "10,000 nested mappings": "title: " + "{a: " * 10_000 + "x" + "}" * 10_000 + "\n",
    "deep block nesting": "".join(f"{'  ' * n}a{n}:\n" for n in range(500)) + "  " * 500 + "x\n",
    "30,000 list items": "title: [" + ", ".join(["x"] * 30_000) + "]\n",
    "huge title": shipped_with(title="x" * 100_000),
    "huge description": shipped_text().replace(
        "description: ", f"description: {'y' * 100_000} ", 1
    ),
    "huge unknown field name": f"? {'k' * 100_000}\n: 1\n",
    "huge anchor name": f"a: &{'n' * 100_000} 1\nb: &{'n' * 100_000} 2\n",
    "huge tag": f"title: !<tag:{'t' * 100_000}> x\n",
    "python object tag": "id: !!python/object/apply:os.system ['echo hacked']\n",
    "python name tag": "id: !!python/name:os.system\n",
    "integer too long to read": f"samr_levels:\n  - level: {'1' * 5000}\n",
    "level number too long to read": shipped_text().replace(
        "criteria:\n  ", f"criteria:\n  retail:\n    '{'1' * 5000}': []\n  ", 1
    ),
    "impossible date": "version: 2026-13-45\n",
    "quote in version": shipped_with(version='1"; filename="evil.exe'),
    "CR LF in version": shipped_with(version="1\r\nX-Injected: yes"),
    "40-character version": shipped_with(version="1" * 40),
    "space in version": shipped_with(version="1 beta"),
    "slash in version": shipped_with(version="../../etc/passwd"),
    "CR LF in title": shipped_with(title="Ladder\r\nX-Injected: yes"),
    "NUL in title": shipped_with(title="Lad\x00der"),
    "lone surrogate in a text": shipped_text().replace(
        "description: ", 'description: "\\ud800" # ', 1
    ),
    "too long title": shipped_with(title="T" * 201),
    "too long id": shipped_with(id="a" * 61),
    "quote in id": shipped_with(id='ladder"x'),
    "integer keys": "1: one\n2: two\n",
    "null, boolean and date keys": "~: a\ntrue: b\n2026-01-01: c\n",
    "list as a key": "? [a, b]\n: x\n",
    "mapping as a key": "? {a: 1}\n: x\n",
    "binary title": "title: !!binary aGVsbG8=\n",
    "two documents": "id: a\n---\nid: b\n",
    "2,000 unknown fields": "".join(f"field{n}: 1\n" for n in range(2_000)),
    "thousands of areas and an unknown one": many_areas_and_an_unknown_one(),
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_file_is_refused_quickly_with_a_short_message(text):
    started = time.monotonic()
    with pytest.raises(FrameworkError) as excinfo:
        parse_framework(text, "hostile.yaml")
    elapsed = time.monotonic() - started

    message = str(excinfo.value)
    assert len(message) < MAX_MESSAGE, message[:500]
    assert all(line.startswith("hostile.yaml: ") for line in excinfo.value.errors[:-1])
    assert "\r" not in message
    assert elapsed < 5


def test_the_alias_bomb_names_the_limit():
    with pytest.raises(FrameworkError) as excinfo:
        parse_framework(alias_bomb(), "bomb.yaml")

    message = str(excinfo.value)
    assert message.startswith("bomb.yaml: line ")
    assert "more than 20000 values once aliases are expanded" in message
    assert len(message) < 200


def test_deep_nesting_names_the_limit():
    with pytest.raises(FrameworkError, match="nested deeper than 20 levels"):
        parse_framework("title: " + "[" * 10_000 + "]" * 10_000, "deep.yaml")


def test_a_recursive_alias_is_refused():
    with pytest.raises(FrameworkError, match="an alias refers to a value that contains it"):
        parse_framework("title: &loop [*loop]\n", "loop.yaml")


def test_a_file_can_still_use_a_few_aliases():
    text = shipped_text().replace('title: "Ladder IT/OT', 'title: &title "Ladder IT/OT', 1)
    text += "x-copy: *title\n"

    with pytest.raises(FrameworkError) as excinfo:
        parse_framework(text, "aliases.yaml")
    assert str(excinfo.value) == (
        "aliases.yaml: x-copy: unknown field; expected id, version, title, areas, samr_levels, "
        "criteria, responsibilities, benefits, dimensions, actions"
    )


def test_a_huge_value_is_quoted_by_its_first_characters_only():
    with pytest.raises(FrameworkError) as excinfo:
        parse_framework(f"? {'k' * 100_000}\n: 1\n", "huge.yaml")

    assert f"huge.yaml: '{'k' * 40}'…: unknown field" in str(excinfo.value)


def test_a_long_list_of_problems_is_cut_short():
    with pytest.raises(FrameworkError) as excinfo:
        parse_framework("".join(f"field{n}: 1\n" for n in range(100)), "many.yaml")

    assert len(excinfo.value.errors) == 21
    assert excinfo.value.errors[-1].startswith("… and ")
