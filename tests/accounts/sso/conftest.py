import pytest

from accounts.sso.models import SingleSignOn
from tests.accounts.sso.provider import CLIENTS, Provider


@pytest.fixture(scope="session")
def provider():
    provider = Provider()
    yield provider
    provider.close()


@pytest.fixture(autouse=True)
def _providers_on_http(settings):
    settings.SSO_ALLOW_HTTP = True  # the test provider listens on http://127.0.0.1


def configure(org, provider, *, required=False) -> SingleSignOn:
    """`org`'s single sign-on at the test provider, with the client registered for it."""
    client_id, secret = CLIENTS[org.slug]
    config = SingleSignOn(
        organization=org, issuer=provider.issuer, client_id=client_id, required=required
    )
    config.set_secret(secret)
    config.save()
    return config


def sso_sign_in(client, provider, account, org_slug="acme", invitation=""):
    """Start at Ladder, sign in at the provider as `account`, and return Ladder's answer to
    the callback."""
    start = client.post("/accounts/sso/", {"organization": org_slug, "invitation": invitation})
    assert start.status_code == 302, start.content.decode()
    return client.get(provider.sign_in(start.url, account))
