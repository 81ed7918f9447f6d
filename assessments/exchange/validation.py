"""Checks on the plain data of an uploaded export, each problem reported with its path."""

import json
from collections.abc import Iterator, Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

MAX_ERRORS_SHOWN = 20
_MISSING = object()


class InvalidExport(ValueError):
    """A file that cannot be imported; each message says where in the file and what is wrong."""

    def __init__(self, errors: list[str]):
        if len(errors) > MAX_ERRORS_SHOWN:
            more = len(errors) - MAX_ERRORS_SHOWN
            errors = [*errors[:MAX_ERRORS_SHOWN], f"… and {more} more problem{'s' * (more > 1)}"]
        self.errors = errors
        super().__init__("\n".join(errors))


class Checker:
    """Reads values out of the export, collecting every problem instead of stopping at one.

    Each reader returns the value when it is fine, else None (after noting the problem).
    """

    def __init__(self):
        self.errors: list[str] = []

    def fail(self, path: str, problem: str) -> None:
        self.errors.append(f"{path}: {problem}")

    def is_mapping(self, value, path: str) -> bool:
        if isinstance(value, dict):
            return True
        self.fail(path, f"must be an object, got {kind(value)}")
        return False

    def mapping(self, data: dict, name: str, path: str = "") -> dict | None:
        value = self._value(data, name, path)
        if value is _MISSING or not self.is_mapping(value, _join(path, name)):
            return None
        return value

    def entries(self, data: dict, name: str, path: str = "") -> Iterator[tuple[str, dict]]:
        """(path, object) for each object in the list `name`, checked as they are read."""
        value = self._value(data, name, path)
        where = _join(path, name)
        if value is _MISSING:
            return
        if not isinstance(value, list):
            self.fail(where, f"must be a list, got {kind(value)}")
            return
        for i, entry in enumerate(value):
            if self.is_mapping(entry, f"{where}[{i}]"):
                yield f"{where}[{i}]", entry

    def text(self, data, name, path, *, blank=True, null=False, max_length=None) -> str | None:
        value = self._value(data, name, path)
        where = _join(path, name)
        if value is _MISSING or (value is None and null):
            return None
        if not isinstance(value, str):
            self.fail(where, f"must be text{' or null' if null else ''}, got {kind(value)}")
        elif not blank and not value.strip():
            self.fail(where, "must not be empty")
        elif max_length and len(value) > max_length:
            self.fail(where, f"must be at most {max_length} characters, got {len(value)}")
        else:
            return value
        return None

    def email(self, data, name, path, *, null=False) -> str | None:
        """Stripped and lower case: people are matched by email."""
        value = self.text(data, name, path, blank=False, null=null, max_length=254)
        return value.strip().lower() if value else None

    def url(self, data, name, path) -> str:
        """A web address or "" (never None: the field is not nullable)."""
        value = self.text(data, name, path, max_length=500)
        if value:
            try:
                URLValidator()(value)
            except ValidationError:
                self.fail(_join(path, name), f"{shown(value)} is not a web address")
        return value or ""

    def choice(self, data, name, path, choices: Sequence[str]) -> str | None:
        value = self._value(data, name, path)
        if value is _MISSING:
            return None
        if not isinstance(value, str) or value not in choices:
            self.fail(_join(path, name), f"{shown(value)} is not one of {', '.join(choices)}")
            return None
        return value

    def number(self, data, name, path, allowed: Sequence[int], *, null=False) -> int | None:
        value = self._value(data, name, path)
        if value is _MISSING or (value is None and null):
            return None
        if type(value) is not int or value not in allowed:  # `type`: True is not a number here
            span = f"a whole number {allowed[0]} to {allowed[-1]}{' or null' if null else ''}"
            self.fail(_join(path, name), f"must be {span}, got {shown(value)}")
            return None
        return value

    def date(self, data, name, path) -> date | None:
        value = self.text(data, name, path, blank=False)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(_join(path, name), f"{shown(value)} is not a date (YYYY-MM-DD)")
            return None

    def _value(self, data: dict, name: str, path: str):
        if name not in data:
            self.fail(_join(path, name), "missing")
            return _MISSING
        return data[name]


def kind(value) -> str:
    """What a JSON value is, in words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value}"
    kinds = {dict: "an object", list: "a list", str: "text"}
    return kinds.get(type(value), type(value).__name__)


def shown(value) -> str:
    """A value as an error message quotes it: short."""
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    return json.dumps(value)[:60]


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
