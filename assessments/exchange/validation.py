"""What the JSON documents (an assessment export, an organisation) may hold, and their problems
in words: one place for both, so a problem reads the same wherever it is found.

A document is described by `Entry` models whose fields use the value types here; `document_read`
checks it in one pass (every problem, in time linear in its size) and raises InvalidExport
naming each problem's path, e.g. `processes[0].name: missing`. Values quoted in a problem go
through `shown()` / `kind()`: short excerpts, never a whole value.
"""

import json
from datetime import date, datetime
from functools import partial
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainValidator, ValidationError
from pydantic_core import PydanticCustomError

MAX_ERRORS_SHOWN = 20


class InvalidExport(ValueError):
    """A file that cannot be imported; each message says where in the file and what is wrong."""

    def __init__(self, errors: list[str]):
        if len(errors) > MAX_ERRORS_SHOWN:
            more = len(errors) - MAX_ERRORS_SHOWN
            errors = [*errors[:MAX_ERRORS_SHOWN], f"… and {more} more problem{'s' * (more > 1)}"]
        self.errors = errors
        super().__init__("\n".join(errors))


class Entry(BaseModel):
    """An object in a document: the keys it must have; others are ignored, as they always were."""

    model_config = ConfigDict(extra="ignore")

    def values(self, *leave: str) -> dict:
        """Its fields as they are (nested entries too), but those in `leave`."""
        return {name: value for name, value in self if name not in leave}


def document_read(model: type[Entry], data, where: str = ""):
    """`data` as `model`; InvalidExport lists every problem, each after `where` and its path."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False)
        raise InvalidExport([f"{where}{_path(e['loc'])}: {_problem(e)}" for e in errors]) from None


def _path(loc: tuple) -> str:
    path = ""
    for step in loc:
        path += f"[{step}]" if isinstance(step, int) else f".{step}" if path else step
    return path or "top level"


def _problem(error: dict) -> str:
    """Ours (`refuse`d by the value types below) as written; pydantic's own in our words."""
    if error["type"] == "missing":
        return "missing"
    if error["type"] in ("model_type", "dict_type"):
        return f"must be an object, got {kind(error['input'])}"
    if error["type"] == "list_type":
        return f"must be a list, got {kind(error['input'])}"
    return error["msg"]


def refuse(problem: str):
    """Raised by a value type: `problem` is the message, as it is."""
    raise PydanticCustomError("ladder", "{problem}", {"problem": problem})


def _typed(check) -> Any:
    """A field type whose value `check` returns (converted) or refuses."""
    return Annotated[Any, PlainValidator(check)]


def _text(value, *, blank=True, null=False, max_length=None) -> str | None:
    if value is None and null:
        return None
    if not isinstance(value, str):
        refuse(f"must be text{' or null' if null else ''}, got {kind(value)}")
    if not blank and not value.strip():
        refuse("must not be empty")
    if max_length and len(value) > max_length:
        refuse(f"must be at most {max_length} characters, got {len(value)}")
    return value


def text(*, blank=True, null=False, max_length=None):
    return _typed(partial(_text, blank=blank, null=null, max_length=max_length))


def _email(value, *, null) -> str | None:
    """Stripped and lower case: people are matched by email."""
    value = _text(value, blank=False, null=null, max_length=254)
    return None if value is None else value.strip().lower()


def email(*, null=False):
    return _typed(partial(_email, null=null))


def _url(value) -> str:
    value = _text(value, max_length=500)
    if value:
        try:
            URLValidator()(value)
        except DjangoValidationError:
            refuse(f"{shown(value)} is not a web address")
    return value


def choice(choices):
    def check(value):
        if not isinstance(value, str) or value not in choices:
            refuse(f"{shown(value)} is not one of {', '.join(choices)}")
        return value

    return _typed(check)


def whole(allowed, *, null=False):
    """A whole number in `allowed`; `type`, not isinstance: true is not a number here."""

    def check(value):
        if value is None and null:
            return None
        if type(value) is not int or value not in allowed:
            span = f"a whole number {allowed[0]} to {allowed[-1]}{' or null' if null else ''}"
            refuse(f"must be {span}, got {shown(value)}")
        return value

    return _typed(check)


def _day(value) -> date:
    value = _text(value, blank=False)
    try:
        return date.fromisoformat(value)
    except ValueError:
        refuse(f"{shown(value)} is not a date (YYYY-MM-DD)")


def _moment(value) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        refuse(f"{shown(value)} is not a time (ISO 8601 with offset)")
    if parsed.tzinfo is None:
        refuse(f"{shown(value)} has no UTC offset")
    return parsed


def _number(value):
    if type(value) not in (int, float):
        refuse(f"must be a number, got {kind(value)}")
    return value


def _whole_number(value):
    if type(value) is not int:
        refuse(f"must be a whole number, got {kind(value)}")
    return value


URL = _typed(_url)  # a web address or ""
Day = _typed(_day)  # YYYY-MM-DD
Moment = _typed(_moment)  # ISO 8601 with its offset
MomentOrNull = _typed(lambda value: None if value is None else _moment(value))
Number = _typed(_number)
WholeNumber = _typed(_whole_number)


def row(*columns, defaults: tuple = ()):
    """A list of these values (a compact row, e.g. of telemetry); the last ones may be left
    out and take their `defaults` (columns added since older documents were written)."""
    shortest = len(columns) - len(defaults)

    def check(value):
        if not isinstance(value, list) or not shortest <= len(value) <= len(columns):
            counted = f"{shortest} to {len(columns)}" if defaults else len(columns)
            refuse(f"must be a list of {counted} values")
        return [*value, *defaults[len(value) - shortest :]]

    return Annotated[tuple[columns], BeforeValidator(check)]


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
