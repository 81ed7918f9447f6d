"""The framework schema's building blocks: limits, how a problem is worded, the text fields
every entry uses and the record all entries are. `validation` and `checks` build on them."""

import re
from datetime import date
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Strict,
    ValidationInfo,
)
from pydantic_core import PydanticCustomError

SAMR_LEVELS = range(0, 5)
# Level 0 (manual) is the floor: criteria start at 1, and step N is the move from N-1 to N.
CRITERIA_LEVELS = range(1, 5)

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# Lengths fit the columns the values land in: a key in Process.area (40), the version and the
# title in FrameworkVersion (30, 200), an action's title in Milestone.title (200).
KEY_MAX = 40
VERSION_MAX = 30
LINE_MAX = 200
TEXT_MAX = 2000
# A line (a title, a name) is one line of text; a text may also hold tabs and line breaks.
# Neither may hold other control characters or lone surrogates, which break the database
# (PostgreSQL refuses NUL) or the page encoding.
NOT_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
NOT_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
PLAIN_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")
# A check's role names the part a bound integration plays ("orders ERP→MES"): short, like a label.
ROLE_MAX = 80
EXCERPT_CHARS = 40
MAX_ERRORS = 20


class FrameworkError(ValueError):
    """A framework that cannot be used; each message names the file, the place and the problem."""

    def __init__(self, errors: list[str]):
        # Cut short: a hostile file can have a problem in every one of its thousands of values.
        if len(errors) > MAX_ERRORS:
            errors = [*errors[:MAX_ERRORS], f"… and {len(errors) - MAX_ERRORS} more problems"]
        self.errors = errors
        super().__init__("\n".join(errors))


def excerpt(value) -> str:
    """Untrusted input as a message quotes it: a string's first characters, a number, or the
    kind of value. Never the whole repr(): an alias bomb makes that hundreds of megabytes."""
    if isinstance(value, str):
        shown = repr(value[:EXCERPT_CHARS])
        return f"{shown}…" if len(value) > EXCERPT_CHARS else shown
    if isinstance(value, int | float | date):  # a bool is an int, a datetime a date
        return str(value)[:EXCERPT_CHARS]
    return kind_name(value)


def join_path(path: str, name) -> str:
    """The path to a mapping's entry; a name from the file is quoted unless it is plain."""
    if not (isinstance(name, str) and PLAIN_NAME.fullmatch(name)):
        name = excerpt(name)
    return f"{path}.{name}" if path else name


def problem(text: str) -> PydanticCustomError:
    """Our own check's problem, worded as the message shows it."""
    return PydanticCustomError("problem", "{problem}", {"problem": text})


def needed(text: str) -> PydanticCustomError:
    """A field left out that another field makes necessary: reported with its reason, where a
    plain absence says only "missing"."""
    return PydanticCustomError("needed", "{problem}", {"problem": text})


# The values


def text_field(max_length: int, forbidden: re.Pattern) -> AfterValidator:
    """Stripped and not blank; for a new framework also short enough and free of `forbidden`
    characters (a stored one was accepted before those limits, see `validate_framework`)."""

    def check(value: str, info: ValidationInfo) -> str:
        value = value.strip()
        if not value:
            raise problem("must not be empty")
        if info.context["stored"]:
            return value
        if len(value) > max_length:
            raise problem(f"must be at most {max_length} characters, got {len(value)}")
        if found := forbidden.search(value):
            raise problem(f"must not contain the control character {found[0]!r}")
        return value

    return AfterValidator(check)


def _slug(value: str) -> str:
    if not SLUG.fullmatch(value):
        raise problem(f"{excerpt(value)} is not a slug (lowercase letters, digits and hyphens)")
    return value


def _unquoted_version(value):
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise problem(f'must be a string; quote it, e.g. version: "{excerpt(value)}"')
    return value


def _version_characters(value: str, info: ValidationInfo) -> str:
    if not info.context["stored"] and not VERSION.fullmatch(value):
        raise problem(
            f"{excerpt(value)} may hold only letters, digits, dots, hyphens and underscores"
        )
    return value


def samr_number(value) -> int:
    if type(value) is not int or value not in SAMR_LEVELS:
        raise problem(f"must be a whole number 0 to 4, got {excerpt(value)}")
    return value


def reference(kind: str) -> AfterValidator:
    """A key that must name one of the framework's `kind`s (responsibility, benefit)."""

    def check(value: str, info: ValidationInfo) -> str:
        known = info.context[kind]
        if known and value not in known:
            raise problem(
                f"unknown {kind} {excerpt(value)}; expected one of {choices_shown(known)}"
            )
        return value

    return AfterValidator(check)


Text = Annotated[str, Strict(), text_field(TEXT_MAX, NOT_IN_TEXT)]
Line = Annotated[str, Strict(), text_field(LINE_MAX, NOT_IN_LINE)]
Key = Annotated[str, Strict(), text_field(KEY_MAX, NOT_IN_TEXT), AfterValidator(_slug)]
Version = Annotated[
    str,
    Strict(),
    BeforeValidator(_unquoted_version),
    text_field(VERSION_MAX, NOT_IN_LINE),
    AfterValidator(_version_characters),
]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def choices_shown(known: dict[str, None]) -> str:
    """The first few of the keys a value may take, for a message."""
    shown = ", ".join(list(known)[:10])
    return f"{shown}, …" if len(known) > 10 else shown


def kind_name(value) -> str:
    kinds = {dict: "a mapping", list: "a list", str: "a string", bool: "true/false"}
    if value is None:
        return "nothing"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return kinds.get(type(value), type(value).__name__)
