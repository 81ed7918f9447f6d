"""The full report's benchmark chapter: its figures, read back from the PDF, are the pool's."""

import pytest

from assessments.pool import benchmark_figures
from tests.assessments.benchmark_helpers import contributor, contributors
from tests.assessments.report_pdfs import build_report, pdf_of, pdf_text

pytestmark = pytest.mark.usefixtures("media")


def row_text(row) -> str:
    return (
        f"{row.name} {row.own_display} {row.summary.percentile} {row.median_display} "
        f"{row.q1_display} – {row.q3_display} {row.top_display} {row.count}"
    )


def test_the_chapter_shows_the_pools_figures_for_all_and_the_industry(
    org, client_data, consultant, framework, django_capture_on_commit_callbacks
):
    org.industry = "manufacturing"
    org.save()
    contributors(framework, [0, 1, 3, 4, 4], ready=1)
    contributor("shop", framework, 2, industry="retail", ready=3)
    report = build_report(
        consultant, client_data["current"], capture=django_capture_on_commit_callbacks
    )
    text = pdf_text(pdf_of(report))
    assert "Benchmarks across organisations" in text
    shown = 0
    for industry in ("", "manufacturing"):
        figures = benchmark_figures(
            organization=org, user=consultant, industry=industry, assessment=client_data["current"]
        )
        assert figures.industry_label in text
        for row in figures.rows:
            if row.summary is not None:
                assert row_text(row) in text
                shown += 1
    assert shown == 4  # manufacturing and connectivity, in both cuts
    assert report.figures["benchmarks"][0]["rows"][0]["key"] == "manufacturing"


def test_below_five_the_chapter_shows_no_figure(
    org, client_data, consultant, framework, django_capture_on_commit_callbacks
):
    contributors(framework, [0, 1, 3, 4])
    report = build_report(
        consultant, client_data["current"], capture=django_capture_on_commit_callbacks
    )
    text = pdf_text(pdf_of(report))
    assert "Not enough organisations share their figures for this benchmark yet." in text
    assert (
        "Top quartile" not in text.split("Benchmarks across organisations")[-1].split("Appendix")[0]
    )
    assert report.figures["benchmarks"][0]["rows"] == []
