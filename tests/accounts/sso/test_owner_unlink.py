"""Owners see who signs in through the organisation's provider and can unlink them; a removed
member's link goes with the membership."""

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import Membership
from accounts.services import membership_remove
from accounts.sso.models import Identity, SingleSignOn
from accounts.sso.services import identity_unlink
from audit.models import AuditEvent
from tests.conftest import client_for

MEMBERS = "/o/acme/members/"


@pytest.fixture
def linked(org, member):
    SingleSignOn.objects.create(organization=org, issuer="https://id.example", client_id="l")
    return Identity.objects.create(
        organization=org, user=member, issuer="https://id.example", subject="sub-7"
    )


def unlink_url(org, user):
    membership = Membership.objects.get(organization=org, user=user)
    return f"/o/{org.slug}/members/{membership.pk}/sso-unlink/"


def test_the_owner_sees_who_signs_in_with_single_sign_on(org, owner, member, linked):
    page = client_for(owner).get(MEMBERS).content.decode()
    assert page.count("Signs in with single sign-on") == 1
    assert f"Unlink SSO of {member.email}" in page


def test_members_do_not_see_the_links(org, member, linked):
    page = client_for(member).get(MEMBERS).content.decode()
    assert "single sign-on" not in page.lower()


def test_the_owner_unlinks_a_members_account_at_the_provider(org, owner, member, linked):
    response = client_for(owner).post(unlink_url(org, member))

    assert response.status_code == 302
    assert not Identity.objects.exists()
    event = AuditEvent.objects.get(action="identity unlinked")
    assert event.actor == owner and event.before == {
        "issuer": "https://id.example",
        "subject": "sub-7",
    }


def test_a_member_cannot_unlink_someone_else(org, owner, member, linked):
    Identity.objects.create(organization=org, user=owner, issuer="https://id.example", subject="o")
    assert client_for(member).post(unlink_url(org, owner)).status_code == 403
    with pytest.raises(PermissionDenied):
        identity_unlink(identity=Identity.objects.get(user=owner), user=member)
    assert Identity.objects.count() == 2


def test_another_organisations_member_is_404(org, member, outsider, linked):
    assert client_for(outsider).post(unlink_url(org, member)).status_code == 404
    assert Identity.objects.exists()


def test_a_member_without_a_link_is_404(org, owner, member):
    assert client_for(owner).post(unlink_url(org, member)).status_code == 404


def test_removing_a_member_removes_their_link_to_the_provider(org, owner, member, linked):
    membership_remove(membership=Membership.objects.get(user=member), user=owner)

    assert not Identity.objects.exists()
    removed = AuditEvent.objects.get(action="removed")
    assert removed.before == {"role": "Member", "single sign-on": "sub-7 at https://id.example"}
