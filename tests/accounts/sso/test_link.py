"""Linking one's own account at an organisation's provider, from a password login."""

from accounts.sso.models import Identity
from audit.models import AuditEvent
from tests.accounts.sso.conftest import configure, sso_sign_in
from tests.accounts.sso.test_required import log_in


def link(client, provider, account, org_slug="acme"):
    start = client.post("/accounts/sso/link/", {"organization": org_slug})
    assert start.status_code == 302, start.content.decode()
    return client.get(provider.sign_in(start.url, account))


def test_a_password_session_links_then_signs_in_with_sso(client, org, member, provider):
    configure(org, provider)
    log_in(client, member.email)
    assert "Link Acme Precision" in client.get("/accounts/sso/link/").content.decode()

    assert link(client, provider, "m-7").url == "/o/acme/"

    identity = Identity.objects.get(organization=org, subject="m-7")
    assert identity.user == member
    assert AuditEvent.objects.filter(organization=org, action="identity linked").exists()
    client.logout()
    assert sso_sign_in(client, provider, "m-7").url == "/o/acme/"
    assert client.get("/o/acme/").wsgi_request.user == member


def test_a_subject_linked_to_someone_else_is_refused(client, org, owner, member, provider):
    config = configure(org, provider)
    Identity.objects.create(organization=org, user=owner, issuer=config.issuer, subject="o-1")
    log_in(client, member.email)

    response = link(client, provider, "o-1")

    assert response.status_code == 403
    assert not Identity.objects.filter(user=member).exists()


def test_only_an_organisation_of_ones_own_can_be_linked(client, org, other_org, member, provider):
    configure(other_org, provider)
    log_in(client, member.email)

    assert client.post("/accounts/sso/link/", {"organization": "globex"}).status_code == 404


def test_an_sso_session_cannot_link(client, org, other_org, consultant, provider):
    acme = configure(org, provider)
    configure(other_org, provider)
    Identity.objects.create(organization=org, user=consultant, issuer=acme.issuer, subject="c-1")
    sso_sign_in(client, provider, "c-1")

    response = client.post("/accounts/sso/link/", {"organization": "globex"})

    assert response.status_code == 302 and response.url == "/accounts/sso/link/"
    assert not Identity.objects.filter(organization=other_org).exists()


def test_unlinking_removes_the_identity(client, org, member, provider):
    config = configure(org, provider)
    identity = Identity.objects.create(
        organization=org, user=member, issuer=config.issuer, subject="m-1"
    )
    log_in(client, member.email)

    assert client.post(f"/accounts/sso/link/{identity.pk}/unlink/").status_code == 302

    assert not Identity.objects.exists()
    assert AuditEvent.objects.filter(organization=org, action="identity unlinked").exists()


def test_someone_elses_identity_cannot_be_unlinked(client, org, owner, member, provider):
    config = configure(org, provider)
    identity = Identity.objects.create(
        organization=org, user=owner, issuer=config.issuer, subject="o-1"
    )
    log_in(client, member.email)

    assert client.post(f"/accounts/sso/link/{identity.pk}/unlink/").status_code == 404
    assert Identity.objects.exists()


def test_an_admin_site_account_neither_links_nor_signs_in(client, org, member, provider):
    """The admin site shows every organisation: one organisation's provider must not open it."""
    config = configure(org, provider)
    member.is_staff = True
    member.save()
    log_in(client, member.email)
    assert link(client, provider, "m-9").status_code == 403
    assert not Identity.objects.exists()

    Identity.objects.create(organization=org, user=member, issuer=config.issuer, subject="m-9")
    client.logout()
    response = sso_sign_in(client, provider, "m-9")

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
