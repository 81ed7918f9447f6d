"""The organisation's home page (`assessments.home`, the overview view): what needs attention,
the next step, the SAMR index over final assessments, the setup checklist, the responsibilities."""

from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from assessments.home import home
from assessments.lifecycle import assessment_revise
from assessments.models import Assessment, Milestone, Report, Roadmap
from integration.health import FLAPPING_CHANGES
from integration.models import HealthEvent, Integration
from integration.services.integrations import integration_create
from tests.assessments.conftest import (
    NOW,
    answer_levels,
    build_client_data,
    make_assessment,
    make_process,
    scored_assessment,
)
from tests.assessments.evidence_helpers import accept_evidence
from tests.conftest import client_for, make_user

TODAY = NOW.date()


class _Page(HTMLParser):
    """The attention entries (kind, link, text), the setup steps and the next step's link."""

    def __init__(self):
        super().__init__()
        self.entries, self.steps, self.next_step = [], {}, None
        self._entry = self._step = None
        self._in_next = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "li" and "data-kind" in attrs:
            self._entry = {"kind": attrs["data-kind"], "href": None, "text": ""}
            self.entries.append(self._entry)
        if tag == "li" and "data-step" in attrs:
            self.steps[attrs["data-step"]] = "done" in attrs["class"].split()
        if tag == "p" and "next-step-text" in attrs.get("class", ""):
            self._in_next = True
        if tag == "a" and self._entry is not None and self._entry["href"] is None:
            self._entry["href"] = attrs["href"]
        if tag == "a" and self._in_next:
            self.next_step = {"href": attrs["href"], "text": ""}

    def handle_endtag(self, tag):
        if tag == "li":
            self._entry = None
        if tag == "p":
            self._in_next = False

    def handle_data(self, data):
        if self._entry is not None:
            self._entry["text"] += data
        if self._in_next and self.next_step is not None:
            self.next_step["text"] += data


def home_page(user, org) -> _Page:
    response = client_for(user).get(reverse("org-home", args=[org.slug]))
    assert response.status_code == 200
    page = _Page()
    page.feed(response.content.decode())
    return page


def of_kind(page, kind):
    return [e for e in page.entries if e["kind"] == kind]


def down_integration(org, name="Legacy SCADA historian export"):
    integration, _ = integration_create(
        organization=org, name=name, interval_seconds=900, now=NOW - timedelta(days=10)
    )
    Integration.objects.filter(pk=integration.pk).update(last_seen=NOW - timedelta(days=3))
    return integration


def roadmap_for(org, framework):
    return Roadmap.objects.create(organization=org, title="Plan", framework=framework)


@pytest.fixture
def data(org, owner, framework, frozen):
    """A final baseline, a draft "Q4 review", an integration that is up, a roadmap whose first
    milestone is overdue (see build_client_data)."""
    return build_client_data(org, owner, framework)


# --- Needs attention ---------------------------------------------------------------------------


def test_a_down_integration_needs_attention_and_links_to_its_page(org, owner, data):
    dead = down_integration(org)
    [entry] = of_kind(home_page(owner, org), "integration-down")
    assert "Legacy SCADA historian export" in entry["text"] and "last data 3 d ago" in entry["text"]
    assert entry["href"] == reverse("integration:integration-detail", args=[org.slug, dead.pk])


def test_an_integration_down_by_a_fail_ping_says_so(org, owner, data):
    integration = data["integration"]
    Integration.objects.filter(pk=integration.pk).update(
        last_seen=NOW - timedelta(minutes=5), last_failed=NOW - timedelta(minutes=2)
    )
    [entry] = of_kind(home_page(owner, org), "integration-down")
    assert "reported a failure 2 min ago" in entry["text"]


def test_integrations_that_are_up_need_no_attention(org, owner, data):
    assert of_kind(home_page(owner, org), "integration-down") == []
    assert of_kind(home_page(owner, org), "integration-flapping") == []


def test_an_integration_that_keeps_dropping_out_is_flapping_not_up(org, owner, data):
    integration = data["integration"]
    for hours in range(1, FLAPPING_CHANGES + 1):
        previous, status = ("up", "down") if hours % 2 else ("down", "up")
        HealthEvent.objects.create(
            integration=integration,
            previous=previous,
            status=status,
            at=NOW - timedelta(hours=hours),
        )
    [entry] = of_kind(home_page(owner, org), "integration-flapping")
    assert integration.name in entry["text"]
    assert f"{FLAPPING_CHANGES} up/down changes in 24 h; up now" in entry["text"]
    assert entry["href"] == reverse(
        "integration:integration-detail", args=[org.slug, integration.pk]
    )


def test_overdue_milestones_need_attention_and_link_to_the_milestone(org, owner, data):
    roadmap = data["roadmap"]
    overdue = list(Milestone.objects.filter(roadmap=roadmap, due_date__lt=TODAY))
    assert len(overdue) == 1
    entries = of_kind(home_page(owner, org), "milestone-overdue")
    assert [e["href"] for e in entries] == [
        reverse("assessments:milestone-detail", args=[org.slug, overdue[0].pk])
    ]
    assert overdue[0].title in entries[0]["text"] and "15 days late" in entries[0]["text"]


def test_done_retired_and_future_milestones_are_not_overdue(org, owner, data):
    roadmap = data["roadmap"]
    first = roadmap.milestones.order_by("position").first()
    first.set_status("done", now=NOW)
    first.save()
    Milestone.objects.create(
        roadmap=roadmap, title="Gone", due_date=TODAY - timedelta(days=3), retired=NOW
    )
    Milestone.objects.create(roadmap=roadmap, title="Tomorrow", due_date=TODAY + timedelta(1))
    assert of_kind(home_page(owner, org), "milestone-overdue") == []


def test_disputed_answers_of_an_open_assessment_link_to_the_agreement_page(
    org, owner, consultant, framework, frozen
):
    assessment = make_assessment(org, framework, [make_process(org, "Press line")], title="Q4")
    score = assessment.process_scores.get()
    answer_levels(score, owner, {1: "fully"})
    answer_levels(score, consultant, {1: "not"})
    [entry] = of_kind(home_page(owner, org), "disputed")
    n = len(framework.definition.criteria_for("manufacturing", 1))
    assert "Q4" in entry["text"] and f"{n} answers where assessors disagree" in entry["text"]
    assert entry["href"] == reverse(
        "assessments:assessment-agreement", args=[org.slug, assessment.pk]
    )


def test_a_member_is_sent_to_the_assessment_for_disputes_they_cannot_settle(
    org, owner, consultant, member, framework, frozen
):
    assessment = make_assessment(org, framework, [make_process(org, "Press line")], title="Q4")
    score = assessment.process_scores.get()
    answer_levels(score, owner, {1: "fully"})
    answer_levels(score, consultant, {1: "not"})
    [entry] = of_kind(home_page(member, org), "disputed")
    assert entry["href"] == reverse("assessments:assessment-detail", args=[org.slug, assessment.pk])


def test_disputes_of_a_final_assessment_and_agreed_answers_need_no_attention(
    org, owner, consultant, framework, frozen
):
    final = make_assessment(org, framework, [make_process(org, "Press line")], title="Old")
    score = final.process_scores.get()
    answer_levels(score, owner, {1: "fully"})
    answer_levels(score, consultant, {1: "not"})
    final.finalize(now=NOW)
    draft = make_assessment(org, framework, [make_process(org, "Stock")], title="New")
    score = draft.process_scores.get()
    answer_levels(score, owner, {1: "fully"})
    answer_levels(score, consultant, {1: "fully"})
    assert of_kind(home_page(owner, org), "disputed") == []


def test_a_claim_above_its_verified_level_links_to_the_process_page(org, owner, framework, frozen):
    process = make_process(org, "Press line")
    assessment = make_assessment(org, framework, [process], title="Q4")
    score = assessment.process_scores.get()
    answer_levels(score, owner, {1: "fully", 2: "fully"})
    [entry] = of_kind(home_page(owner, org), "above-verified")
    assert "Press line" in entry["text"]
    assert "claims level 2 Augmentation, verified level 0" in entry["text"]
    assert entry["href"] == reverse(
        "assessments:process-score", args=[org.slug, assessment.pk, score.pk]
    )


def test_a_viewer_is_sent_to_a_page_they_may_read(org, owner, viewer, framework, frozen):
    process = make_process(org, "Press line")
    assessment = make_assessment(org, framework, [process], title="Q4")
    answer_levels(assessment.process_scores.get(), owner, {1: "fully", 2: "fully"})
    [entry] = of_kind(home_page(viewer, org), "above-verified")
    assert client_for(viewer).get(entry["href"]).status_code == 200


def test_claims_as_high_as_verified_need_no_attention(org, owner, framework, frozen):
    verified, claimed = make_process(org, "Verified"), make_process(org, "Claimed")
    assessment = make_assessment(org, framework, [verified, claimed], title="Q4")
    for score in assessment.process_scores.select_related("process"):
        answer_levels(score, owner, {1: "fully", 2: "fully"})
        accept_evidence(score, owner, [1, 2] if score.process == verified else [1])
    [entry] = of_kind(home_page(owner, org), "above-verified")
    assert "Claimed" in entry["text"] and "verified level 1" in entry["text"]
    assert "Verified" not in entry["text"].replace("verified level", "")


def test_a_final_without_recorded_verification_is_not_listed(org, owner, framework, frozen):
    assessment = make_assessment(org, framework, [make_process(org, "Press line")], title="Q4")
    answer_levels(assessment.process_scores.get(), owner, {1: "fully", 2: "fully"})
    assessment.finalize(now=NOW)  # finalized without a verification snapshot: not recorded
    assert of_kind(home_page(owner, org), "above-verified") == []


def test_open_assessments_show_how_much_is_settled(org, owner, data):
    [entry] = of_kind(home_page(owner, org), "assessment-progress")
    assert "Q4 review" in entry["text"] and "% settled (" in entry["text"]
    assert entry["href"] == reverse(
        "assessments:assessment-detail", args=[org.slug, data["current"].pk]
    )


def test_final_assessments_show_no_progress(org, owner, data):
    data["current"].finalize(now=NOW)
    assert of_kind(home_page(owner, org), "assessment-progress") == []


def test_more_than_five_of_a_kind_end_in_one_line_to_the_list(org, owner, framework, frozen):
    make_assessment(org, framework, [make_process(org, "Press line")], title="Q4")
    roadmap = roadmap_for(org, framework)
    for i in range(7):
        Milestone.objects.create(roadmap=roadmap, title=f"Late {i}", due_date=date(2026, 11, 1))
    entries = of_kind(home_page(owner, org), "milestone-overdue")
    assert len(entries) == 6 and "and 2 more overdue milestones" in entries[-1]["text"]
    assert entries[-1]["href"] == reverse("assessments:roadmap-list", args=[org.slug])


def test_the_user_text_of_entries_is_escaped_and_htmx_ignores_it(org, owner, framework, frozen):
    hostile = '<b hx-post="/x" hx-trigger="load">Q4</b>'
    assessment = make_assessment(org, framework, [make_process(org, hostile)], title=hostile)
    answer_levels(assessment.process_scores.get(), owner, {1: "fully", 2: "fully"})
    body = client_for(owner).get(reverse("org-home", args=[org.slug])).content.decode()
    assert hostile not in body
    assert 'data-kind="above-verified" hx-disable' in body


# --- The next step -----------------------------------------------------------------------------


def test_a_new_organisation_is_told_to_list_its_processes(org, owner):
    step = home_page(owner, org).next_step  # the org has a site; owners start from suggestions
    assert step == {
        "href": reverse("assessments:starter", args=[org.slug]),
        "text": "List your business processes",
    }


def test_disputes_come_first_then_open_answers_then_finalizing(
    org, owner, consultant, framework, frozen
):
    assessment = make_assessment(org, framework, [make_process(org, "Press line")], title="Q4")
    score = assessment.process_scores.get()
    answer_levels(score, owner, {1: "fully"})
    answer_levels(score, consultant, {1: "not"})
    step = home_page(owner, org).next_step
    assert step["text"].startswith("Settle ") and "disputed answers in “Q4”" in step["text"]
    assert step["href"].endswith(f"/assessments/{assessment.pk}/agreement/")

    answer_levels(score, consultant, {1: "fully"})
    step = home_page(owner, org).next_step
    assert step["text"].startswith("Finish scoring “Q4”: ") and step["text"].endswith(" open")
    assert step["href"] == reverse("assessments:assessment-detail", args=[org.slug, assessment.pk])


def test_with_a_final_assessment_and_no_report_the_next_step_is_the_first_report(org, owner, data):
    data["current"].finalize(now=NOW)
    step = home_page(owner, org).next_step
    assert step == {
        "href": reverse("assessments:report-list", args=[org.slug]),
        "text": "Ask for the first report",
    }
    Report.objects.create(organization=org, assessment=data["current"], state="ready")
    step = home_page(owner, org).next_step  # then the overdue milestone
    assert step["text"] == "Catch up on 1 overdue milestone"


# --- The SAMR index over time --------------------------------------------------------------------


def test_the_trend_counts_final_assessments_that_stand_only(org, owner, framework, frozen):
    press = make_process(org, "Press line")
    levels = {"Press line": 1}
    first = scored_assessment(
        org, framework, owner, [press], levels=levels, title="Spring", assessed_on=date(2026, 3, 1)
    )
    first.finalize(now=NOW)
    second = scored_assessment(
        org,
        framework,
        owner,
        [press],
        levels={"Press line": 2},
        title="Summer",
        assessed_on=date(2026, 6, 1),
    )
    second.finalize(now=NOW)
    revision = assessment_revise(assessment=second, user=owner)
    answer_levels(revision.process_scores.get(), owner, {3: "fully"})
    revision.finalize(now=NOW)  # supersedes Summer
    scored_assessment(
        org,
        framework,
        owner,
        [press],
        levels={"Press line": 4},
        title="Draft",
        assessed_on=date(2026, 11, 1),
    )
    owner_membership = owner.memberships.get(organization=org)
    page = home(org=org, membership=owner_membership, now=NOW)
    trend = [(p.title, p.samr_index) for p in page.trend]
    assert trend == [("Spring", 1.0), ("Summer (revision 1)", 3.0)]
    assert page.trend_chart["data"][0]["x"] == ["2026-03-01", "2026-06-01"]
    assert page.trend_chart["data"][0]["y"] == [1.0, 3.0]
    body = client_for(owner).get(reverse("org-home", args=[org.slug])).content.decode()
    assert 'data-chart="chart-trend"' in body and "vendor/plotly.min.js" in body
    assert "<td>3.00</td>" not in body and '<td class="num">3.00</td>' in body
    assert ">Draft</td>" not in body


def test_one_final_is_a_table_without_a_chart(org, owner, data):
    body = client_for(owner).get(reverse("org-home", args=[org.slug])).content.decode()
    assert ">Baseline</td>" in body and 'data-chart="chart-trend"' not in body
    assert "plotly" not in body


# --- Setting up and the responsibilities ---------------------------------------------------------


def test_a_new_organisation_gets_the_setup_checklist(org, owner):
    page = home_page(owner, org)
    assert page.steps == {
        "sites": True,
        "processes": False,
        "team": False,
        "assessment": False,
        "integration": False,
        "first-report": False,
    }
    assert page.entries == []  # nothing to fix yet: no "needs attention" card


def test_the_checklist_ticks_steps_and_goes_once_processes_are_assessed(
    org, owner, member, framework, frozen
):
    make_process(org, "Press line")
    integration_create(organization=org, name="Feed", now=NOW)
    page = home_page(owner, org)
    assert page.steps["processes"] and page.steps["team"] and page.steps["integration"]
    assert not page.steps["assessment"]
    assert page.next_step["text"] == "Start your first assessment"
    make_assessment(org, framework, list(org.processes.all()), title="Q4")
    assert home_page(owner, org).steps == {}


def test_responsibilities_show_their_milestones_done(org, owner, framework, frozen):
    roadmap = roadmap_for(org, framework)
    for status in ("done", "done", "planned"):
        Milestone.objects.create(
            roadmap=roadmap, title="A", responsibility="align-goals", status=status
        )
    Milestone.objects.create(
        roadmap=roadmap, title="Gone", responsibility="align-goals", retired=NOW
    )
    Milestone.objects.create(roadmap=roadmap, title="S", responsibility="ensure-security")
    body = client_for(owner).get(reverse("org-home", args=[org.slug])).content.decode()
    assert "2 of 3 milestones done" in body
    assert "0 of 1 milestone done" in body
    assert body.count("No milestones yet") == 2


# --- Queries -----------------------------------------------------------------------------------


def test_the_home_page_reads_in_a_fixed_number_of_queries(
    org, owner, consultant, framework, data, django_assert_num_queries
):
    client = client_for(owner)
    url = reverse("org-home", args=[org.slug])
    client.get(url)
    with django_assert_num_queries(22):  # 17, flapping, verification, drops, outcomes
        client.get(url)
    # More of everything: assessments open and final, integrations down, overdue milestones.
    down_integration(org)
    down_integration(org, "Second feed")
    extra = make_assessment(org, framework, [data["press"]], title="Site review")
    answer_levels(extra.process_scores.get(), consultant, {1: "not"})
    answer_levels(extra.process_scores.get(), owner, {1: "fully"})
    again = scored_assessment(
        org,
        framework,
        owner,
        [data["stock"]],
        levels={"Stock counts": 2},
        title="Stock",
        assessed_on=date(2026, 9, 1),
    )
    again.finalize(now=NOW)
    Milestone.objects.create(roadmap=data["roadmap"], title="Late", due_date=date(2026, 11, 2))
    make_user("late@acme.test", org, "member")
    assert Assessment.objects.filter(organization=org).count() == 4
    with django_assert_num_queries(23):  # and the down ones' status changes
        client.get(url)
