"""Organisation documents on disk: JSON, gzip-compressed when the file name ends in .gz."""

import gzip
import json
import sys
from pathlib import Path

from assessments.exchange import InvalidExport


def document_text(document: dict) -> str:
    """The document as compact JSON text."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def document_write(document: dict, path: str) -> int:
    """Write `document` to the file `path`; returns the bytes written."""
    raw = document_text(document).encode()
    if path.endswith(".gz"):
        raw = gzip.compress(raw, mtime=0)
    Path(path).write_bytes(raw)
    return len(raw)


def document_read(path: str) -> object:
    """The JSON data of `path` ("-" for standard input); InvalidExport when it is not JSON."""
    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise InvalidExport([f"{path}: cannot be read ({exc.strerror})"]) from None
    if raw[:2] == b"\x1f\x8b":  # gzip, whatever the name says
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InvalidExport([f"{path}: not a complete gzip file ({exc})"]) from None
    try:
        return json.loads(raw.decode("utf-8-sig"), parse_constant=_refuse_constant)
    except UnicodeDecodeError as exc:
        raise InvalidExport([f"{path}: not a JSON file: byte {exc.start} is not UTF-8"]) from None
    except json.JSONDecodeError as exc:
        raise InvalidExport(
            [f"{path}: not a JSON file: line {exc.lineno}, column {exc.colno}: {exc.msg}"]
        ) from None
    except (ValueError, RecursionError) as exc:
        raise InvalidExport([f"{path}: not a JSON file: {exc}"]) from None


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")
