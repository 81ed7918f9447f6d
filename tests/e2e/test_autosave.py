"""Autosave says Saved only for what the server stored, and every figure follows (issue 13)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from assessments.models import CriterionAnswer, FrameworkVersion, ReadinessAnswer
from tests.assessments.conftest import make_assessment, make_process
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def assessment(org, db):
    process = make_process(org, "Press line 3 maintenance", value=5)
    framework = FrameworkVersion.objects.shipped()
    return make_assessment(org, framework, [process], title="Workshop, November")


@pytest.fixture
def scoring(page, org, owner, assessment):
    """The scoring page of the assessment's one process, logged in as the owner."""
    log_in(page, owner.email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    score = assessment.process_scores.get()
    page.goto(reverse("assessments:process-score", args=[org.slug, assessment.pk, score.pk]))
    return page


@pytest.fixture
def readiness(page, org, owner, assessment):
    log_in(page, owner.email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(reverse("assessments:readiness", args=[org.slug, assessment.pk, "connectivity"]))
    return page


def first_criterion(assessment):
    return assessment.framework.definition.criteria_for("manufacturing", 1)[0]


def test_choosing_fully_shows_saved_with_counts_as_level_and_progress_updated(scoring, assessment):
    page = scoring
    expect(page.locator("#level-panel")).to_contain_text("Not scored yet")
    expect(page.locator("#progress")).to_contain_text("0 of")
    row = page.locator(f"#criterion-{first_criterion(assessment).key}")
    expect(row).to_contain_text("Counts as: not answered")

    row.get_by_text("Fully").click()

    expect(row.get_by_role("status")).to_have_text("Saved")
    expect(row).to_contain_text("Counts as: fully")
    expect(row).not_to_contain_text("not answered")
    expect(page.locator("#progress")).to_contain_text("1 of")
    expect(page.locator("#level-panel")).not_to_contain_text("Not scored yet")
    expect(page.locator("#level-panel .big-level")).to_contain_text("Manual")


def test_a_readiness_answer_updates_the_summaries_and_counts_as(readiness, assessment):
    page = readiness
    summary = page.locator("#dimension-figures")
    expect(summary).to_contain_text("IT – · OT – · gap –")
    question = assessment.framework.definition.dimension("connectivity").questions[0]

    page.locator(f"#v-{question.key}-it").select_option("3")
    expect(page.locator(f"#state-{question.key}-it")).to_have_text("Saved")
    expect(summary).to_contain_text("IT 3.00 · OT – · gap –")
    expect(page.locator(f"#counts-{question.key}-it")).to_contain_text("Counts as: 3")

    page.locator(f"#v-{question.key}-ot").select_option("1")
    expect(page.locator(f"#state-{question.key}-ot")).to_have_text("Saved")
    expect(summary).to_contain_text("IT 3.00 · OT 1.00 · gap 2.00")
    expect(page.locator("#progress")).to_contain_text("2 of")
    assert ReadinessAnswer.objects.count() == 2


def test_a_link_the_browser_rejects_is_refused_next_to_the_field_without_saved(scoring, assessment):
    page = scoring
    key = first_criterion(assessment).key
    row = page.locator(f"#criterion-{key}")
    row.get_by_text("Fully").click()
    expect(row.get_by_role("status")).to_have_text("Saved")

    row.get_by_text("Rationale and evidence").click()
    link = row.get_by_label("Evidence link")
    link.fill("sharepoint/work-orders")
    link.blur()

    error = page.locator(f"#error-evidence_url-{key}")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Enter a full web address")
    expect(link).to_have_attribute("aria-invalid", "true")
    expect(link).to_have_attribute("aria-describedby", f"error-evidence_url-{key}")
    expect(row.get_by_role("status")).not_to_contain_text("Saved")
    assert CriterionAnswer.objects.get().evidence_url == ""

    link.fill("https://sharepoint.example.com/work-orders")
    link.blur()
    expect(row.get_by_role("status")).to_have_text("Saved")
    expect(error).to_be_empty()
    expect(link).not_to_have_attribute("aria-invalid", "true")
    assert (
        CriterionAnswer.objects.get().evidence_url == "https://sharepoint.example.com/work-orders"
    )


def test_a_status_the_server_refuses_shows_its_error_next_to_the_choices(scoring, assessment):
    page = scoring
    key = first_criterion(assessment).key
    row = page.locator(f"#criterion-{key}")
    row.get_by_text("Largely").click()
    expect(row.get_by_role("status")).to_have_text("Saved")

    # A value the server does not know (a stale page, a tampered form) is refused.
    row.get_by_role("radio", name="Fully").evaluate("radio => { radio.value = 'maybe' }")
    row.get_by_text("Fully").click()

    error = page.locator(f"#error-status-{key}")
    expect(error).to_contain_text("maybe is not one of the choices")
    expect(row.get_by_role("radiogroup")).to_have_attribute("aria-invalid", "true")
    expect(row.get_by_role("status")).to_contain_text("Not saved")
    expect(row.get_by_role("status")).not_to_contain_text("Saved")
    expect(row).to_contain_text("Counts as: largely")
    assert CriterionAnswer.objects.get().status == "largely"


def test_a_readiness_value_the_server_refuses_shows_its_error_next_to_the_select(
    readiness, assessment
):
    page = readiness
    question = assessment.framework.definition.dimension("connectivity").questions[0]
    select = page.locator(f"#v-{question.key}-it")
    select.evaluate("select => { select.options[select.options.length - 1].value = '7' }")
    select.select_option(index=6)

    error = page.locator(f"#error-value-{question.key}-it")
    expect(error).to_contain_text("7 is not one of the choices")
    expect(select).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#state-{question.key}-it")).to_have_text("Not saved")
    assert not ReadinessAnswer.objects.exists()
