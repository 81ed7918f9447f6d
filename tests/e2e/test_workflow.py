"""A workflow a COO can trust, in a real browser (issue 13): finalizing is a deliberate step
with the numbers, disputes refuse it without a reason, and settling a dispute updates the
page's counters without a reload."""

import pytest
from playwright.sync_api import expect

from assessments.models import Assessment, CriterionAnswer, FrameworkVersion
from tests.assessments.conftest import (
    answer_dimension,
    answer_levels,
    make_assessment,
    make_process,
)
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def disputed(org, owner, member):
    framework = FrameworkVersion.objects.shipped()
    assessment = make_assessment(org, framework, [make_process(org, "Press line")], title="Q4")
    score = assessment.process_scores.get()
    answer_levels(score, owner, {1: "fully"})
    answer_levels(score, member, {1: "partial"})
    answer_dimension(assessment, owner, "security", it=3, ot=1)
    answer_dimension(assessment, member, "security", it=3, ot=2)
    return assessment


def test_finalize_is_a_confirmed_step_and_disputes_need_a_reason(page, org, disputed, consultant):
    log_in(page, consultant.email, PASSWORD)
    page.goto(f"/o/{org.slug}/assessments/{disputed.pk}/")
    expect(page.get_by_role("button", name="Finalize")).to_have_count(0)  # no one-click final
    page.get_by_role("link", name="Finalize…").click()

    numbers = page.locator(".finalize-numbers")
    expect(numbers).to_contain_text("disputed")
    expect(numbers).to_contain_text("unanswered")
    page.get_by_role("button", name="Finalize").click()
    error = page.locator("#id_reason_error")
    expect(error).to_contain_text("disputed")
    expect(
        page.get_by_label("Reason to finalize with disputed answers left out")
    ).to_have_attribute("aria-invalid", "true")
    disputed.refresh_from_db()
    assert disputed.state == "draft"

    page.get_by_label("Reason to finalize with disputed answers left out").fill("Pilot line only")
    page.get_by_role("button", name="Finalize").click()
    expect(page.get_by_text("This assessment is final and read-only.")).to_have_count(1)
    disputed.refresh_from_db()
    assert disputed.state == "final"

    page.get_by_role("button", name="Reopen as a revision").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Q4 (revision 1)")
    expect(page.get_by_text("Revision 1 of")).to_be_visible()
    assert Assessment.objects.get(revision_of=disputed).state == "draft"


def test_settling_a_dispute_updates_the_counters_without_a_reload(page, org, disputed, consultant):
    log_in(page, consultant.email, PASSWORD)
    page.goto(f"/o/{org.slug}/assessments/{disputed.pk}/agreement/")
    counter = page.locator("#agreement-counter")
    text = counter.inner_text()
    before = int(text.split(" disputed")[0])
    page.evaluate("window.__marker = 'no reload'")

    first = page.locator("tr[id^=item-]").first
    first.locator("select").select_option(index=1)
    first.get_by_placeholder("Reason (kept with the answer)").fill("Seen on site")
    first.get_by_role("button", name="Agree").click()
    expect(page.locator("tr[id^=item-]").first.get_by_role("status")).to_have_text("Saved")
    expect(counter).to_contain_text(f"{before - 1} disputed")
    expect(page.locator("#progress")).to_contain_text(f"{before - 1} disputed")
    assert page.evaluate("window.__marker") == "no reload"

    page.locator("tr[id^=item-]").first.get_by_role("link", name="Next dispute").click()
    assert page.evaluate("location.hash").startswith("#item-")


def test_save_and_next_saves_what_was_typed_and_reaches_the_next_unanswered_item(page, org, owner):
    framework = FrameworkVersion.objects.shipped()
    assessment = make_assessment(
        org, framework, [make_process(org, "A press"), make_process(org, "B stock")], title="Q1"
    )
    a_press = assessment.process_scores.get(process__name="A press")
    answer_levels(a_press, owner, {1: "fully", 2: "fully", 3: "fully", 4: "fully"})
    log_in(page, owner.email, PASSWORD)
    page.goto(f"/o/{org.slug}/assessments/{assessment.pk}/processes/{a_press.pk}/")

    criterion = page.locator("form.criterion").first
    criterion.get_by_text("Rationale and evidence").click()
    criterion.get_by_label("Rationale").fill("Work orders in SAP PM since 2021")
    page.get_by_role("link", name="Save and next: B stock").click()  # typed, never blurred
    expect(page.get_by_role("heading", level=1)).to_contain_text("B stock")
    first = framework.definition.criteria_for("manufacturing", 1)[0].key
    assert page.evaluate("location.hash") == f"#criterion-{first}"
    expect(page.locator("#scoring-steps [aria-current=page]")).to_contain_text("B stock")
    answer = CriterionAnswer.objects.get(
        process_score=a_press, assessor=owner, criterion_key=criterion.get_attribute("id")[10:]
    )
    assert answer.rationale == "Work orders in SAP PM since 2021"


def test_a_new_assessment_says_not_scored_yet_until_the_first_answer(page, org, owner):
    framework = FrameworkVersion.objects.shipped()
    assessment = make_assessment(org, framework, [make_process(org, "Press line")], title="Fresh")
    log_in(page, owner.email, PASSWORD)
    page.goto(f"/o/{org.slug}/assessments/{assessment.pk}/")
    expect(page.locator(".figures")).to_contain_text("not scored yet")
    expect(page.locator(".figures")).not_to_contain_text("0.00")
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_text("No answers yet.")).to_be_visible()
    expect(page.get_by_text("The assessors gave the same answers everywhere")).to_have_count(0)

    page.goto(f"/o/{org.slug}/assessments/{assessment.pk}/")
    page.get_by_role("link", name="Press line").click()
    expect(page.locator("#level-panel")).to_contain_text("Not scored yet")
    # The panel's text comes before htmx is set up: a click before "load" saves nothing (CI).
    page.wait_for_load_state("load")
    page.locator("form.criterion").first.get_by_text("Not met").click()
    expect(page.locator("#level-panel")).to_contain_text(
        "Manual"
    )  # scored now: level 0 is a finding


def test_the_portfolio_counts_finals_and_labels_a_draft(page, org, owner, consultant):
    framework = FrameworkVersion.objects.shipped()
    press = make_process(org, "Press", value=2)
    final = make_assessment(org, framework, [press], title="Baseline")
    answer_levels(final.process_scores.get(), owner, {1: "fully", 2: "not"})
    final.finalize()
    make_assessment(org, framework, [press], title="Half-done review")  # newer, a draft
    log_in(page, consultant.email, PASSWORD)
    page.goto("/portfolio/")
    row = page.locator("tr", has_text=org.name)
    expect(row.locator('[data-figure="samr_index"]')).to_have_text("1.00")  # the final's, not 0
    expect(row).to_contain_text("Half-done review")
    expect(row.locator(".state-draft")).to_have_text("Draft")
