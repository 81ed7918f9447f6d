"""Each person's milestones as an iCalendar feed at a private URL with a revocable key."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from accounts.models import Membership
from assessments.models import AcceptanceCriterion, FeedKey, Milestone, Roadmap
from assessments.roadmaps.feeds import feed_key_get
from integration.models import Integration
from tests.assessments.conftest import make_assessment, make_process
from tests.conftest import client_for

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(settings):
    settings.SITE_URL = "https://ladder.example"
    with time_machine.travel(NOW, tick=False):
        yield


def make_roadmap(org, framework, title="Integration roadmap"):
    assessment = make_assessment(org, framework, title=f"Assessment of {org.name}")
    return Roadmap.objects.create(
        organization=org, title=title, assessment=assessment, framework=framework
    )


@pytest.fixture
def roadmap(org, framework):
    return make_roadmap(org, framework)


@pytest.fixture
def mine(roadmap, member, org):
    process = make_process(org, "Press line 3 maintenance")
    return [
        Milestone.objects.create(
            roadmap=roadmap,
            title="Connect press line 3",
            process=process,
            owner=member,
            due_date=date(2026, 12, 1),
            status="in_progress",
        ),
        Milestone.objects.create(
            roadmap=roadmap,
            title="Segment the OT network",
            owner=member,
            due_date=date(2027, 1, 15),
        ),
    ]


def feed_path(user) -> str:
    return reverse("milestone-feed", args=[feed_key_get(user=user).key])


def events(response) -> dict:
    calendar = Calendar.from_ical(response.content)
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def test_the_feed_needs_no_login_and_parses_as_icalendar(client, mine, member):
    response = client.get(feed_path(member))  # an anonymous client, like a calendar app
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["version"]) == "2.0"
    assert str(calendar["x-wr-calname"]) == "Ladder: milestones of member@acme.test"
    assert len(calendar.walk("VEVENT")) == 2


def test_each_due_date_is_an_all_day_event_with_status_roadmap_and_organisation(
    client, mine, member
):
    event = events(client.get(feed_path(member)))[f"milestone-{mine[0].pk}@ladder.example"]
    assert event.decoded("dtstart") == date(2026, 12, 1)  # a date, not a time: all day
    assert event.decoded("dtend") == date(2026, 12, 2)
    assert str(event["summary"]) == "Connect press line 3 [In progress] · Acme Precision"
    description = str(event["description"])
    assert "Status: In progress" in description
    assert "Roadmap: Integration roadmap (Now)" in description
    assert "Organisation: Acme Precision" in description
    assert "Process: Press line 3 maintenance" in description
    detail = reverse("assessments:milestone-detail", args=["acme", mine[0].pk])
    assert str(event["url"]) == f"https://ladder.example{detail}"


def test_a_done_milestone_failing_its_criteria_is_done_not_verified(client, mine, member, org):
    integration = Integration.objects.create(organization=org, name="Press line 3 vibration")
    AcceptanceCriterion.objects.create(
        milestone=mine[0],
        integration=integration,
        kind="freshness",
        threshold=60,
        last_checked=NOW,
        last_passed=False,
    )
    mine[0].set_status("done")
    mine[0].save()
    event = events(client.get(feed_path(member)))[f"milestone-{mine[0].pk}@ladder.example"]
    assert str(event["summary"]).startswith("Connect press line 3 [Done, not verified]")
    assert "Acceptance criteria: Done, not verified" in str(event["description"])


def test_only_the_members_own_open_milestones_with_a_due_date(client, mine, member, owner, roadmap):
    Milestone.objects.create(roadmap=roadmap, title="The owner's", owner=owner, due_date=NOW)
    Milestone.objects.create(roadmap=roadmap, title="Undated", owner=member)
    Milestone.objects.create(
        roadmap=roadmap, title="Removed", owner=member, due_date=date(2026, 12, 5), retired=NOW
    )
    summaries = {str(e["summary"]) for e in events(client.get(feed_path(member))).values()}
    assert summaries == {
        "Connect press line 3 [In progress] · Acme Precision",
        "Segment the OT network [Planned] · Acme Precision",
    }


def test_the_feed_spans_the_members_organisations_and_drops_one_they_left(
    client, mine, consultant, other_org, framework, org
):
    theirs = make_roadmap(other_org, framework, title="Globex plan")
    Milestone.objects.create(
        roadmap=theirs, title="Globex milestone", owner=consultant, due_date=date(2026, 12, 9)
    )
    Milestone.objects.filter(pk=mine[1].pk).update(owner=consultant)
    path = feed_path(consultant)
    summaries = {str(e["summary"]) for e in events(client.get(path)).values()}
    assert summaries == {
        "Segment the OT network [Planned] · Acme Precision",
        "Globex milestone [Planned] · Globex Foods",
    }
    Membership.objects.filter(user=consultant, organization=other_org).delete()
    assert len(events(client.get(path))) == 1


def test_another_users_key_never_shows_your_milestones(client, mine, member, owner):
    html = client.get(feed_path(owner)).content.decode()
    assert "Connect press line 3" not in html and "Segment the OT network" not in html
    assert feed_key_get(user=owner).key != feed_key_get(user=member).key


def test_an_unknown_key_is_404(client, mine):
    assert client.get(reverse("milestone-feed", args=["not-a-key"])).status_code == 404


def test_a_deactivated_persons_feed_is_404(client, mine, member):
    path = feed_path(member)
    member.is_active = False
    member.save(update_fields=["is_active"])
    assert client.get(path).status_code == 404


def test_the_feed_of_someone_in_no_organisation_any_more_is_404(client, mine, member):
    path = feed_path(member)
    Membership.objects.filter(user=member).delete()
    assert client.get(path).status_code == 404


def test_the_feed_is_read_only(client, mine, member):
    assert client.post(feed_path(member)).status_code == 405


# --- The "mine" page: the link, copying and resetting it ----------------------------------------


def test_mine_page_shows_the_members_feed_url_with_a_copy_button(mine, member):
    html = client_for(member).get(reverse("assessments:milestone-mine", args=["acme"])).text
    key = FeedKey.objects.get(user=member).key
    assert f'<code id="feed-url" class="token-value">https://ladder.example/feeds/{key}/' in html
    assert 'data-copy="feed-url"' in html
    assert reverse("assessments:feed-reset", args=["acme"]) in html


def test_reset_link_makes_the_old_url_404_and_the_new_one_work(client, mine, member):
    old = feed_path(member)
    response = client_for(member).post(reverse("assessments:feed-reset", args=["acme"]))
    assert response.url == reverse("assessments:milestone-mine", args=["acme"])
    assert client.get(old).status_code == 404
    new = feed_path(member)
    assert new != old
    assert len(events(client.get(new))) == 2


def test_reset_is_post_only_for_members_of_the_organisation(mine, member, outsider):
    reset = reverse("assessments:feed-reset", args=["acme"])
    assert client_for(member).get(reset).status_code == 405
    assert client_for(outsider).post(reset).status_code == 404


def test_a_viewer_resets_their_own_key(client, viewer):
    """The key is the person's own, not the organisation's data: every role may reset it."""
    page = client_for(viewer).get(reverse("assessments:milestone-mine", args=["acme"])).text
    assert reverse("assessments:feed-reset", args=["acme"]) in page
    old = feed_path(viewer)
    response = client_for(viewer).post(reverse("assessments:feed-reset", args=["acme"]))
    assert response.status_code == 302
    assert client.get(old).status_code == 404
    assert client.get(feed_path(viewer)).status_code == 200
