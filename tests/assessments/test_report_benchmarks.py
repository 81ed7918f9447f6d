"""The full report's benchmark chapter: its figures, read back from the PDF, are the pool's."""

import pytest

from accounts.models import Membership, Role
from assessments.pool import benchmark_figures, known_organizations
from tests.assessments.benchmark_helpers import contributor, contributors
from tests.assessments.report_pdfs import build_report, pdf_of, pdf_text

pytestmark = pytest.mark.usefixtures("media")


def row_text(row) -> str:
    return (
        f"{row.name} {row.own_display} {row.standing} {row.median_display} "
        f"{row.middle_display} {row.top_display} {row.count}"
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
            organization=org, industry=industry, assessment=client_data["current"]
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


def test_the_pdf_counts_as_known_every_organisation_of_any_member(
    org, client_data, consultant, owner, framework, django_capture_on_commit_callbacks
):
    """The stored PDF may be downloaded by any member: an organisation one member belongs to
    (here the owner, not the consultant who asked for the report) is no stranger in it."""
    peers = contributors(framework, [0, 1, 3, 4, 4])
    Membership.objects.create(user=owner, organization=peers[0], role=Role.VIEWER)
    as_consultant = benchmark_figures(organization=org, user=consultant)
    assert as_consultant.rows[0].summary is not None  # five strangers to the consultant
    assert known_organizations(organization=org) >= {org.pk, peers[0].pk}
    report = build_report(
        consultant, client_data["current"], capture=django_capture_on_commit_callbacks
    )
    assert report.figures["benchmarks"][0]["rows"] == []  # four strangers to the owner
    assert "Not enough organisations share their figures" in pdf_text(pdf_of(report))
