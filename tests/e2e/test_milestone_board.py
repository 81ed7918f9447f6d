import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import FrameworkVersion, Milestone
from assessments.roadmaps.generate import roadmap_generate
from tests.assessments.conftest import answer_levels, make_assessment, make_process
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def roadmap(org, owner, member):
    framework = FrameworkVersion.objects.shipped()
    press = make_process(org, "Press line 3 maintenance", value=5)
    assessment = make_assessment(org, framework, [press], title="Workshop")
    score = assessment.process_scores.get()
    answer_levels(score, owner, {1: "fully"})
    score.target_level = 3
    score.save()
    roadmap = roadmap_generate(
        assessment=assessment, user=owner, start_date=timezone.localdate(), capacity=3
    )
    roadmap.milestones.update(owner=member)
    return roadmap


def column(page, status):
    return page.locator(f'[data-status-column="{status}"]')


def test_member_drags_their_milestone_across_the_board_and_it_stays(page, roadmap, member):
    first = roadmap.milestones.order_by("position").first()
    log_in(page, member.email, PASSWORD)
    page.get_by_role("link", name="Roadmap", exact=True).click()
    page.get_by_role("link", name="Board").first.click()
    card = page.locator(f"#card-{first.pk}")
    expect(column(page, "planned").locator(card)).to_be_visible()

    card.drag_to(column(page, "in_progress"))
    expect(column(page, "in_progress").locator(f"#card-{first.pk}")).to_be_visible()
    expect(column(page, "in_progress").locator(".count")).to_have_text("1")

    page.reload()
    expect(column(page, "in_progress").locator(f"#card-{first.pk}")).to_be_visible()
    assert Milestone.objects.get(pk=first.pk).status == "in_progress"

    # The same move by keyboard: the card's status select.
    page.get_by_label(f"Status of “{first.title}”").select_option("done")
    expect(column(page, "done").locator(f"#card-{first.pk}")).to_be_visible()
    page.reload()
    expect(column(page, "done").locator(f"#card-{first.pk}")).to_be_visible()
    assert Milestone.objects.get(pk=first.pk).completed is not None
