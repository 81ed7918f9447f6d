"""A merge left no conflict markers in what the app serves or runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^(<{7}|>{7}) ", re.MULTILINE)
FOLDERS = (
    "accounts",
    "assessments",
    "audit",
    "config",
    "integration",
    "templates",
    "static",
    "docs",
    "bin",
    "bench",
    "tests",
)


def test_no_file_holds_a_merge_conflict_marker():
    found = [
        str(path.relative_to(ROOT))
        for folder in FOLDERS
        for path in (ROOT / folder).rglob("*")
        if path.is_file()
        and path.suffix in {".py", ".html", ".txt", ".md", ".yaml", ".toml", ".css", ".js", ""}
        and MARKER.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert not found, found
