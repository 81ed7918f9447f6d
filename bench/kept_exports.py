"""Write the export files kept in tests/fixtures/exports/, with the formats of this commit.

    .venv/bin/python bench/kept_exports.py tests/fixtures/exports

Run once per new format version: it writes `assessment-v<N>.json`,
`assessment-own-framework-v<N>.json` and `organization-v<N>.json.gz` for the versions of this
commit and refuses to overwrite a file that exists. Kept files are never regenerated, only
added to: `tests/assessments/test_kept_exports.py` proves every one of them still imports.

The content is the test suite's Acme (`tests/assessments/test_org_transfer.demo_acme`: the demo
Acme with six hours of telemetry, agreements settling the draft's disputes, an excluded
dimension, a health event and an assessment on a framework of its own), built in a throw-away
SQLite database with the clock stopped at NOW and seeded UUIDs.
"""

import argparse
import os
import random
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

_uuids = random.Random("ladder-kept-exports")
uuid.uuid4 = lambda: uuid.UUID(int=_uuids.getrandbits(128), version=4)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("TIME_ZONE", "UTC")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="ladder-kept-media-"))
os.environ.pop("DATABASE_URL", None)
os.environ["SQLITE_TEST_PATH"] = tempfile.mktemp(suffix=".sqlite3", prefix="ladder-kept-")

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        write(args.outdir)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def write(out: Path):
    import time_machine

    from assessments.exchange.downloads import assessment_export_file
    from assessments.exchange.export import VERSION as ASSESSMENT_VERSION
    from assessments.orgtransfer.exporting import VERSION as ORGANIZATION_VERSION
    from assessments.orgtransfer.exporting import organization_export
    from assessments.orgtransfer.files import document_write
    from tests.assessments.test_org_transfer import demo_acme

    files = {
        "assessment": out / f"assessment-v{ASSESSMENT_VERSION}.json",
        "own": out / f"assessment-own-framework-v{ASSESSMENT_VERSION}.json",
        "organization": out / f"organization-v{ORGANIZATION_VERSION}.json.gz",
    }
    kept = [str(p) for p in files.values() if p.exists()]
    if kept:
        sys.exit(f"kept files are never regenerated; these exist: {', '.join(kept)}")
    out.mkdir(parents=True, exist_ok=True)
    with time_machine.travel(NOW, tick=False):
        org = demo_acme()
        for key, title in (("assessment", "Current assessment"), ("own", "On our own ladder")):
            assessment = org.assessments.get(title=title)
            export = assessment_export_file(assessment=assessment, format="json")
            files[key].write_bytes(export.content)
        document_write(organization_export(organization=org, now=NOW), str(files["organization"]))
    for path in files.values():
        print(f"{path}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
