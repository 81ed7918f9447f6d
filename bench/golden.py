"""The demo's figures, exports and report text, written to a directory to compare across commits.

    .venv/bin/python bench/golden.py OUTDIR                # build the demo, write everything
    .venv/bin/python bench/golden.py --org acme OUTDIR     # one organisation only (quicker)
    .venv/bin/python bench/golden.py --no-pdf OUTDIR       # skip WeasyPrint (report HTML only)
    .venv/bin/python bench/golden.py --compare DIR_A DIR_B # differing files, exit 1 if any

Before and after a change (a behaviour-preserving refactor must give no difference):

    git worktree add /tmp/before <commit>
    (cd /tmp/before && ln -s /path/to/.venv .venv && .venv/bin/python bench/golden.py /tmp/a)
    .venv/bin/python bench/golden.py /tmp/b
    .venv/bin/python bench/golden.py --compare /tmp/a /tmp/b
    git worktree remove /tmp/before

Builds the demo (`seed_demo`'s steps) in a throw-away SQLite database with the clock stopped at
NOW, UUIDs and token secrets drawn from seeded generators and the string hash seed fixed, so
two runs on one commit write identical files. Per organisation (`OUTDIR/<slug>/`), per assessment:
`figures` as the export rounds them (sorted keys); the JSON, CSV and XLSX downloads fetched from
the download view (JSON and CSV byte for byte as served, the XLSX as its cells, its zip bytes
carry timestamps); the report's HTML before WeasyPrint and, unless --no-pdf, the PDF's text
(pypdf) and page count, not the PDF bytes. Per roadmap: the CSV download and the XLSX cells.
Per organisation: the `export_org` document (uncompressed, as `export_org` writes it to a
file) and a comparison report of the baseline against the current assessment.
"""

import argparse
import contextlib
import difflib
import os
import random
import re
import secrets
import sys
import tempfile
import uuid
import warnings
from datetime import UTC, datetime
from pathlib import Path

# Before anything imports Django: fixed string hashing (set order; PYTHONHASHSEED=random in the
# environment tries another) and seeded UUIDs, bound by UUIDField(default=uuid.uuid4) when the
# models are imported.
if "PYTHONHASHSEED" not in os.environ and __name__ == "__main__":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable, *sys.argv])
warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic

_uuids = random.Random("ladder-golden")
uuid.uuid4 = lambda: uuid.UUID(int=_uuids.getrandbits(128), version=4)
# Ingest tokens and feed keys: the audit trail (and so export_org) quotes a token's first letters.
_tokens = random.Random("ladder-golden-tokens")
secrets.token_bytes = lambda nbytes=None: _tokens.randbytes(32 if nbytes is None else nbytes)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("TIME_ZONE", "UTC")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="ladder-golden-media-"))
os.environ.pop("DATABASE_URL", None)  # always SQLite: the figures do not depend on the database
os.environ["SQLITE_TEST_PATH"] = tempfile.mktemp(suffix=".sqlite3", prefix="ladder-golden-")

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="+", metavar="DIR")
    parser.add_argument("--compare", action="store_true", help="compare two output directories")
    parser.add_argument("--org", action="append", help="only this organisation (repeatable)")
    parser.add_argument("--no-pdf", action="store_true", help="skip WeasyPrint and the PDF text")
    args = parser.parse_args()
    if args.compare:
        if len(args.dirs) != 2:
            parser.error("--compare takes two directories")
        sys.exit(compare(Path(args.dirs[0]), Path(args.dirs[1])))
    if len(args.dirs) != 1:
        parser.error("give one output directory")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        golden_write(Path(args.dirs[0]), orgs=args.org, pdf=not args.no_pdf)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def golden_write(out: Path, *, orgs=None, pdf=True) -> list[Path]:
    """Seed the demo at NOW and write its outputs under `out`; returns the files written."""
    import time_machine

    with time_machine.travel(NOW, tick=False):
        demo = demo_seed()
        written = []
        for slug in sorted(demo):
            if orgs and slug not in orgs:
                continue
            written += organization_write(demo[slug], out / slug, pdf=pdf)
    return written


def demo_seed():
    """What `manage.py seed_demo` does."""
    from accounts.demo import demo_accounts_create
    from assessments.demo import demo_assessments_create, demo_roadmaps_create
    from integration.demo import demo_integrations_create

    orgs = demo_accounts_create()
    demo_integrations_create(orgs)
    demo_assessments_create(orgs)
    demo_roadmaps_create(orgs)
    return orgs


def organization_write(org, out: Path, *, pdf: bool) -> list[Path]:
    from django.test import Client

    from accounts.models import User

    files = Files(out)
    client = Client()
    client.force_login(User.objects.get(email="consultant@ladder.example"))
    base = f"/o/{org.slug}"
    assessments = list(org.assessments.order_by("created", "pk"))
    for n, assessment in enumerate(assessments, 1):
        name = f"assessment-{n}"
        files.json(f"{name}.figures.json", _figures(assessment))
        for fmt in ("json", "csv", "xlsx"):
            response = client.get(f"{base}/assessments/{assessment.pk}/export.{fmt}")
            assert response.status_code == 200, (response.status_code, assessment, fmt)
            files.text(f"{name}.export.{fmt}.headers", _headers(response))
            if fmt == "xlsx":
                files.json(f"{name}.export.xlsx.cells.json", _cells(response.content))
            else:
                files.bytes(f"{name}.export.{fmt}", response.content)
        files.report(f"{name}.report", assessment=assessment, pdf=pdf)
    by_title = {a.title: a for a in assessments}
    if {"Baseline, last quarter", "Current assessment"} <= set(by_title):
        files.report(
            "comparison.report",
            assessment=by_title["Current assessment"],
            compared_to=by_title["Baseline, last quarter"],
            pdf=pdf,
        )
    for n, roadmap in enumerate(org.roadmaps.order_by("created", "pk"), 1):
        for fmt in ("csv", "xlsx"):
            response = client.get(f"{base}/roadmaps/{roadmap.pk}/export.{fmt}")
            assert response.status_code == 200, (response.status_code, roadmap, fmt)
            files.text(f"roadmap-{n}.export.{fmt}.headers", _headers(response))
            if fmt == "xlsx":
                files.json(f"roadmap-{n}.export.xlsx.cells.json", _cells(response.content))
            else:
                files.bytes(f"roadmap-{n}.export.{fmt}", response.content)
    files.bytes("organization.json", _org_document(org))
    return files.written


class Files:
    def __init__(self, out: Path):
        self.out = out
        self.written: list[Path] = []
        out.mkdir(parents=True, exist_ok=True)

    def bytes(self, name: str, content: bytes):
        path = self.out / name
        path.write_bytes(content)
        self.written.append(path)

    def text(self, name: str, content: str):
        self.bytes(name, content.encode())

    def json(self, name: str, data):
        import json

        self.text(name, json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")

    def report(self, name: str, *, assessment, compared_to=None, pdf: bool):
        """The report's HTML before WeasyPrint, its figures snapshot, and the PDF's text."""
        import io

        from pypdf import PdfReader

        from accounts.models import User
        from assessments.models import Report
        from assessments.reports.content import report_content
        from assessments.reports.render import pdf_from_html, report_html

        report = Report.objects.create(
            organization=assessment.organization,
            kind=Report.Kind.COMPARISON if compared_to else Report.Kind.ASSESSMENT,
            assessment=assessment,
            compared_to=compared_to,
            requested_by=User.objects.get(email="consultant@ladder.example"),
        )
        report.claim(now=NOW)
        content = report_content(report=report, now=NOW)
        html = report_html(content)
        self.text(f"{name}.html", html)
        self.json(f"{name}.figures.json", content.snapshot())
        if pdf:
            document = pdf_from_html(html)
            pages = PdfReader(io.BytesIO(document.data)).pages
            text = "\n".join(
                f"--- page {i} ---\n" + re.sub(r"[ \t]+\n", "\n", page.extract_text())
                for i, page in enumerate(pages, 1)
            )
            self.text(f"{name}.pdf.txt", f"pages: {document.pages}\n{text}\n")


def _figures(assessment):
    from assessments.exchange.export import figures_data
    from assessments.figures import assessment_figures

    return figures_data(assessment_figures(assessment))


def _headers(response) -> str:
    return "".join(
        f"{key}: {response.headers[key]}\n" for key in ("Content-Type", "Content-Disposition")
    )


def _cells(content: bytes) -> dict:
    """Every sheet's cell values, as strings (dates and numbers as Python writes them)."""
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    return {
        sheet.title: [
            [None if v is None else f"{type(v).__name__}:{v}" for v in row]
            for row in sheet.iter_rows(values_only=True)
        ]
        for sheet in book.worksheets
    }


def _org_document(org) -> bytes:
    from io import StringIO

    from django.core.management import call_command

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "org.json"
        call_command("export_org", org.slug, "-o", str(path), stdout=StringIO())
        return path.read_bytes()


def compare(a: Path, b: Path, *, context: int = 2, lines: int = 40) -> int:
    """Print the files that differ (or exist on one side only), with a short diff; 1 if any."""
    names_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    names_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    differing = 0
    for name in sorted(names_a | names_b):
        if name not in names_b or name not in names_a:
            print(f"only in {a if name in names_a else b}: {name}")
            differing += 1
            continue
        old, new = (a / name).read_bytes(), (b / name).read_bytes()
        if old == new:
            continue
        differing += 1
        print(f"differs: {name}")
        diff = _diff(_lines(old, name), _lines(new, name), f"{a / name}", f"{b / name}", context)
        shown = list(diff)
        for line in shown[:lines]:
            print(f"  {line[:200]}")
        if len(shown) > lines:
            print(f"  ... {len(shown) - lines} more diff lines")
    total = len(names_a | names_b)
    print(f"{differing} of {total} files differ" if differing else f"all {total} files identical")
    return 1 if differing else 0


def _diff(old: list[str], new: list[str], name_a: str, name_b: str, context: int):
    """difflib's unified diff of what lies between the common first and last lines, which keeps
    it fast on documents of a million lines; line numbers are the files' own."""
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    first, end = max(start - context, 0), max(end - context, 0)
    lines = difflib.unified_diff(
        old[first : len(old) - end],
        new[first : len(new) - end],
        name_a,
        name_b,
        n=context,
        lineterm="",
    )
    for line in lines:
        if line.startswith("@@") and first:
            line = re.sub(r"[-+](\d+)", lambda m: f"{m.group()[0]}{int(m.group(1)) + first}", line)
        yield line


def _lines(content: bytes, name: Path) -> list[str]:
    """Lines to diff; a one-line JSON document is indented first so the diff can point."""
    import json

    text = content.decode(errors="replace")
    if name.suffix == ".json" and text.count("\n") <= 1:
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), indent=1, ensure_ascii=False)
    return text.splitlines()


if __name__ == "__main__":
    main()
