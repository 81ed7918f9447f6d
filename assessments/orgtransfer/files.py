"""Organisation documents on disk: JSON, gzip-compressed when the file name ends in .gz."""

import gzip
import json
import sys
from pathlib import Path

from assessments.exchange import InvalidExport
from assessments.exchange.reading import json_parse


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
    return json_parse(raw, f"{path}: ")
