"""An organisation that requires single sign-on: password sessions do not open it."""

from accounts.sso.models import Identity
from tests.accounts.sso.conftest import configure, sso_sign_in
from tests.conftest import PASSWORD


def log_in(client, email):
    response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302


def test_a_password_login_cannot_open_an_organisation_that_requires_sso(
    client, org, member, provider
):
    configure(org, provider, required=True)
    log_in(client, member.email)

    response = client.get("/o/acme/")

    assert response.status_code == 403
    html = response.content.decode()
    assert "requires its members to sign in with its single sign-on" in html
    assert "Sign in with Acme Precision&#x27;s single sign-on" in html or (
        "Sign in with Acme Precision's single sign-on" in html
    )


def test_other_organisations_keep_password_login(
    client, org, other_org, outsider, consultant, provider
):
    configure(org, provider, required=True)
    log_in(client, outsider.email)
    assert client.get("/o/globex/").status_code == 200

    client.logout()
    log_in(client, consultant.email)  # in both: Globex opens, Acme does not
    assert client.get("/o/globex/").status_code == 200
    assert client.get("/o/acme/").status_code == 403


def test_signing_in_with_sso_opens_the_organisation(client, org, member, provider):
    config = configure(org, provider, required=True)
    Identity.objects.create(organization=org, user=member, issuer=config.issuer, subject="m-1")
    log_in(client, member.email)
    assert client.get("/o/acme/").status_code == 403

    assert sso_sign_in(client, provider, "m-1").url == "/o/acme/"

    assert client.get("/o/acme/").status_code == 200


def test_a_later_password_login_loses_the_sso_credit(client, org, member, provider):
    config = configure(org, provider, required=True)
    Identity.objects.create(organization=org, user=member, issuer=config.issuer, subject="m-1")
    sso_sign_in(client, provider, "m-1")

    log_in(client, member.email)

    assert client.get("/o/acme/").status_code == 403


def test_a_changed_issuer_ends_the_sso_credit(client, org, member, provider):
    config = configure(org, provider, required=True)
    Identity.objects.create(organization=org, user=member, issuer=config.issuer, subject="m-1")
    sso_sign_in(client, provider, "m-1")
    config.issuer = "https://elsewhere.example"
    config.save()

    assert client.get("/o/acme/").status_code == 403


def test_the_portfolio_lists_only_organisations_the_session_opens(
    client, org, other_org, consultant, provider
):
    configure(org, provider, required=True)
    log_in(client, consultant.email)

    page = client.get("/portfolio/").content.decode()

    assert "Globex Foods" in page
    assert "/o/acme/" not in page.split("<main", 1)[1].split("</main>", 1)[0]


def test_another_organisations_sso_gives_no_credit(client, org, other_org, consultant, provider):
    """Signed in through Acme's provider, the consultant still cannot open Globex, which
    requires its own."""
    acme = configure(org, provider)
    configure(other_org, provider, required=True)
    Identity.objects.create(organization=org, user=consultant, issuer=acme.issuer, subject="c-1")

    sso_sign_in(client, provider, "c-1")

    assert client.get("/o/acme/").status_code == 200
    refused = client.get("/o/globex/")
    assert refused.status_code == 403
    assert "Sign in with Globex Foods" in refused.content.decode()
