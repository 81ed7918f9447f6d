"""An integration's page names what relies on it, and its links lead there."""

import pytest
from playwright.sync_api import expect

from assessments.models import AcceptanceCriterion, FrameworkVersion, Milestone, Roadmap
from integration.models import Integration
from tests.assessments.conftest import answer_levels, make_assessment, make_process
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def scanner(org, owner, member):
    framework = FrameworkVersion.objects.shipped()
    scanner = Integration.objects.create(organization=org, name="Goods receiving scanner")
    scheduling = make_process(org, "Production scheduling")
    scheduling.integrations.add(scanner)
    assessment = make_assessment(org, framework, [scheduling], title="Autumn workshop")
    answer_levels(assessment.process_scores.get(), owner, {1: "fully", 2: "fully"})
    roadmap = Roadmap.objects.create(
        organization=org, title="Plan 2027", assessment=assessment, framework=framework
    )
    milestone = Milestone.objects.create(
        roadmap=roadmap, title="Scan every pallet on arrival", process=scheduling
    )
    AcceptanceCriterion.objects.create(
        milestone=milestone, integration=scanner, kind="freshness", threshold=60
    )
    return scanner


def test_an_integration_page_names_the_process_and_milestone_it_backs(page, scanner, member):
    log_in(page, member.email, PASSWORD)
    page.get_by_role("link", name="Integrations", exact=True).click()
    page.get_by_role("link", name="Goods receiving scanner").click()
    affects = page.locator("section.backs")
    expect(affects.get_by_role("heading", name="Affects")).to_be_visible()
    expect(affects).to_contain_text("Production scheduling")
    expect(affects).to_contain_text("level 2 Augmentation in Autumn workshop")
    expect(affects).to_contain_text("Scan every pallet on arrival")

    affects.get_by_role("link", name="Production scheduling").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Production scheduling")

    page.go_back()
    page.locator("section.backs").get_by_role("link", name="Scan every pallet on arrival").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Scan every pallet on arrival")
