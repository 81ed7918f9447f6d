"""The owner's single sign-on settings: owner only, the secret write-only, checked discovery."""

import pytest

from accounts.sso.models import Identity, SingleSignOn
from audit.models import AuditEvent
from tests.accounts.sso.conftest import configure, sso_sign_in
from tests.conftest import client_for

URL = "/o/acme/single-sign-on/"


def form(provider, **changes):
    return {
        "issuer": provider.issuer,
        "client_id": "ladder-acme",
        "client_secret": "secret-acme",
    } | changes


def test_the_owner_sets_up_single_sign_on(org, owner, provider):
    client = client_for(owner)
    page = client.get(URL)
    assert "http://testserver/accounts/sso/callback/" in page.content.decode()

    response = client.post(URL, form(provider))

    assert response.status_code == 302
    config = SingleSignOn.objects.get(organization=org)
    assert (config.issuer, config.client_id, config.required) == (
        provider.issuer,
        "ladder-acme",
        False,
    )
    assert "secret-acme" not in config.client_secret_sealed
    assert config.secret() == "secret-acme"
    event = AuditEvent.objects.get(organization=org, action="single sign-on set")
    assert "secret-acme" not in str(event.before) + str(event.after)


def test_the_secret_is_never_shown_back_and_kept_when_left_empty(org, owner, provider):
    configure(org, provider)
    client = client_for(owner)
    assert "secret-acme" not in client.get(URL).content.decode()

    response = client.post(URL, form(provider, client_secret=""))

    assert response.status_code == 302
    assert SingleSignOn.objects.get(organization=org).secret() == "secret-acme"


def test_an_issuer_without_openid_configuration_is_refused(org, owner, provider):
    response = client_for(owner).post(URL, form(provider, issuer=provider.issuer + "/nothing"))

    assert response.status_code == 400
    assert "answered HTTP 404" in response.content.decode()
    assert not SingleSignOn.objects.exists()


def test_plain_http_is_refused_unless_allowed(org, owner, provider, settings):
    settings.SSO_ALLOW_HTTP = False

    response = client_for(owner).post(URL, form(provider))

    assert response.status_code == 400
    assert "https://" in response.content.decode()


def test_requiring_sso_needs_an_sso_session_first(client, org, owner, provider):
    """So that an owner cannot lock themselves out with a password session."""
    config = configure(org, provider)
    refused = client_for(owner).post(URL, form(provider, required="on"))
    assert refused.status_code == 400
    assert "first, then require it" in refused.content.decode()

    Identity.objects.create(organization=org, user=owner, issuer=config.issuer, subject="o-1")
    sso_sign_in(client, provider, "o-1")
    assert client.post(URL, form(provider, required="on")).status_code == 302
    assert SingleSignOn.objects.get(organization=org).required


def test_removing_single_sign_on_removes_the_identities(org, owner, member, provider):
    config = configure(org, provider)
    Identity.objects.create(organization=org, user=member, issuer=config.issuer, subject="m-1")

    assert client_for(owner).post(URL, {"remove": "1"}).status_code == 302

    assert not SingleSignOn.objects.exists() and not Identity.objects.exists()
    assert AuditEvent.objects.filter(organization=org, action="single sign-on removed").exists()


@pytest.mark.parametrize("who", ["member", "viewer", "consultant"])
def test_only_owners_see_the_settings(request, org, who, provider):
    client = client_for(request.getfixturevalue(who))

    assert client.get(URL).status_code == 403
    assert client.post(URL, form(provider)).status_code == 403
    assert not SingleSignOn.objects.exists()


def test_another_organisations_settings_are_404(org, outsider, provider):
    configure(org, provider)
    client = client_for(outsider)

    assert client.get(URL).status_code == 404
    assert client.post(URL, {"remove": "1"}).status_code == 404
    assert SingleSignOn.objects.exists()


@pytest.mark.parametrize(
    "issuer", ["https://127.0.0.1:8443", "https://localhost", "https://10.1.2.3", "https://[::1]"]
)
def test_an_issuer_on_a_private_address_is_refused(org, owner, provider, settings, issuer):
    """An owner cannot make Ladder read its own network (the page would show what answered)."""
    settings.SSO_ALLOW_HTTP = False

    response = client_for(owner).post(URL, form(provider, issuer=issuer))

    assert response.status_code == 400
    assert "is not a public address" in response.content.decode()
    assert not SingleSignOn.objects.exists()


def test_a_public_host_passes_the_address_check(settings):
    from accounts.sso.client import _public

    assert _public("93.184.215.14")  # a literal public address needs no DNS
    assert not _public("169.254.169.254")  # the cloud metadata service
