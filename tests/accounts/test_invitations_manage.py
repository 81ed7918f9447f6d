"""Invitations on the People page: states, resend, revoke, no duplicates, and the link shown
when the install sends no email."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, Membership, Role
from accounts.onboarding import invite_owner
from audit.models import AuditEvent
from tests.conftest import client_for, make_user

CONSOLE = "django.core.mail.backends.console.EmailBackend"


def members_url(org):
    return reverse("accounts:members", args=[org.slug])


def resend_url(invitation):
    return reverse("accounts:invitation-resend", args=[invitation.organization.slug, invitation.pk])


def revoke_url(invitation):
    return reverse("accounts:invitation-revoke", args=[invitation.organization.slug, invitation.pk])


def accept_url(invitation):
    return reverse("invitation-accept", args=[invitation.token])


def invite(org, owner, email="new@acme.test", **extra):
    return Invitation.objects.create(organization=org, email=email, invited_by=owner, **extra)


def test_sending_emails_the_link_with_its_expiry_and_records_it(org, owner, mailoutbox):
    response = client_for(owner).post(
        members_url(org), {"email": "new@acme.test", "role": "member"}
    )
    invitation = Invitation.objects.get()
    assert response.url.endswith(f"#invitation-{invitation.pk}")
    assert accept_url(invitation) in mailoutbox[0].body
    assert f"{invitation.expires:%-d %B %Y}" in mailoutbox[0].body
    assert AuditEvent.objects.filter(organization=org, action="invited").exists()


def test_a_second_open_invitation_for_the_address_is_refused_by_the_field(org, owner, mailoutbox):
    first = invite(org, owner)
    response = client_for(owner).post(
        members_url(org), {"email": "NEW@acme.test", "role": "viewer"}
    )
    assert response.status_code == 400
    assert "already an open invitation for this address" in response.text
    assert list(Invitation.objects.all()) == [first] and not mailoutbox


def test_the_service_refuses_a_duplicate_too(org, owner):
    invite(org, owner)
    with pytest.raises(services.InvitationRefused, match="already an open invitation"):
        services.invitation_send(
            invitation=Invitation(organization=org, email="new@acme.test"), user=owner
        )


def test_an_expired_or_revoked_invitation_does_not_block_a_new_one(org, owner, mailoutbox):
    invite(org, owner, created=timezone.now() - Invitation.VALID_FOR)
    invite(org, owner, email="gone@acme.test", revoked=timezone.now())
    client = client_for(owner)
    assert (
        client.post(members_url(org), {"email": "new@acme.test", "role": "member"}).status_code
        == 302
    )
    assert (
        client.post(members_url(org), {"email": "gone@acme.test", "role": "member"}).status_code
        == 302
    )
    assert len(mailoutbox) == 2


def test_inviting_a_member_is_refused(org, owner, member):
    response = client_for(owner).post(members_url(org), {"email": member.email, "role": "member"})
    assert response.status_code == 400 and "already a member" in response.text


def test_resend_rotates_the_token_renews_expiry_and_voids_the_old_link(
    org, owner, client, mailoutbox, time_machine
):
    invitation = invite(org, owner)
    old_link = accept_url(invitation)
    time_machine.move_to(invitation.created + Invitation.VALID_FOR + timedelta(days=1))
    assert client.get(old_link).status_code == 410  # expired
    assert client_for(owner).post(resend_url(invitation)).status_code == 302
    invitation.refresh_from_db()
    assert invitation.expires > timezone.now() + timedelta(days=13)
    assert accept_url(invitation) != old_link
    assert accept_url(invitation) in mailoutbox[-1].body
    assert client.get(old_link).status_code == 404  # the old token names nothing now
    assert client.get(accept_url(invitation)).status_code == 200
    assert AuditEvent.objects.filter(action="invitation resent").count() == 1


def test_revoked_invitation_link_shows_the_closed_page(org, owner, client):
    invitation = invite(org, owner)
    client_for(owner).post(revoke_url(invitation))
    response = client.get(accept_url(invitation))
    assert response.status_code == 410
    assert "withdrew it" in response.text
    assert client.post(accept_url(invitation), {"first_name": "X"}).status_code == 410
    assert AuditEvent.objects.filter(action="withdrawn").count() == 1


def test_expired_invitation_link_says_it_expired(org, owner, client, time_machine):
    invitation = invite(org, owner)
    time_machine.move_to(invitation.expires, tick=False)
    response = client.get(accept_url(invitation))
    assert response.status_code == 410 and "It has expired" in response.text


def test_a_revoked_or_accepted_invitation_cannot_be_resent_or_revoked_again(org, owner, mailoutbox):
    revoked = invite(org, owner, revoked=timezone.now())
    accepted = invite(org, owner, email="in@acme.test", accepted=timezone.now())
    client = client_for(owner)
    for invitation in (revoked, accepted):
        page = client.post(resend_url(invitation), follow=True).text
        assert "accepted or revoked" in page
        client.post(revoke_url(invitation))
    before = revoked.revoked
    revoked.refresh_from_db()
    accepted.refresh_from_db()
    assert revoked.revoked == before and accepted.revoked is None
    assert not mailoutbox


@pytest.mark.parametrize("who", ["member", "consultant", "viewer"])
def test_only_owners_resend_or_revoke(org, owner, who, request, mailoutbox):
    user = request.getfixturevalue(who)
    invitation = invite(org, owner)
    client = client_for(user)
    assert client.post(resend_url(invitation)).status_code == 403
    assert client.post(revoke_url(invitation)).status_code == 403
    invitation.refresh_from_db()
    assert invitation.revoked is None and not mailoutbox


def test_the_services_check_the_owner_themselves(org, owner, member):
    from django.core.exceptions import PermissionDenied

    invitation = invite(org, owner)
    with pytest.raises(PermissionDenied):
        services.invitation_revoke(invitation=invitation, user=member)
    with pytest.raises(PermissionDenied):
        services.invitation_resend(invitation=invitation, user=member)
    with pytest.raises(PermissionDenied):
        services.invitation_send(
            invitation=Invitation(organization=org, email="y@a.test"), user=member
        )


def test_another_organisations_invitation_is_404(org, owner, other_org, outsider):
    theirs = invite(other_org, outsider)
    for url in (resend_url(theirs), revoke_url(theirs)):
        ours = url.replace("/o/globex/", f"/o/{org.slug}/")
        assert client_for(owner).post(ours).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked is None


def test_resend_and_revoke_need_post(org, owner):
    invitation = invite(org, owner)
    assert client_for(owner).get(resend_url(invitation)).status_code == 405
    assert client_for(owner).get(revoke_url(invitation)).status_code == 405


def test_people_page_shows_each_state_and_buttons_only_for_open_ones(org, owner):
    now = timezone.now()
    pending = invite(org, owner, email="pending@acme.test")
    expired = invite(org, owner, email="expired@acme.test", created=now - timedelta(days=20))
    revoked = invite(org, owner, email="revoked@acme.test", revoked=now)
    accepted = invite(org, owner, email="accepted@acme.test", accepted=now)
    html = client_for(owner).get(members_url(org)).text
    assert f"until {pending.expires:%-d %b %Y}" in html
    for word in ("Pending", "Expired", "Revoked", "Accepted"):
        assert f'<span class="role-pill">{word}</span>' in html
    for invitation in (pending, expired):
        assert resend_url(invitation) in html and revoke_url(invitation) in html
    for invitation in (revoked, accepted):
        assert resend_url(invitation) not in html and revoke_url(invitation) not in html


def test_members_see_the_states_but_no_buttons_or_links(org, owner, member, settings):
    settings.EMAIL_BACKEND = CONSOLE
    invitation = invite(org, owner)
    html = client_for(member).get(members_url(org)).text
    assert "Pending" in html
    assert resend_url(invitation) not in html and invitation.token not in html


def test_with_email_delivered_no_link_is_shown(org, owner):
    invitation = invite(org, owner)
    html = client_for(owner).get(members_url(org)).text
    assert invitation.token not in html


def test_without_an_email_server_the_owner_gets_the_link_to_pass_on(org, owner, settings):
    settings.EMAIL_BACKEND = CONSOLE
    client = client_for(owner)
    response = client.post(
        members_url(org), {"email": "new@acme.test", "role": "member"}, follow=True
    )
    invitation = Invitation.objects.get()
    assert "Invitation made for new@acme.test" in response.text
    assert "Email is not set up on this install" in response.text
    assert f'id="invitation-link-{invitation.pk}"' in response.text
    assert accept_url(invitation) in response.text
    expired = invite(org, owner, email="old@acme.test", created=timezone.now() - timedelta(days=30))
    html = client.get(members_url(org)).text
    assert expired.token not in html  # only pending invitations' links are shown


def test_closed_signup_refuses_inviting_an_address_without_an_account(org, owner, settings):
    settings.SIGNUP = "closed"
    response = client_for(owner).post(
        members_url(org), {"email": "new@acme.test", "role": "member"}
    )
    assert response.status_code == 400 and "Sign-up is closed" in response.text
    make_user("known@elsewhere.test")
    ok = client_for(owner).post(
        members_url(org), {"email": "known@elsewhere.test", "role": "member"}
    )
    assert ok.status_code == 302


def test_closed_signup_refuses_a_new_account_from_an_owners_invitation(
    org, owner, client, settings
):
    invitation = invite(org, owner, role=Role.MEMBER)
    settings.SIGNUP = "closed"
    response = client.get(accept_url(invitation))
    assert response.status_code == 410 and "operator" in response.text


def test_closed_signup_accepts_the_operators_invitation(org, client, settings):
    settings.SIGNUP = "closed"
    with transaction.atomic():
        invitation = invite_owner(org=org, email="boss@acme.test")  # as create_org does
    data = {
        "first_name": "B",
        "new_password1": "ladder-pass-991",
        "new_password2": "ladder-pass-991",
    }
    assert client.post(accept_url(invitation), data).status_code == 302
    invitation.refresh_from_db()
    assert invitation.accepted is not None


def test_closed_signup_refuses_an_owners_invitation_whose_inviter_was_deleted(
    org, client, settings
):
    gone = make_user("gone@acme.test")
    Membership.objects.create(organization=org, user=gone, role=Role.OWNER)
    invitation = invite(org, gone, role=Role.MEMBER)
    gone.delete()
    invitation.refresh_from_db()
    assert invitation.invited_by is None
    settings.SIGNUP = "closed"
    response = client.get(accept_url(invitation))
    assert response.status_code == 410 and "operator" in response.text


def test_an_expired_invitation_is_not_resent_beside_a_newer_open_one(org, owner, mailoutbox):
    old = invite(org, owner, created=timezone.now() - timedelta(days=20))
    invite(org, owner)
    page = client_for(owner).post(resend_url(old), follow=True).text
    assert "A newer invitation for this address is still open" in page
    assert not mailoutbox


def test_accepting_rechecks_the_invitation_under_a_lock(org, owner, member):
    invitation = invite(org, owner, email=member.email)
    shown = Invitation.objects.get(pk=invitation.pk)  # as the page loaded it, still open
    Invitation.objects.filter(pk=invitation.pk).update(revoked=timezone.now())
    with pytest.raises(services.InvitationRefused):
        services.invitation_accept(invitation=shown, user=member)
    invitation.refresh_from_db()
    assert invitation.accepted is None


def test_an_invitation_added_in_the_admin_is_the_operators(org, admin_client, admin_user):
    response = admin_client.post(
        "/admin/accounts/invitation/add/",
        {
            "organization": org.pk,
            "email": "boss@acme.test",
            "role": "owner",
            "token": "t" * 40,
            "created_0": "2026-12-06",
            "created_1": "08:00:00",
            "accepted_0": "",
            "accepted_1": "",
            "revoked_0": "",
            "revoked_1": "",
            "invited_by": admin_user.pk,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert Invitation.objects.get(email="boss@acme.test").from_operator
