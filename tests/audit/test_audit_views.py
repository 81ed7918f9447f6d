"""The audit trail of members and tokens, its page, its JSON, and records nobody can change."""

import json

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import FailedLogin, Membership
from assessments.exchange.export import assessment_export
from assessments.lifecycle import assessment_transition
from audit.models import AuditEvent, ReadOnlyRecord
from integration.services import integration_create
from tests.assessments.conftest import make_assessment
from tests.conftest import client_for


def url(org, name="audit:log"):
    return reverse(name, args=[org.slug])


@pytest.fixture
def integration(org, owner):
    integration, _ = integration_create(organization=org, name="Press PLC", user=owner)
    return integration


def test_role_changes_removals_invitations_and_unlocks_are_recorded(org, owner, member, viewer):
    client = client_for(owner)
    m = Membership.objects.get(user=member)
    client.post(reverse("accounts:member-role", args=[org.slug, m.pk]), {"role": "viewer"})
    client.post(
        reverse("accounts:members", args=[org.slug]), {"email": "new@acme.test", "role": "member"}
    )
    FailedLogin.objects.record(user=viewer, email=viewer.email, now=timezone.now())
    locked = Membership.objects.get(user=viewer)
    client.post(reverse("accounts:member-unlock", args=[org.slug, locked.pk]))
    client.post(reverse("accounts:member-remove", args=[org.slug, m.pk]))
    role, invited, unlocked, removed = AuditEvent.objects.filter(area="members").order_by("pk")
    assert (role.actor, role.before, role.after) == (owner, {"role": "Member"}, {"role": "Viewer"})
    assert invited.action == "invited" and invited.after == {
        "email": "new@acme.test",
        "role": "Member",
    }
    assert unlocked.action == "unlocked" and viewer.email in unlocked.subject
    assert removed.action == "removed" and removed.before == {"role": "Viewer"}
    assert removed.after == {} and member.email in removed.subject


def test_issuing_and_revoking_tokens_is_recorded_without_the_secret(org, owner, integration):
    client = client_for(owner)
    args = [org.slug, integration.pk]
    response = client.post(
        reverse("integration:token-create", args=args), {"name": "gateway"}, follow=True
    )
    token = integration.tokens.get(name="gateway")
    client.post(reverse("integration:token-revoke", args=[*args, token.pk]))
    first, issued, revoked = AuditEvent.objects.filter(area="tokens").order_by("pk")
    assert first.action == "issued" and first.actor == owner  # the integration's first token
    assert issued.after == {"name": "gateway", "starts with": token.hint}
    assert (revoked.action, revoked.before["revoked"]) == ("revoked", None)
    assert revoked.after["revoked"] is not None
    raw = response.context["raw_token"]
    assert not AuditEvent.objects.filter(after__icontains=raw[10:]).exists()


def test_owners_and_consultants_read_the_trail_members_and_viewers_may_not(
    org, owner, consultant, member, viewer, framework
):
    assessment = make_assessment(org, framework, title="Spring")
    assessment_transition(assessment=assessment, action="submit", user=owner)
    for user in (owner, consultant):
        response = client_for(user).get(url(org))
        assert response.status_code == 200
        assert b"Assessment Spring" in response.content and b"In review" in response.content
    for user in (member, viewer):
        assert client_for(user).get(url(org)).status_code == 403
    assert client_for(owner).post(url(org)).status_code == 405


def test_the_page_filters_pages_and_shows_only_its_organisation(
    org, other_org, owner, outsider, framework
):
    for i in range(55):
        assessment = make_assessment(org, framework, title=f"Draft {i}")
        assessment_transition(assessment=assessment, action="submit", user=owner)
    foreign = make_assessment(other_org, framework, title="Globex secret")
    assessment_transition(assessment=foreign, action="submit", user=outsider)
    client = client_for(owner)
    first = client.get(url(org))
    assert first.context["page"].paginator.count == 55 and b"Globex secret" not in first.content
    assert b"page=2" in first.content
    second = client.get(url(org), {"area": "assessments", "page": 2})
    assert len(second.context["page"].object_list) == 5
    assert client.get(url(org), {"area": "members"}).context["page"].paginator.count == 0
    assert client.get(url(org), {"actor": "nobody@"}).context["page"].paginator.count == 0
    bad = client.get(url(org), {"since": "yesterday"})
    assert bad.status_code == 400 and b"Enter a valid date" in bad.content


def test_the_page_labels_each_area_and_offers_them_all_in_order(org, owner, framework):
    assessment = make_assessment(org, framework, title="Spring")
    assessment_transition(assessment=assessment, action="submit", user=owner)
    page = client_for(owner).get(url(org))
    assert b'<span class="muted">Assessments</span>' in page.content
    assert [label for _, label in page.context["form"].fields["area"].choices] == [
        "All areas",
        "Answers",
        "Agreed values",
        "Assessments",
        "Roadmaps and milestones",
        "Members",
        "Organisation settings",
        "Ingest tokens",
        "Processes",
        "Checks and evidence",
        "Integrations",
    ]
    assert client_for(owner).get(url(org), {"area": "gossip"}).status_code == 400


def test_the_json_download_and_the_assessment_export_carry_the_trail(org, owner, framework):
    assessment = make_assessment(org, framework, title="Spring")
    assessment_transition(assessment=assessment, action="submit", user=owner)
    data = json.loads(client_for(owner).get(url(org, "audit:export")).content)
    (event,) = data["events"]
    assert event["actor"] == owner.email and event["after"] == {"state": "In review"}
    exported = assessment_export(assessment=assessment)["audit"]
    assert [e["action"] for e in exported] == ["submit"]
    bad = client_for(owner).get(url(org, "audit:export"), {"until": "soon"})
    assert bad.status_code == 400 and "until" in json.loads(bad.content)["errors"]


def test_the_json_download_is_named_after_the_organisation(org, owner):
    response = client_for(owner).get(url(org, "audit:export"))
    assert response["Content-Disposition"] == 'attachment; filename="acme-audit.json"'


def test_records_cannot_be_changed_or_deleted(org, owner, framework):
    assessment = make_assessment(org, framework)
    assessment_transition(assessment=assessment, action="submit", user=owner)
    event = AuditEvent.objects.get()
    event.after = {"state": "Final"}
    with pytest.raises(ReadOnlyRecord):
        event.save()
    with pytest.raises(ReadOnlyRecord):
        event.delete()
    assert AuditEvent.objects.get().after == {"state": "In review"}
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/")
    request.user = owner
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert not model_admin.has_add_permission(request)


def test_a_deleted_user_leaves_their_email_on_the_records(org, owner, member, framework):
    assessment = make_assessment(org, framework)
    assessment_transition(assessment=assessment, action="submit", user=member)
    member.delete()
    event = AuditEvent.objects.get()
    assert event.actor is None and event.who == "member@acme.test"
