"""Roadmap pages: the plan, the board, mine, the timeline and a milestone, per role."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments import roadmaps as services
from assessments.models import AcceptanceCriterion, Milestone, Roadmap
from integration.models import Integration
from tests.assessments.conftest import (
    answer_dimension,
    answer_levels,
    make_assessment,
    make_process,
)
from tests.conftest import client_for

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def assessment(org, framework, owner):
    """Press line 1 → 3 (value 5), Warehouse 0 → 1 (value 2); OT security at 1."""
    press = make_process(org, "Press line", value=5)
    warehouse = make_process(org, "Warehouse picking", area="logistics", value=2)
    assessment = make_assessment(org, framework, [press, warehouse], title="Spring")
    scores = {s.process.name: s for s in assessment.process_scores.select_related("process")}
    answer_levels(scores["Press line"], owner, {1: "fully"})
    scores["Press line"].target_level = 3
    scores["Press line"].save()
    scores["Warehouse picking"].target_level = 1
    scores["Warehouse picking"].save()
    answer_dimension(assessment, owner, "security", it=3, ot=1)
    return assessment


@pytest.fixture
def roadmap(assessment, owner, member):
    """Segmentation and Press line 1 → 2 now, Press line 2 → 3 and Warehouse next; the member
    owns the Warehouse step."""
    roadmap = services.roadmap_generate(
        assessment=assessment, user=owner, start_date=timezone.localdate(), capacity=2
    )
    Milestone.objects.filter(roadmap=roadmap, key__startswith="step:", to_level=1).update(
        owner=member
    )
    return roadmap


def url(name, *args, org="acme"):
    return reverse(f"assessments:{name}", args=[org, *args])


def warehouse_step(roadmap):
    return roadmap.milestones.get(owner__isnull=False, kind="step")


# --- List and generate ------------------------------------------------------------------------


def test_list_links_each_roadmap_and_offers_generation_to_facilitators(roadmap, owner, viewer):
    html = client_for(owner).get(url("roadmap-list")).content.decode()
    assert "Roadmap from Spring" in html
    assert url("roadmap-create") in html
    assert url("roadmap-create") not in client_for(viewer).get(url("roadmap-list")).content.decode()


def test_list_without_roadmaps_explains_what_one_is(org, owner):
    html = client_for(owner).get(url("roadmap-list")).content.decode()
    assert "No roadmap yet" in html


def test_owner_generates_a_roadmap_from_an_assessment(assessment, owner):
    client = client_for(owner)
    assert client.get(url("roadmap-create")).status_code == 200
    response = client.post(
        url("roadmap-create"),
        {
            "assessment": assessment.pk,
            "title": "",
            "start_date": "2026-01-01",
            "phase_days": 90,
            "capacity": 3,
        },
    )
    roadmap = Roadmap.objects.get()
    assert response.status_code == 302
    assert response.url == url("roadmap-detail", roadmap.pk)
    assert roadmap.milestones.count() == 4
    assert (roadmap.start_date, roadmap.capacity) == (date(2026, 1, 1), 3)


def test_generation_refuses_another_organisations_assessment(
    assessment, owner, other_org, framework
):
    theirs = make_assessment(other_org, framework, title="Theirs")
    data = {"assessment": theirs.pk, "start_date": "2026-01-01", "phase_days": 90, "capacity": 3}
    response = client_for(owner).post(url("roadmap-create"), data)
    assert response.status_code == 400
    assert "Choose one of the organisation&#x27;s assessments." in response.content.decode()
    assert not Roadmap.objects.exists()


def test_generation_needs_a_positive_capacity(assessment, owner):
    data = {
        "assessment": assessment.pk,
        "start_date": "2026-01-01",
        "phase_days": 90,
        "capacity": 0,
    }
    assert client_for(owner).post(url("roadmap-create"), data).status_code == 400


def test_members_and_viewers_cannot_generate(assessment, member, viewer):
    for user in (member, viewer):
        assert client_for(user).get(url("roadmap-create")).status_code == 403
        data = {"assessment": assessment.pk, "start_date": "2026-01-01", "capacity": 3}
        assert client_for(user).post(url("roadmap-create"), data).status_code == 403
    assert not Roadmap.objects.exists()


# --- The plan ---------------------------------------------------------------------------------


def test_plan_explains_each_priority_and_projects_each_phase(roadmap, viewer):
    response = client_for(viewer).get(url("roadmap-detail", roadmap.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert "gap weight 8 (current 1 → target 3) × business value 5 = 40" in html
    assert "gap weight 3 (current 0 → target 1) × business value 2 = 6" in html
    assert "40, the highest priority of the 2 steps it gates: Press line 1 → 2" in html
    assert "Segment the OT network with the security team" in html
    # Values 5 and 2: today 5/7; after now Press line at 2: 10/7; after next 17/7.
    assert 'data-figure="baseline">0.71<' in html
    assert 'data-figure="after-now">1.43<' in html
    assert 'data-figure="after-next">2.43<' in html
    assert 'id="chart-projection"' in html
    assert "hx-post" not in html  # viewers get no editing controls


def test_plan_is_read_only(roadmap, owner):
    assert client_for(owner).post(url("roadmap-detail", roadmap.pk)).status_code == 405


def test_move_down_with_htmx_returns_the_plan_fragment(roadmap, owner):
    step = roadmap.milestones.get(to_level=2)  # Press line 1 → 2, last of now
    response = client_for(owner).post(url("milestone-move", step.pk), {"direction": "down"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="plan">')
    step.refresh_from_db()
    # Down past the end of now, into next, where it goes first: before its step above.
    assert step.phase == "next"


def test_a_refused_move_says_why_in_the_fragment(roadmap, owner):
    step = roadmap.milestones.get(to_level=2)
    response = client_for(owner).post(url("milestone-move", step.pk), {"direction": "up"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "must come after “Segment the OT network with the security team”" in html
    step.refresh_from_db()
    assert step.position == 1


def test_move_to_a_phase_without_htmx_redirects_to_the_plan(roadmap, owner):
    step = warehouse_step(roadmap)
    response = client_for(owner).post(url("milestone-move", step.pk), {"phase": "later"})
    assert response.url == url("roadmap-detail", roadmap.pk)
    step.refresh_from_db()
    assert step.phase == "later" and step.edited


def test_move_needs_a_direction_or_a_phase(roadmap, owner):
    step = warehouse_step(roadmap)
    response = client_for(owner).post(url("milestone-move", step.pk), {}, **HTMX)
    assert "Say either direction=up/down or phase=now/next/later." in response.content.decode()


def test_regenerate_reports_what_changed(roadmap, assessment, owner):
    scores = assessment.process_scores.get(process__name="Warehouse picking")
    scores.target_level = 0
    scores.save()
    client = client_for(owner)
    response = client.post(url("roadmap-regenerate", roadmap.pk), {"assessment": assessment.pk})
    assert response.url == url("roadmap-detail", roadmap.pk)
    html = client.get(response.url).content.decode()
    assert "Regenerated from Spring: 0 added, 0 updated, 1 retired, 0 kept" in html
    assert "What regeneration changed" in html and "Retired: " in html
    assert "Retired and removed (1)" in html
    assert "What regeneration changed" not in client.get(response.url).content.decode()  # once


def test_owner_adds_edits_removes_and_puts_back_a_milestone(roadmap, owner, member):
    client = client_for(owner)
    response = client.post(
        url("milestone-create", roadmap.pk),
        {"title": "Hire an OT engineer", "phase": "next", "owner": member.pk},
    )
    assert response.status_code == 302
    added = roadmap.milestones.get(title="Hire an OT engineer")
    assert (added.kind, added.owner, added.due_date) == (
        "custom",
        member,
        roadmap.window("next").end,
    )

    data = {"title": "Hire two OT engineers", "phase": "next", "status": "blocked", "owner": ""}
    assert client.post(url("milestone-edit", added.pk), data).status_code == 302
    added.refresh_from_db()
    assert (added.title, added.status, added.owner) == ("Hire two OT engineers", "blocked", None)

    assert client.post(url("milestone-remove", added.pk)).status_code == 302
    assert roadmap.milestones.active().filter(pk=added.pk).count() == 0
    assert client.post(url("milestone-restore", added.pk)).status_code == 302
    assert roadmap.milestones.active().filter(pk=added.pk).count() == 1


def test_the_owner_must_be_a_member(roadmap, owner, outsider):
    step = warehouse_step(roadmap)
    data = {"title": step.title, "phase": step.phase, "status": "planned", "owner": outsider.pk}
    response = client_for(owner).post(url("milestone-edit", step.pk), data)
    assert response.status_code == 400
    assert "Choose a member of the organisation as owner." in response.content.decode()


def test_settings_change_the_phases(roadmap, consultant):
    data = {"title": "Plan 2026", "start_date": "2026-03-01", "phase_days": 60, "capacity": 4}
    response = client_for(consultant).post(url("roadmap-edit", roadmap.pk), data)
    assert response.status_code == 302
    roadmap.refresh_from_db()
    assert (roadmap.title, roadmap.phase_days, roadmap.capacity) == ("Plan 2026", 60, 4)


# --- Permissions ------------------------------------------------------------------------------


def write_urls(roadmap):
    any_milestone = roadmap.milestones.first()
    return [
        (url("roadmap-create"), {}),
        (url("roadmap-edit", roadmap.pk), {"title": "x"}),
        (url("roadmap-regenerate", roadmap.pk), {"assessment": roadmap.assessment_id}),
        (url("milestone-create", roadmap.pk), {"title": "x", "phase": "now"}),
        (url("milestone-edit", any_milestone.pk), {"title": "x", "phase": "now"}),
        (url("milestone-status", any_milestone.pk), {"status": "done"}),
        (url("milestone-comment", any_milestone.pk), {"text": "x"}),
        (url("milestone-move", any_milestone.pk), {"direction": "down"}),
        (url("milestone-remove", any_milestone.pk), {}),
        (url("milestone-restore", any_milestone.pk), {}),
    ]


def test_viewers_are_refused_every_write(roadmap, viewer):
    Milestone.objects.filter(roadmap=roadmap).update(owner=viewer)
    client = client_for(viewer)
    for address, data in write_urls(roadmap):
        assert client.post(address, data).status_code == 403, address
    assert not roadmap.milestones.filter(status="done").exists()


def test_members_may_only_update_their_own_milestones(roadmap, member):
    client = client_for(member)
    theirs = roadmap.milestones.filter(owner=None).first()
    for address, data in write_urls(roadmap):
        if "/status/" in address or "/comment/" in address:
            continue
        assert client.post(address, data).status_code == 403, address
    assert client.post(url("milestone-status", theirs.pk), {"status": "done"}).status_code == 403
    assert client.post(url("milestone-comment", theirs.pk), {"text": "x"}).status_code == 403

    mine = warehouse_step(roadmap)
    assert client.post(url("milestone-status", mine.pk), {"status": "done"}).status_code == 302
    assert client.post(url("milestone-comment", mine.pk), {"text": "On it"}).status_code == 302
    mine.refresh_from_db()
    assert mine.status == "done" and mine.comments.get().text == "On it"


def test_facilitators_update_every_milestone(roadmap, owner, consultant):
    for user, m in zip((owner, consultant), roadmap.milestones.all()[:2], strict=True):
        response = client_for(user).post(url("milestone-status", m.pk), {"status": "blocked"})
        assert response.status_code == 302
    assert roadmap.milestones.filter(status="blocked").count() == 2


def test_outsider_gets_404_for_the_roadmap_and_its_milestones(roadmap, outsider):
    client = client_for(outsider)
    m = roadmap.milestones.first()
    assert client.get(url("roadmap-board", roadmap.pk)).status_code == 404
    assert client.get(url("roadmap-board", roadmap.pk, org="globex")).status_code == 404
    assert client.get(url("milestone-detail", m.pk, org="globex")).status_code == 404
    assert (
        client.post(url("milestone-status", m.pk, org="globex"), {"status": "done"}).status_code
        == 404
    )


# --- Board, mine, timeline --------------------------------------------------------------------


def test_board_shows_cards_by_status_with_overdue_highlighted(roadmap, viewer):
    late = warehouse_step(roadmap)
    late.due_date = timezone.localdate() - timedelta(days=3)
    late.save()
    html = client_for(viewer).get(url("roadmap-board", roadmap.pk)).content.decode()
    assert html.count('class="board-column') == 4
    assert f'id="card-{late.pk}"' in html
    assert "Overdue · due" in html
    assert "1 overdue." in html
    assert 'draggable="true"' not in html  # viewers move nothing


def test_members_can_drag_only_their_own_cards(roadmap, member):
    html = client_for(member).get(url("roadmap-board", roadmap.pk)).content.decode()
    assert html.count('draggable="true"') == 1
    assert html.count('name="status"') == 1


def test_moving_a_card_persists_and_returns_the_board(roadmap, member):
    mine = warehouse_step(roadmap)
    response = client_for(member).post(
        url("milestone-status", mine.pk), {"status": "in_progress", "board": "roadmap"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="board"')
    mine.refresh_from_db()
    assert mine.status == "in_progress"
    column = html.split('data-status-column="in_progress"')[1].split("</section>")[0]
    assert f'id="card-{mine.pk}"' in column
    assert mine.activity.get().text == "Status Planned → In progress."


def test_an_unknown_status_is_refused_on_the_board(roadmap, owner):
    m = roadmap.milestones.first()
    response = client_for(owner).post(url("milestone-status", m.pk), {"status": "lost"}, **HTMX)
    assert "Select a valid choice." in response.content.decode()
    m.refresh_from_db()
    assert m.status == "planned"


def test_board_takes_a_fixed_number_of_queries(
    org, framework, owner, member, django_assert_num_queries
):
    """Session, user, membership, the roadmap, its milestones, their acceptance criteria, the
    org switcher and three to save the session's last organisation: the same for two
    milestones or twenty."""
    small = make_process(org, "Small", area="finance", value=1)
    big = [make_process(org, f"Big {i}", area="retail", value=3) for i in range(5)]
    roadmaps = []
    for processes in ([small], big):
        assessment = make_assessment(org, framework, processes, title=processes[0].name)
        assessment.process_scores.update(target_level=4)
        roadmaps.append(
            services.roadmap_generate(
                assessment=assessment, user=owner, start_date=date(2026, 1, 1), capacity=3
            )
        )
    Milestone.objects.update(owner=member, due_date=date(2020, 1, 1))
    assert [r.milestones.count() for r in roadmaps] == [4, 20]
    integration = Integration.objects.create(organization=org, name="Line sensors")
    AcceptanceCriterion.objects.bulk_create(
        AcceptanceCriterion(milestone=m, integration=integration, kind="freshness", threshold=60)
        for m in Milestone.objects.all()
    )
    client = client_for(member)
    client.get(url("roadmap-board", roadmaps[0].pk))  # stores the organisation in the session
    for roadmap in roadmaps:
        with django_assert_num_queries(7):
            assert client.get(url("roadmap-board", roadmap.pk)).status_code == 200


def test_mine_lists_only_my_milestones_across_roadmaps(roadmap, member):
    response = client_for(member).get(url("milestone-mine"))
    html = response.content.decode()
    mine = warehouse_step(roadmap)
    assert f'id="card-{mine.pk}"' in html
    assert html.count('id="card-') == 1
    assert "1 milestone you own" in html


def test_moving_a_card_on_mine_returns_mine(roadmap, member):
    mine = warehouse_step(roadmap)
    response = client_for(member).post(
        url("milestone-status", mine.pk), {"status": "blocked", "board": "mine"}, **HTMX
    )
    assert "Roadmap from Spring" in response.content.decode()  # mine names the roadmap


def test_timeline_draws_the_gantt_and_the_burnup(roadmap, owner):
    first = roadmap.milestones.first()
    services.milestone_status_set(milestone=first, user=owner, status="done")
    html = client_for(owner).get(url("roadmap-timeline", roadmap.pk)).content.decode()
    assert 'id="chart-gantt"' in html and 'id="chart-burnup"' in html
    assert 'data-figure="done">1<' in html
    assert "of 4 milestones" in html


def test_timeline_is_read_only(roadmap, owner):
    assert client_for(owner).post(url("roadmap-timeline", roadmap.pk)).status_code == 405


# --- A milestone ------------------------------------------------------------------------------


def test_milestone_page_shows_priority_comments_and_activity(roadmap, owner, member):
    m = warehouse_step(roadmap)
    services.milestone_comment_add(milestone=m, user=member, text="Scanners ordered")
    html = client_for(member).get(url("milestone-detail", m.pk)).content.decode()
    assert "gap weight 3 (current 0 → target 1) × business value 2 = 6" in html
    assert "Scanners ordered" in html
    assert f"Commented on {m.title}." in html
    assert 'name="text"' in html  # the owner may comment
    other = roadmap.milestones.filter(owner=None).first()
    assert (
        'name="text"'
        not in client_for(member).get(url("milestone-detail", other.pk)).content.decode()
    )


def test_an_empty_comment_is_refused(roadmap, owner):
    m = roadmap.milestones.first()
    response = client_for(owner).post(url("milestone-comment", m.pk), {"text": "  "})
    assert response.status_code == 400
    assert not m.comments.exists()


def test_saving_the_edit_form_unchanged_changes_nothing(roadmap, owner):
    """A browser sends the date as shown and the description with CRLF line ends."""
    m = roadmap.milestones.get(to_level=2)
    client = client_for(owner)
    html = client.get(url("milestone-edit", m.pk)).content.decode()
    assert f'value="{m.due_date:%Y-%m-%d}"' in html
    data = {
        "title": m.title,
        "description": m.description.replace("\n", "\r\n"),
        "phase": m.phase,
        "owner": "",
        "due_date": f"{m.due_date:%Y-%m-%d}",
        "status": m.status,
        "responsibility": m.responsibility,
        "benefit": m.benefit,
    }
    assert client.post(url("milestone-edit", m.pk), data).status_code == 302
    m.refresh_from_db()
    assert not m.edited
    assert not m.activity.exists()


def test_a_planning_edit_marks_a_generated_milestone_edited(roadmap, owner):
    m = roadmap.milestones.get(to_level=2)
    data = {"title": "Connect press 3 first", "phase": m.phase, "status": m.status}
    assert client_for(owner).post(url("milestone-edit", m.pk), data).status_code == 302
    m.refresh_from_db()
    assert m.edited and m.title == "Connect press 3 first"
    assert m.activity.get().text.startswith("Changed title")


# --- Export -----------------------------------------------------------------------------------


def test_viewers_download_the_roadmap_as_csv(roadmap, viewer):
    import csv
    import io

    step = warehouse_step(roadmap)
    step.title = "=HYPERLINK(1)"
    step.save()
    response = client_for(viewer).get(url("roadmap-export", roadmap.pk, "csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="roadmap-from-spring-' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["Milestone"] for r in rows][:1] == ["Segment the OT network with the security team"]
    press = rows[1]
    assert (press["Phase"], press["Process"], press["From level"], press["To level"]) == (
        "Now",
        "Press line",
        "1",
        "2",
    )
    assert press["Priority"] == "40"
    assert press["Why this priority"] == (
        "gap weight 8 (current 1 → target 3) × business value 5 = 40"
    )
    warehouse = next(r for r in rows if r["Owner email"] == "member@acme.test")
    assert warehouse["Milestone"] == "'=HYPERLINK(1)"  # never a formula


def test_the_roadmap_downloads_as_a_workbook(roadmap, owner):
    import io

    from openpyxl import load_workbook

    response = client_for(owner).get(url("roadmap-export", roadmap.pk, "xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "Roadmap"
    assert sheet["D1"].value == "Milestone"
    assert sheet["D2"].value == "Segment the OT network with the security team"
    assert sheet.max_row == 5


def test_export_knows_only_csv_and_xlsx(roadmap, owner):
    assert client_for(owner).get(url("roadmap-export", roadmap.pk, "json")).status_code == 404
    assert client_for(owner).post(url("roadmap-export", roadmap.pk, "csv")).status_code == 405
