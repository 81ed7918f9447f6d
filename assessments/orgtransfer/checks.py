"""Storing the document's rows: each problem raised as `InvalidExport` with its path.

The document's structure is checked first (`document`); its values are handed to the models,
whose `full_clean()` turns ISO text into dates and times and checks choices, lengths and ranges;
`saved` reports what it refuses, and `Lookup` a reference to nothing in the document.
"""

from django.core.exceptions import ValidationError

from assessments.exchange.validation import InvalidExport, shown


def refuse(path: str, problem: str):
    raise InvalidExport([f"{path}: {problem}"])


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
