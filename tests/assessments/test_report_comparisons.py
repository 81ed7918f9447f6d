"""The PDF report against others: peers shown as means only, and a comparison with a baseline."""

import pytest

from accounts.models import Membership, Organization, Role
from assessments.figures import assessment_figures
from assessments.models import Report
from assessments.scoring import format_figure
from tests.assessments.conftest import answer_dimension, make_process, scored_assessment
from tests.assessments.report_pdfs import build_report, pdf_of, pdf_text
from tests.conftest import make_user

pytestmark = pytest.mark.usefixtures("media")


# --- Peers ------------------------------------------------------------------------------------


def _peer_org(slug, consultant, framework, level):
    org = Organization.objects.create(name=f"Peer {slug}", slug=slug)
    Membership.objects.create(user=consultant, organization=org, role=Role.CONSULTANT)
    owner = make_user(f"owner@{slug}.test", org, Role.OWNER)
    process = make_process(org, "Press line", value=2)
    assessment = scored_assessment(
        org, framework, owner, [process], levels={"Press line": level}, title="Final"
    )
    answer_dimension(assessment, owner, "connectivity", it=2, ot=2)
    assessment.finalize()
    return org


def test_with_fewer_than_three_peers_the_report_says_so(report, text, other_org):
    assert "Not enough peers" in text and "fewer than 3" in text
    assert other_org.name not in text


def test_peers_are_shown_as_means_only(
    client_data, consultant, framework, django_capture_on_commit_callbacks
):
    peers = [
        _peer_org(f"peer{i}", consultant, framework, level) for i, level in enumerate([1, 2, 4])
    ]
    report = build_report(
        consultant, client_data["current"], capture=django_capture_on_commit_callbacks
    )
    text = pdf_text(pdf_of(report))
    # manufacturing: own press at 2 (only manufacturing process), peers 1, 2, 4: mean 2.33
    assert "Manufacturing SAMR index 2.00 3 2.33 −0.33" in text
    for peer in peers:
        assert peer.name not in text
    rows = {r["name"] + r["measure"]: r for r in report.figures["peers"]}
    assert rows["ManufacturingSAMR index"]["mean"] == "2.33"
    assert rows["LogisticsSAMR index"]["mean"] == "not enough peers"


# --- Comparison -------------------------------------------------------------------------------


def test_comparison_report_shows_what_changed(
    client_data, consultant, django_capture_on_commit_callbacks
):
    report = build_report(
        consultant,
        client_data["current"],
        compared_to=client_data["baseline"],
        capture=django_capture_on_commit_callbacks,
    )
    assert report.kind == Report.Kind.COMPARISON
    text = pdf_text(pdf_of(report))
    before = assessment_figures(client_data["baseline"])
    after = assessment_figures(client_data["current"])
    delta = format_figure(after.samr_index - before.samr_index)
    assert (
        f"SAMR index {format_figure(before.samr_index)} {format_figure(after.samr_index)} +{delta}"
        in text
    )
    assert "Press line 3 maintenance 1 2 +1" in text
    assert "Stock counts 0 1 +1" in text
    assert "Most improved" in text and "Most concerning" in text
    assert "Connectivity and data access 2.00 3.00 +1.00 1.00 1.00 0.00" in text
    assert report.figures["compared_to"]["id"] == client_data["baseline"].pk
