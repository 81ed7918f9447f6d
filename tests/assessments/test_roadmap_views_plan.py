"""Roadmap pages: the list, generating, the plan and its edits, and the export."""

from datetime import date

from assessments.models import Roadmap
from tests.assessments.conftest import make_assessment
from tests.assessments.roadmap_pages import HTMX, url, warehouse_step
from tests.conftest import client_for

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
    # the published formula names what the telemetry health now rests on
    assert "1.5 when its verified level is below its claimed level" in html
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
