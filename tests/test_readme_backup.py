"""The README's SQLite and media backup commands work as written (issue 19, item 6).

Each `sh` block of "Backup and restore" that does not need PostgreSQL runs in bash in a fresh
directory, with `SQLITE_PATH` and `MEDIA_ROOT` pointing there, on a database in WAL mode with a
connection writing to it while the copy is taken; the restore brings back what the copy held.
"""

import re
import shutil
import sqlite3
import subprocess

import pytest

from tests.instances import ROOT

README = ROOT / "README.md"


def blocks() -> list[str]:
    text = README.read_text()
    start = text.index("### Backup and restore")
    section = text[start : text.index("\n### ", start + 1)]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


def run(script: str, cwd, **env) -> None:
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-ec", script],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_the_sqlite_copy_taken_while_writing_restores_what_it_held(tmp_path):
    if shutil.which("sqlite3") is None:
        pytest.skip("the sqlite3 shell is not installed (apt-get install sqlite3)")
    sqlite = [b for b in blocks() if "SQLITE_PATH" in b]
    assert len(sqlite) == 2  # the copy, the restore
    path = tmp_path / "ladder.sqlite3"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE t (n INTEGER)")
    writer.execute("BEGIN")
    writer.execute("INSERT INTO t VALUES (1)")
    writer.execute("COMMIT")
    writer.execute("BEGIN")
    writer.execute("INSERT INTO t VALUES (2)")  # not committed while the copy is taken
    run(sqlite[0], tmp_path, SQLITE_PATH=str(path))
    writer.execute("COMMIT")
    writer.execute("INSERT INTO t VALUES (3)")
    writer.close()
    run(sqlite[1], tmp_path, SQLITE_PATH=str(path))
    with sqlite3.connect(path) as restored:
        assert restored.execute("SELECT n FROM t").fetchall() == [(1,)]
        assert restored.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_the_media_archive_restores_every_file(tmp_path):
    (media,) = [b for b in blocks() if "MEDIA_ROOT" in b]
    backup, restore = media.strip().splitlines()
    root = tmp_path / "media"
    (root / "reports" / "2026" / "12").mkdir(parents=True)
    (root / "reports" / "2026" / "12" / "report.pdf").write_bytes(b"%PDF-1.7")
    (root / "logos").mkdir()
    (root / "logos" / "acme.png").write_bytes(b"\x89PNG")
    run(backup, tmp_path, MEDIA_ROOT=str(root))
    for file in sorted(root.rglob("*"), reverse=True):
        file.unlink() if file.is_file() else file.rmdir()
    root.rmdir()
    run(restore, tmp_path, MEDIA_ROOT=str(root))
    assert (root / "reports" / "2026" / "12" / "report.pdf").read_bytes() == b"%PDF-1.7"
    assert (root / "logos" / "acme.png").read_bytes() == b"\x89PNG"
