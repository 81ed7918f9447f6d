"""Reading the document back: each problem raised as `InvalidExport` with its path.

Values are read as JSON gave them and handed to the models, whose `full_clean()` turns ISO text
into dates and times and checks choices, lengths and ranges; `saved` reports what it refuses.
"""

from datetime import datetime

from django.core.exceptions import ValidationError

from assessments.exchange import InvalidExport
from assessments.exchange.validation import kind, shown


def refuse(path: str, problem: str):
    raise InvalidExport([f"{path}: {problem}"])


def entries(data, name: str, path: str = "", *, optional=False) -> list[tuple[str, dict]]:
    """(path, object) for each object in the list `data[name]`."""
    where = f"{path}.{name}" if path else name
    if optional and isinstance(data, dict) and name not in data:
        return []
    (value,) = pick(data, path, name)
    if not isinstance(value, list):
        refuse(where, f"must be a list, got {kind(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            refuse(f"{where}[{i}]", f"must be an object, got {kind(item)}")
    return [(f"{where}[{i}]", item) for i, item in enumerate(value)]


def pick(item: dict, path: str, *names: str) -> list:
    """The values of `names` in `item`; refused when one is missing."""
    if not isinstance(item, dict):
        refuse(path or "top level", f"must be an object, got {kind(item)}")
    for name in names:
        if name not in item:
            refuse(f"{path}.{name}" if path else name, "missing")
    return [item[name] for name in names]


def fields(item: dict, path: str, *names: str) -> dict:
    return dict(zip(names, pick(item, path, *names), strict=True))


def moment(value, path: str) -> datetime:
    """An ISO time with its offset (rollups and points skip the models' checks)."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        refuse(path, f"{shown(value)} is not a time (ISO 8601 with offset)")
    if parsed.tzinfo is None:
        refuse(path, f"{shown(value)} has no UTC offset")
    return parsed


def number(value, path: str, *, whole=False):
    allowed = (int,) if whole else (int, float)
    if type(value) not in allowed:
        refuse(path, f"must be a {'whole ' if whole else ''}number, got {kind(value)}")
    return value


def saved(obj, path: str, *, exclude=()):
    """`obj` checked by its model and saved; its problems reported at `path`."""
    checked(obj, path, exclude=exclude)
    obj.save()
    return obj


def checked(obj, path: str, *, exclude=()):
    try:
        obj.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        problems = getattr(exc, "message_dict", {"": exc.messages})
        raise InvalidExport(
            [
                f"{path}{'.' + name if name and name != '__all__' else ''}: {' '.join(messages)}"
                for name, messages in problems.items()
            ]
        ) from None
    return obj


class Lookup(dict):
    """Rows by natural key (a name, an email or a position); a key it lacks is refused."""

    def __init__(self, rows, what: str):
        super().__init__(rows)
        self.what = what

    def get_ref(self, key, path: str, *, null=True):
        if key is None and null:
            return None
        try:
            return self[key]
        except (KeyError, TypeError):
            refuse(path, f"{shown(key)} is not one of the document's {self.what}")
