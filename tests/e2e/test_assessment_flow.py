import pytest
from playwright.sync_api import expect

from assessments.models import Assessment, CriterionAnswer
from tests.assessments.conftest import make_process
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


def test_coo_scores_a_small_assessment_end_to_end(page, org, owner):
    make_process(org, "Press line 3 maintenance", value=5)
    log_in(page, owner.email, PASSWORD)

    page.get_by_role("link", name="Assessments").click()
    page.get_by_role("link", name="New assessment").click()
    page.get_by_label("Title").fill("Workshop, November")
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Workshop, November")

    page.get_by_role("link", name="Press line 3 maintenance").click()
    level_one = page.locator(".level-card").first
    criteria = level_one.locator("form.criterion")
    for i in range(criteria.count()):
        criterion = criteria.nth(i)
        criterion.get_by_text("Fully").click()
        expect(criterion.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    expect(page.locator("#level-panel .big-level")).to_contain_text("Substitution")
    expect(page.locator("#progress")).to_contain_text("3 of")

    assessment = Assessment.objects.get(title="Workshop, November")
    assert (
        CriterionAnswer.objects.filter(process_score__assessment=assessment, status="fully").count()
        == 3
    )

    page.get_by_role("link", name="Workshop, November").click()
    page.get_by_role("link", name="Security and compliance").click()
    first_it = page.locator("select[name=value]").first
    first_it.select_option("2")
    expect(page.locator(".save-state .saved").first).to_be_visible()

    page.get_by_role("link", name="Workshop, November").click()
    page.get_by_role("link", name="Finalize…").click()  # a step that shows the numbers first
    expect(page.get_by_role("heading", name="Finalize this assessment?")).to_be_visible()
    page.get_by_role("button", name="Finalize").click()
    expect(page.get_by_text("This assessment is final and read-only.")).to_be_visible()
    page.get_by_role("link", name="Press line 3 maintenance").click()
    expect(page.get_by_role("radio", name="Fully").first).to_be_disabled()
    assessment.refresh_from_db()
    assert assessment.state == "final"

    page.get_by_role("link", name="Workshop, November").click()
    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator(".js-plotly-plot").first).to_be_visible()  # Plotly drew the charts
    expect(page.get_by_text("1.00").first).to_be_visible()  # the SAMR index: one process at 1
