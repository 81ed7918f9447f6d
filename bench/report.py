"""Time to build the PDF report of the demo's largest assessment, against WeasyPrint alone.

    .venv/bin/python bench/report.py               # SQLite (a throw-away database)
    .venv/bin/python bench/report.py --runs 5

Seeds the demo in a throw-away test database, picks its largest assessment (most answers) and
builds its report `--runs` times: the app's own work (queries, figures, evidence, health,
roadmap, peers, SVG charts: `report_content`), the template (`report_html`), then WeasyPrint
on that HTML; then WeasyPrint alone on the same final HTML, `--runs` times, in the same run.
Prints medians, the app's share of WeasyPrint's time (the issue's bar: under 30 %), the page
count, and the SVG builders against the LIMITS.md figure for matplotlib. A benchmark, never a
test.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="ladder-bench-media-"))
if not os.environ.get("DATABASE_URL"):
    os.environ.setdefault("SQLITE_TEST_PATH", tempfile.mktemp(suffix=".sqlite3"))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args.runs)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def seed():
    from accounts.demo import demo_accounts_create
    from assessments.demo import demo_assessments_create, demo_roadmaps_create
    from integration.demo import demo_integrations_create

    orgs = demo_accounts_create()
    demo_integrations_create(orgs)
    demo_assessments_create(orgs)
    demo_roadmaps_create(orgs)


def run(runs: int):
    from django.db.models import Count

    from accounts.models import User
    from assessments.charts.svg.assessment import gap_bars
    from assessments.models import Assessment, Report
    from assessments.reports.content import report_content
    from assessments.reports.render import pdf_from_html, report_html, report_render

    started = time.perf_counter()
    seed()
    print(f"demo seeded in {time.perf_counter() - started:.1f} s")
    assessment = (
        Assessment.objects.annotate(
            n=Count("process_scores__criterion_answers", distinct=True)
            + Count("readiness_answers", distinct=True)
        )
        .order_by("-n")
        .first()
    )
    consultant = User.objects.get(email="consultant@ladder.example")
    print(
        f"assessment: {assessment.organization.name}, {assessment.title} ({assessment.n} answers)"
    )

    # Builds and WeasyPrint-alone runs alternate, so both see the same machine load.
    app, html_times, typeset, alone, queries, pages = [], [], [], [], [], 0
    for _ in range(runs):
        report = Report.objects.create(
            organization=assessment.organization, assessment=assessment, requested_by=consultant
        )
        report.claim()
        now = timezone.now()
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            content = report_content(report=report, now=now)
            t1 = time.perf_counter()
        html = report_html(content)
        t2 = time.perf_counter()
        pdf = pdf_from_html(html)
        t3 = time.perf_counter()
        pdf_from_html(html)
        t4 = time.perf_counter()
        app.append(t1 - t0)
        html_times.append(t2 - t1)
        typeset.append(t3 - t2)
        alone.append(t4 - t3)
        queries.append(len(captured))
        pages = pdf.pages

    # The whole service once more, as the worker runs it (claim, build, store, mark ready).
    report = Report.objects.create(
        organization=assessment.organization, assessment=assessment, requested_by=consultant
    )
    t0 = time.perf_counter()
    report_render(report=report)
    service = time.perf_counter() - t0
    assert report.state == Report.State.READY, report.error

    # The SVG charts alone: a bar chart as LIMITS.md measured it, and every chart of the report.
    from assessments.charts.rows import process_rows
    from assessments.figures import assessment_figures

    rows = process_rows(assessment_figures(assessment))
    t0 = time.perf_counter()
    for _ in range(1000):
        gap_bars(rows)
    bar_ms = (time.perf_counter() - t0) / 1000 * 1000
    svg_count = html.count("<svg")

    m = statistics.median
    app_s, html_s, typeset_s, alone_s = m(app), m(html_times), m(typeset), m(alone)
    total = app_s + html_s + typeset_s
    own = total - alone_s
    print(f"pages: {pages}, size {report.size / 1024:.0f} KiB, {svg_count} inline SVG charts")
    print(f"app (queries, figures, charts): {app_s:.3f} s, {m(queries)} queries")
    print(f"template to HTML:               {html_s:.3f} s ({len(html) / 1024:.0f} KiB)")
    print(f"WeasyPrint in the build:        {typeset_s:.3f} s")
    print(f"total build:                    {total:.3f} s")
    print(f"WeasyPrint alone, same HTML:    {alone_s:.3f} s")
    print(
        f"app's own share:                {own:.3f} s = {100 * own / alone_s:.1f} % of WeasyPrint"
    )
    mine = app_s + html_s
    print(
        f"app + template alone:           {mine:.3f} s = {100 * mine / alone_s:.1f} % of WeasyPrint"
    )
    print(f"report_render (as the worker):  {service:.3f} s")
    print(f"SVG bar chart, hand-built:      {bar_ms:.3f} ms (matplotlib: ~40 ms, LIMITS.md)")


if __name__ == "__main__":
    main()
