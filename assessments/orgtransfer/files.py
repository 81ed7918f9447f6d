"""Organisation documents on disk: JSON, gzip-compressed when the file name ends in .gz."""

import gzip
import io
import json
import sys
from pathlib import Path

from assessments.exchange.reading import json_parse
from assessments.exchange.validation import InvalidExport

# JSON text, after decompression. A document becomes Python objects several times its size, so
# this bounds the memory of an import too. Most documents are far smaller, but minute rollups
# take ~13 MB per series over the 90 days kept: `import_org --max-mb` raises it for one import.
MAX_DOCUMENT_BYTES = 512 * 1024 * 1024


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


def document_read(path: str, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> object:
    """The JSON data of `path` ("-" for standard input); InvalidExport when it is not JSON.

    At most `max_bytes` of JSON text, counted after decompression, which stops there: a gzip
    bomb is refused having inflated no more than that.
    """
    shown = f"{max_bytes / 1024 / 1024:,.0f} MB"
    too_large = InvalidExport(
        [
            f"{path}: the document is over {shown} (after decompression); nothing was read "
            "further (import_org --max-mb raises the limit)"
        ]
    )
    try:
        if path == "-":
            raw = sys.stdin.buffer.read(max_bytes + 1)
        else:
            with open(path, "rb") as file:
                raw = file.read(max_bytes + 1)
    except OSError as exc:
        raise InvalidExport([f"{path}: cannot be read ({exc.strerror})"]) from None
    if len(raw) > max_bytes:
        raise too_large
    if raw[:2] == b"\x1f\x8b":  # gzip, whatever the name says
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as unzipped:
                raw = unzipped.read(max_bytes + 1)  # inflates as it reads, no further
        except (OSError, EOFError) as exc:
            raise InvalidExport([f"{path}: not a complete gzip file ({exc})"]) from None
        if len(raw) > max_bytes:
            raise too_large
    return json_parse(raw, f"{path}: ")
