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
