"""What an integration backs: assessments registers a provider with `integration.backing`, and
the integration page lists the organisation's processes (with their latest level) and the
milestones whose acceptance criteria check it."""

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse

from assessments.evidence import backed_by_integration
from assessments.figures import latest_levels
from assessments.models import AcceptanceCriterion, Milestone, Roadmap
from integration import backing
from integration.models import Integration
from tests.assessments.conftest import answer_levels, make_assessment, make_process
from tests.conftest import client_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def scanner(org):
    return Integration.objects.create(organization=org, name="Goods receiving scanner")


@pytest.fixture
def backed(org, other_org, framework, owner, scanner):
    """Production scheduling at level 2 in the newer of two assessments, Warehouse picking not
    scored, an archived process, a milestone checking the scanner and one that does not."""
    scheduling = make_process(org, "Production scheduling", area="manufacturing")
    picking = make_process(org, "Warehouse picking", area="logistics")
    old = make_process(org, "Paper tally", area="logistics")
    old.archived = True
    old.save()
    for process in (scheduling, picking, old):
        process.integrations.add(scanner)
    spring = make_assessment(
        org, framework, [scheduling], title="Spring", assessed_on=date(2026, 3, 1)
    )
    answer_levels(spring.process_scores.get(), owner, {1: "fully"})
    autumn = make_assessment(
        org, framework, [scheduling, picking], title="Autumn", assessed_on=date(2026, 10, 1)
    )
    answer_levels(autumn.process_scores.get(process=scheduling), owner, {1: "fully", 2: "fully"})
    # A still newer assessment nobody answered does not hide the level.
    make_assessment(org, framework, [scheduling], title="Draft", assessed_on=date(2026, 11, 1))
    roadmap = Roadmap.objects.create(
        organization=org, title="Plan 2027", assessment=autumn, framework=framework
    )
    checked = Milestone.objects.create(roadmap=roadmap, title="Scan every pallet", process=picking)
    Milestone.objects.create(roadmap=roadmap, title="Train the shift leads")
    AcceptanceCriterion.objects.create(
        milestone=checked, integration=scanner, kind="freshness", threshold=60
    )
    # Another organisation's process and milestone never show, even linked by a bad write.
    foreign = make_process(other_org, "Globex scheduling")
    foreign.integrations.add(scanner)
    return {"scheduling": scheduling, "picking": picking, "autumn": autumn, "checked": checked}


def detail_url(integration):
    return reverse(
        "integration:integration-detail", args=[integration.organization.slug, integration.pk]
    )


def test_the_provider_is_registered_when_the_app_is_ready():
    assert backed_by_integration in backing._providers
    backing.register(backed_by_integration)  # a second ready() adds nothing
    assert backing._providers.count(backed_by_integration) == 1


def test_latest_levels_reads_the_newest_assessment_with_an_answer(
    backed, django_assert_num_queries
):
    processes = [backed["scheduling"], backed["picking"]]
    with django_assert_num_queries(4):
        levels = latest_levels(processes)
    scheduling = levels[backed["scheduling"].pk]
    assert (scheduling.level, scheduling.name, scheduling.assessment.title) == (
        2,
        "Augmentation",
        "Autumn",
    )
    assert backed["picking"].pk not in levels  # in scope, never answered: not scored yet


def test_it_lists_processes_with_their_level_then_milestones(org, backed, scanner):
    rows = backing.integration_backs(integration=scanner)
    autumn = backed["autumn"]
    score = autumn.process_scores.get(process=backed["scheduling"])
    assert [(r.kind, r.label, r.detail) for r in rows] == [
        ("Process", "Production scheduling", "level 2 Augmentation in Autumn"),
        ("Process", "Warehouse picking", "not scored yet"),
        ("Milestone", "Scan every pallet", "Plan 2027: " + str(backed["checked"].criteria.get())),
    ]
    assert rows[0].url == reverse("assessments:process-score", args=["acme", autumn.pk, score.pk])
    assert rows[1].url == reverse("assessments:processes", args=["acme"])
    assert rows[2].url == reverse(
        "assessments:milestone-detail", args=["acme", backed["checked"].pk]
    )


def test_a_retired_milestone_no_longer_counts(backed, scanner):
    Milestone.objects.filter(pk=backed["checked"].pk).update(retired="2026-11-01T00:00Z")
    assert [r.kind for r in backing.integration_backs(integration=scanner)] == ["Process"] * 2


def test_the_page_says_what_the_integration_affects(org, member, backed, scanner):
    html = client_for(member).get(detail_url(scanner)).content.decode()
    assert '<h2 id="backs-title">Affects</h2>' in html
    assert '<ul class="backs-list" hx-disable>' in html
    assert (
        '>Production scheduling</a> <span class="muted">· level 2 Augmentation in Autumn</span>'
        in html
    )
    assert ">Scan every pallet</a>" in html
    assert "Globex scheduling" not in html and "Paper tally" not in html


def test_an_integration_nothing_relies_on_says_so(org, owner, member, scanner):
    html = client_for(owner).get(detail_url(scanner)).content.decode()
    assert "Nothing relies on this integration yet." in html
    assert "edit page" in html
    html = client_for(member).get(detail_url(scanner)).content.decode()
    assert "An owner or consultant links it" in html


def test_another_organisations_integration_is_a_404(org, outsider, backed, scanner):
    assert client_for(outsider).get(detail_url(scanner)).status_code == 404


def test_integration_still_imports_nothing_of_assessments():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "integration knows nothing of assessments KEPT" in result.stdout
