"""Roadmap pages: a milestone's page, its comments and its edit form."""

import re

from django.utils.html import escape

from assessments.roadmaps.editing import milestone_comment_add
from assessments.roadmaps.reading import TextBlock, text_blocks
from audit.models import AuditEvent
from tests.assessments.roadmap_pages import url, warehouse_step
from tests.conftest import client_for

# --- A milestone ------------------------------------------------------------------------------


def test_milestone_page_shows_priority_comments_and_activity(roadmap, owner, member):
    m = warehouse_step(roadmap)
    milestone_comment_add(milestone=m, user=member, text="Scanners ordered")
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


def test_the_other_recommended_actions_are_a_list_not_dashes(roadmap, owner):
    m = roadmap.milestones.filter(description__contains="Also recommended").first()
    others = [line[2:] for line in m.description.splitlines() if line.startswith("- ")]
    assert others
    html = client_for(owner).get(url("milestone-detail", m.pk)).content.decode()
    what = html.split("<h2>What to do</h2>", 1)[1].split("</section>", 1)[0]
    assert not re.search(r"(^|>|\n)\s*- ", what)  # no literal bullet starts a line
    assert re.search(r"Also recommended[^<]*:</p>\s*<ul>", what)
    for title in others:
        assert f"<li>{escape(title)}</li>" in what


def test_a_description_reads_as_paragraphs_and_lists():
    text = "Do this.\nThen that.\n\nAlso recommended:\n- One\n- Two\nAfterwards.\r\n\r\n- Alone"
    assert text_blocks(text) == [
        TextBlock(["Do this.", "Then that."], []),
        TextBlock(["Also recommended:"], ["One", "Two"]),
        TextBlock(["Afterwards."], []),
        TextBlock([], ["Alone"]),
    ]
    assert text_blocks("  \n\n ") == []


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
    assert not AuditEvent.of_scope(m).exists()


def test_a_planning_edit_marks_a_generated_milestone_edited(roadmap, owner):
    m = roadmap.milestones.get(to_level=2)
    data = {"title": "Connect press 3 first", "phase": m.phase, "status": m.status}
    assert client_for(owner).post(url("milestone-edit", m.pk), data).status_code == 302
    m.refresh_from_db()
    assert m.edited and m.title == "Connect press 3 first"
    assert AuditEvent.of_scope(m).get().text.startswith("Changed title")
