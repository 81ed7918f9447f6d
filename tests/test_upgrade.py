"""Upgrades lose nothing: a database built by the release before the consolidation (issue 12),
migrated to this code, holds every figure, audit event and roadmap activity line it held.

The older release is kept as the tree `git archive` wrote (tests/fixtures/upgrade/, so the test
needs no git history): `git archive 7ed8075 accounts assessments audit integration config
manage.py | gzip -9n`. Its code builds the demo in a fresh database of the kind the suite runs
on (PostgreSQL or SQLite) and reads what must survive; this code migrates the same database and
reads it again (tests/upgrade_dump.py, at the same stopped instant); both readings must be equal.
"""

import json
import os
import subprocess
import sys
import tarfile
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from django.db import connection

from tests.instances import ROOT

OLD_RELEASE = ROOT / "tests" / "fixtures" / "upgrade" / "ladder-7ed8075.tar.gz"
DUMP = ROOT / "tests" / "upgrade_dump.py"


@pytest.fixture
def database(tmp_path):
    """The environment for both versions' commands, on a database of their own."""
    env = {"DEBUG": "0", "SECRET_KEY": "upgrade-test", "HTTPS": "0", "TIME_ZONE": "UTC"}
    env |= {"MEDIA_ROOT": str(tmp_path / "media"), "PYTHONHASHSEED": "0"}
    if connection.vendor == "sqlite":
        yield env | {"SQLITE_PATH": str(tmp_path / "upgrade.sqlite3"), "DATABASE_URL": ""}
        return
    settings = connection.settings_dict
    server = {
        "host": settings["HOST"] or "127.0.0.1",
        "port": settings["PORT"] or 5432,
        "user": settings["USER"],
        "password": settings["PASSWORD"] or None,
    }
    name = f"ladder_upgrade_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    credentials = server["user"] + (f":{server['password']}" if server["password"] else "")
    try:
        yield env | {
            "DATABASE_URL": f"postgres://{credentials}@{server['host']}:{server['port']}/{name}"
        }
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(*args, cwd, env):
    done = subprocess.run(
        [sys.executable, *args], cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed:\n{done.stderr[-3000:]}"
    return done.stdout


def test_a_database_of_the_release_before_upgrades_with_every_figure_event_and_activity_line(
    tmp_path, database
):
    old = tmp_path / "old"
    with tarfile.open(OLD_RELEASE) as archive:
        archive.extractall(old, filter="data")
    run("manage.py", "migrate", "--no-input", cwd=old, env=database)
    run("manage.py", "seed_demo", cwd=old, env=database)
    at = datetime.now(UTC).replace(microsecond=0).isoformat()
    run(DUMP, old, at, tmp_path / "before.json", cwd=old, env=database)

    run("manage.py", "migrate", "--no-input", cwd=ROOT, env=database)
    run(DUMP, ROOT, at, tmp_path / "after.json", cwd=ROOT, env=database)

    before = json.loads((tmp_path / "before.json").read_text())
    after = json.loads((tmp_path / "after.json").read_text())
    assert before["figures"] and before["roadmaps"] and before["events"]
    assert sum(map(len, before["activity"].values())) > 0
    assert after["figures"] == before["figures"]
    assert after["roadmaps"] == before["roadmaps"]
    assert after["activity"] == before["activity"]
    # Each event the old trail held is still there as it was; the activity lines that had no
    # event of their own became events (the migration's docstring says how).
    events = {e["pk"]: e for e in after["events"]}
    for event in before["events"]:
        assert events.get(event["pk"]) == event
