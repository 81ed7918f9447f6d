"""Roadmap pages per role: who may write what, and outsiders get 404."""

from assessments.models import Milestone
from tests.assessments.roadmap_pages import url, warehouse_step
from tests.conftest import client_for

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
