"""Signing in through an organisation's provider: a real OpenID provider, Ladder's callback."""

from accounts.models import Invitation, Membership, Role
from accounts.sso.models import Identity
from audit.models import AuditEvent
from tests.accounts.sso.conftest import configure, sso_sign_in


def test_an_invitation_link_joins_with_single_sign_on(client, org, owner, provider):
    config = configure(org, provider)
    invitation = Invitation.objects.create(
        organization=org, email="new@acme.test", role=Role.MEMBER, invited_by=owner
    )
    page = client.get(f"/invitations/{invitation.token}/")
    assert "Join with Acme Precision's single sign-on" in page.content.decode()

    response = sso_sign_in(client, provider, "entra-oid-1", invitation=invitation.token)

    assert response.status_code == 302 and response.url == "/o/acme/"
    identity = Identity.objects.get(organization=org, issuer=config.issuer, subject="entra-oid-1")
    assert identity.user.email == "new@acme.test"  # the invitation's address, not the claim's
    assert not identity.user.has_usable_password()
    assert Membership.objects.get(user=identity.user, organization=org).role == Role.MEMBER
    invitation.refresh_from_db()
    assert invitation.accepted is not None
    assert client.get("/o/acme/").status_code == 200
    assert AuditEvent.objects.filter(organization=org, action="identity linked").exists()


def test_a_linked_identity_signs_in(client, org, member, provider):
    config = configure(org, provider)
    Identity.objects.create(organization=org, user=member, issuer=config.issuer, subject="m-1")

    response = sso_sign_in(client, provider, "m-1")

    assert response.url == "/o/acme/"
    assert client.get("/o/acme/").wsgi_request.user == member


def test_an_unknown_subject_is_refused(client, org, member, provider):
    configure(org, provider)

    response = sso_sign_in(client, provider, "stranger")

    assert response.status_code == 403
    assert "not linked to anyone in Ladder" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not Identity.objects.exists()
    refused = AuditEvent.objects.get(organization=org, action="sign-in refused")
    assert refused.after["subject"] == "stranger"


def test_a_provider_of_another_organisation_is_refused(client, org, other_org, outsider, provider):
    """Globex's person, linked at the same issuer (as with Google), is nobody at Acme's."""
    configure(org, provider)
    globex = configure(other_org, provider)
    Identity.objects.create(
        organization=other_org, user=outsider, issuer=globex.issuer, subject="shared-sub"
    )

    response = sso_sign_in(client, provider, "shared-sub", org_slug="acme")

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_an_invitation_to_another_organisation_links_nothing(client, org, other_org, provider):
    configure(org, provider)
    configure(other_org, provider)
    invitation = Invitation.objects.create(organization=other_org, email="x@globex.test")

    response = sso_sign_in(client, provider, "x-1", org_slug="acme", invitation=invitation.token)

    assert response.status_code == 403
    assert "not one to Acme Precision" in response.content.decode()
    assert not Identity.objects.exists()
    invitation.refresh_from_db()
    assert invitation.accepted is None


def test_a_sign_in_through_one_organisation_opens_no_other(
    client, org, other_org, consultant, provider
):
    """The consultant is in both; Acme's provider vouched for them, so only Acme opens."""
    acme = configure(org, provider)
    Identity.objects.create(organization=org, user=consultant, issuer=acme.issuer, subject="c-1")

    assert sso_sign_in(client, provider, "c-1").url == "/o/acme/"

    assert client.get("/o/acme/").status_code == 200
    other = client.get("/o/globex/")
    assert other.status_code == 403
    assert "another organisation" in other.content.decode()


def test_wrong_nonce_is_refused(client, org, member, provider):
    config = configure(org, provider)
    Identity.objects.create(organization=org, user=member, issuer=config.issuer, subject="m-1")
    start = client.post("/accounts/sso/", {"organization": "acme"})
    callback = provider.sign_in(start.url, "m-1")
    session = client.session
    (flow,) = session["ladder_sso_flows"].values()
    flow["nonce"] = "not-the-nonce-sent"
    session.save()

    response = client.get(callback)

    assert response.status_code == 403
    reason = AuditEvent.objects.get(action="sign-in refused").after["reason"]
    assert "Invalid claim: 'nonce'" in reason
    assert "_auth_user_id" not in client.session


def test_a_token_for_another_audience_is_refused(client, org, member, provider):
    """The flow was started for one client; the provider's token is for Acme's: refused."""
    config = configure(org, provider)
    Identity.objects.create(organization=org, user=member, issuer=config.issuer, subject="m-1")
    start = client.post("/accounts/sso/", {"organization": "acme"})
    callback = provider.sign_in(start.url, "m-1")
    session = client.session
    (flow,) = session["ladder_sso_flows"].values()
    flow["client_id"] = "ladder-globex"
    session.save()

    response = client.get(callback)

    assert response.status_code == 403
    reason = AuditEvent.objects.get(action="sign-in refused").after["reason"]
    assert "Invalid claim: 'aud'" in reason
    assert "_auth_user_id" not in client.session


def test_a_callback_is_used_once(client, org, member, provider):
    config = configure(org, provider)
    Identity.objects.create(organization=org, user=member, issuer=config.issuer, subject="m-1")
    start = client.post("/accounts/sso/", {"organization": "acme"})
    callback = provider.sign_in(start.url, "m-1")
    assert client.get(callback).status_code == 302
    client.logout()

    assert client.get(callback).status_code == 403


def test_an_unknown_organisation_and_one_without_sso_answer_alike(client, org):
    unknown = client.post("/accounts/sso/", {"organization": "nope"})
    without = client.post("/accounts/sso/", {"organization": "acme"})

    assert unknown.status_code == without.status_code == 400
    assert unknown.context["form"].errors == without.context["form"].errors


def test_an_invitation_for_an_existing_account_needs_its_password_first(
    client, org, other_org, outsider, owner, provider
):
    """Whoever holds the link must not take over an account that already exists."""
    configure(org, provider)
    invitation = Invitation.objects.create(organization=org, email=outsider.email, invited_by=owner)

    response = sso_sign_in(client, provider, "o-2", invitation=invitation.token)

    assert response.status_code == 403
    assert "log in with its password" in response.content.decode()
    assert not Identity.objects.exists()
    assert not Membership.objects.filter(user=outsider, organization=org).exists()
