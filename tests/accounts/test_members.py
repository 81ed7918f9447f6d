from django.urls import reverse

from accounts.models import Invitation, Membership, Role
from tests.conftest import client_for, make_user


def members_url(org):
    return reverse("accounts:members", args=[org.slug])


def test_members_page_lists_people_and_roles(org, owner, member):
    response = client_for(member).get(members_url(org))
    assert response.status_code == 200
    body = response.content.decode()
    assert owner.email in body and member.email in body
    assert "Invite someone" not in body  # only owners invite


def test_owner_invites_by_email(org, owner, mailoutbox):
    response = client_for(owner).post(
        members_url(org), {"email": "New.Person@acme.test", "role": "member"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(organization=org)
    assert invitation.email == "new.person@acme.test"
    assert mailoutbox[0].to == ["new.person@acme.test"]
    assert f"/invitations/{invitation.token}/" in mailoutbox[0].body


def test_inviting_an_existing_member_is_refused_next_to_the_field(org, owner, member):
    response = client_for(owner).post(members_url(org), {"email": member.email, "role": "viewer"})
    assert response.status_code == 400
    assert "already a member" in response.content.decode()
    assert not Invitation.objects.exists()


def test_member_cannot_invite(org, member):
    response = client_for(member).post(members_url(org), {"email": "x@acme.test", "role": "owner"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_viewer_write_is_403(org, viewer):
    response = client_for(viewer).post(members_url(org), {"email": "x@acme.test", "role": "member"})
    assert response.status_code == 403


def test_owner_changes_a_role_with_htmx_and_gets_the_row(org, owner, member):
    membership = Membership.objects.get(user=member)
    url = reverse("accounts:member-role", args=[org.slug, membership.pk])
    response = client_for(owner).post(url, {"role": "consultant"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'id="member-{membership.pk}"' in response.content.decode()
    assert "<html" not in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.CONSULTANT


def test_role_change_refuses_unknown_role(org, owner, member):
    membership = Membership.objects.get(user=member)
    url = reverse("accounts:member-role", args=[org.slug, membership.pk])
    response = client_for(owner).post(url, {"role": "emperor"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "not one of the available choices" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER


def test_last_owner_cannot_be_demoted(org, owner):
    membership = Membership.objects.get(user=owner)
    url = reverse("accounts:member-role", args=[org.slug, membership.pk])
    response = client_for(owner).post(url, {"role": "viewer"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "at least one owner" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_last_owner_cannot_be_removed_and_is_told_why(org, owner):
    membership = Membership.objects.get(user=owner)
    url = reverse("accounts:member-remove", args=[org.slug, membership.pk])
    response = client_for(owner).post(url, follow=True)
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert "needs at least one owner: make someone else an owner first" in response.text


def remove_url(membership):
    return reverse("accounts:member-remove", args=[membership.organization.slug, membership.pk])


def test_the_only_owner_is_offered_no_remove(org, owner, member):
    html = client_for(owner).get(members_url(org)).text
    only = Membership.objects.get(user=owner)
    assert remove_url(only) not in html
    assert remove_url(Membership.objects.get(user=member)) in html  # others still are
    assert "Only owner" in html


def test_with_two_owners_either_may_be_removed(org, owner, member):
    Membership.objects.filter(user=member).update(role=Role.OWNER)
    html = client_for(owner).get(members_url(org)).text
    for membership in Membership.objects.filter(organization=org):
        assert remove_url(membership) in html
    assert "Only owner" not in html


def test_a_role_row_sent_back_by_htmx_offers_no_remove_for_the_only_owner(org, owner):
    membership = Membership.objects.get(user=owner)
    url = reverse("accounts:member-role", args=[org.slug, membership.pk])
    response = client_for(owner).post(url, {"role": "owner"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert remove_url(membership) not in response.text


def test_owner_removes_member(org, owner, member):
    membership = Membership.objects.get(user=member)
    response = client_for(owner).post(
        reverse("accounts:member-remove", args=[org.slug, membership.pk])
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_consultant_cannot_change_roles(org, consultant, member):
    membership = Membership.objects.get(user=member)
    url = reverse("accounts:member-role", args=[org.slug, membership.pk])
    assert client_for(consultant).post(url, {"role": "owner"}).status_code == 403


def test_role_change_needs_post(org, owner, member):
    membership = Membership.objects.get(user=member)
    url = reverse("accounts:member-role", args=[org.slug, membership.pk])
    assert client_for(owner).get(url).status_code == 405


def test_new_person_accepts_invitation_and_sets_password(client, org, owner):
    invitation = Invitation.objects.create(
        organization=org, email="new@acme.test", role=Role.VIEWER, invited_by=owner
    )
    url = reverse("invitation-accept", args=[invitation.token])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "first_name": "Nia",
            "new_password1": "ladder-pass-991",
            "new_password2": "ladder-pass-991",
        },
    )
    assert response.status_code == 302
    membership = Membership.objects.get(organization=org, user__email="new@acme.test")
    assert membership.role == Role.VIEWER
    assert membership.user.check_password("ladder-pass-991")
    invitation.refresh_from_db()
    assert invitation.accepted is not None
    assert client.get(url).status_code == 410  # used once


def test_invitation_with_mismatched_passwords_creates_nobody(client, org):
    invitation = Invitation.objects.create(organization=org, email="new@acme.test")
    url = reverse("invitation-accept", args=[invitation.token])
    response = client.post(
        url,
        {
            "first_name": "Nia",
            "new_password1": "ladder-pass-991",
            "new_password2": "other-pass-992",
        },
    )
    assert response.status_code == 400
    assert not Membership.objects.filter(user__email="new@acme.test").exists()


def test_existing_user_must_log_in_as_invited_address(client, org, outsider):
    invitation = Invitation.objects.create(organization=org, email=outsider.email, role=Role.MEMBER)
    url = reverse("invitation-accept", args=[invitation.token])
    assert "/accounts/login/" in client.post(url).url
    assert not Membership.objects.filter(organization=org, user=outsider).exists()
    client_for(outsider).post(url)
    assert Membership.objects.filter(organization=org, user=outsider, role=Role.MEMBER).exists()


def test_expired_invitation_is_refused(client, org, time_machine):
    invitation = Invitation.objects.create(organization=org, email="late@acme.test")
    time_machine.move_to(invitation.created + Invitation.VALID_FOR, tick=False)
    assert client.get(reverse("invitation-accept", args=[invitation.token])).status_code == 410


def test_owner_revokes_invitation_and_it_stays_listed_as_revoked(org, owner):
    invitation = Invitation.objects.create(organization=org, email="x@acme.test")
    url = reverse("accounts:invitation-revoke", args=[org.slug, invitation.pk])
    assert client_for(owner).post(url).status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked is not None


def test_consultant_sees_both_organisations_in_switcher(org, other_org, consultant):
    body = client_for(consultant).get(reverse("org-home", args=[org.slug])).content.decode()
    assert reverse("org-home", args=[other_org.slug]) in body
    assert other_org.name in body


def test_switcher_lists_only_own_organisations(org, other_org, owner):
    body = client_for(owner).get(reverse("org-home", args=[org.slug])).content.decode()
    assert other_org.name not in body


def test_make_user_helper_lowercases_email(db):
    assert make_user("MiXeD@Example.test").email == "mixed@example.test"
