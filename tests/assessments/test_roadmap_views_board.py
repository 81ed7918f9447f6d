"""Roadmap pages: the board, mine and the timeline."""

from datetime import date, timedelta

from django.utils import timezone

from assessments.models import AcceptanceCriterion, Milestone
from assessments.roadmaps.editing import milestone_status_set
from assessments.roadmaps.generate import roadmap_generate
from audit.models import AuditEvent
from integration.models import Integration
from tests.assessments.conftest import make_assessment, make_process
from tests.assessments.roadmap_pages import HTMX, url, warehouse_step
from tests.conftest import client_for

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
    assert AuditEvent.of_scope(mine).get().text == "Status Planned → In progress."


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
            roadmap_generate(
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
    milestone_status_set(milestone=first, user=owner, status="done")
    html = client_for(owner).get(url("roadmap-timeline", roadmap.pk)).content.decode()
    assert 'id="chart-gantt"' in html and 'id="chart-burnup"' in html
    assert 'data-figure="done">1<' in html
    assert "of 4 milestones" in html


def test_timeline_is_read_only(roadmap, owner):
    assert client_for(owner).post(url("roadmap-timeline", roadmap.pk)).status_code == 405
