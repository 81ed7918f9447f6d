"""Ingest tokens on the integration page: created by owners and consultants, shown once, revoked."""

import re

import pytest
from django.urls import reverse

from integration.models import IngestToken, Integration
from tests.conftest import client_for
from tests.integration.conftest import NOW
from tests.user_text_walk import Page, mark


def create_url(integration):
    return reverse("integration:token-create", args=[integration.organization.slug, integration.pk])


def revoke_url(token):
    integration = token.integration
    return reverse(
        "integration:token-revoke", args=[integration.organization.slug, integration.pk, token.pk]
    )


def created_url(integration):
    return reverse(
        "integration:token-created", args=[integration.organization.slug, integration.pk]
    )


def detail_url(integration):
    return reverse(
        "integration:integration-detail", args=[integration.organization.slug, integration.pk]
    )


def shown_token(html) -> str:
    return re.search(r'<code id="new-token" class="token-value">(ldr_[^<]+)</code>', html).group(1)


def send(client, raw):
    return client.post(
        "/api/v1/telemetry",
        {"points": [{"metric": "temp", "value": 21.5}]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )


@pytest.mark.parametrize("who", ["owner", "consultant"])
def test_a_new_token_is_shown_once_and_works(request, who, org, integration, client):
    user = request.getfixturevalue(who)
    browser = client_for(user)
    posted = browser.post(create_url(integration), {"name": "Telegraf on press-3-gw"})
    assert (posted.status_code, posted.url) == (302, created_url(integration))
    response = browser.get(posted.url)
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    raw = shown_token(html)
    assert "Copy it now: it is shown only on this page, once." in html
    token = IngestToken.objects.get(name="Telegraf on press-3-gw")
    assert (token.integration, token.hint) == (integration, raw[:8])
    assert raw not in (token.hash, token.hint)
    assert send(client, raw).status_code == 200
    # Never again: not on the integration's page.
    detail = browser.get(detail_url(integration)).content.decode()
    assert raw not in detail
    assert f"{token.hint}…" in detail


def test_reloading_the_token_page_creates_nothing_and_shows_the_text_no_more(
    org, owner, integration
):
    browser = client_for(owner)
    first = browser.post(create_url(integration), {"name": "gw"}, follow=True)
    raw = shown_token(first.content.decode())
    again = browser.get(created_url(integration), follow=True)
    assert again.redirect_chain == [(detail_url(integration), 302)]
    html = again.content.decode()
    assert raw not in html
    assert "A token&#x27;s text is shown once" in html
    assert IngestToken.objects.filter(integration=integration).count() == 1
    assert not any(raw in str(v) for v in browser.session.values())  # not kept either


def test_the_kept_text_is_shown_only_on_its_own_integrations_page(
    org, owner, integration, other_integration
):
    sibling = Integration.objects.create(organization=org, name="Sibling")
    browser = client_for(owner)
    browser.post(create_url(integration), {"name": "gw"})
    assert browser.get(created_url(sibling)).status_code == 302
    assert shown_token(browser.get(created_url(integration)).content.decode())


def test_revoking_asks_first_then_the_token_gets_401(org, owner, integration, client):
    token, raw = IngestToken.objects.issue(integration=integration, name="gw")
    assert send(client, raw).status_code == 200
    browser = client_for(owner)

    confirm = browser.get(revoke_url(token))
    assert confirm.status_code == 200
    assert "Revoke gw?" in confirm.content.decode()
    assert "only active token" in confirm.content.decode()
    token.refresh_from_db()
    assert token.is_active  # a GET changes nothing

    response = browser.post(revoke_url(token))
    assert response.status_code == 302
    assert response.url == detail_url(integration) + "#tokens"
    token.refresh_from_db()
    assert token.revoked is not None
    rejected = send(client, raw)
    assert rejected.status_code == 401
    assert rejected.json()["code"] == "unauthorized"
    page = browser.get(detail_url(integration)).content.decode()
    assert "Revoked" in page


def test_revoking_twice_keeps_the_first_time(org, owner, integration, frozen):
    token, _ = IngestToken.objects.issue(integration=integration)
    token.revoke(now=NOW)
    frozen.shift(3600)
    assert client_for(owner).post(revoke_url(token)).status_code == 302
    token.refresh_from_db()
    assert token.revoked == NOW


def test_rotation_leaves_the_other_tokens_working(org, owner, integration, client):
    old, old_raw = IngestToken.objects.issue(integration=integration, name="old")
    _, new_raw = IngestToken.objects.issue(integration=integration, name="new")
    assert "1 other active token" in client_for(owner).get(revoke_url(old)).content.decode()
    client_for(owner).post(revoke_url(old))
    assert send(client, old_raw).status_code == 401
    assert send(client, new_raw).status_code == 200


def test_a_too_long_name_is_a_400_with_the_error_next_to_the_field(org, owner, integration):
    response = client_for(owner).post(create_url(integration), {"name": "x" * 200})
    assert response.status_code == 400
    assert '<p class="field-error" id="id_name_error" hx-disable>' in response.content.decode()
    assert not IngestToken.objects.exists()


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_members_and_viewers_cannot_create_or_revoke(request, who, org, integration):
    client = client_for(request.getfixturevalue(who))
    token, _ = IngestToken.objects.issue(integration=integration)
    assert client.post(create_url(integration), {"name": "x"}).status_code == 403
    assert client.get(revoke_url(token)).status_code == 403
    assert client.post(revoke_url(token)).status_code == 403
    token.refresh_from_db()
    assert token.is_active
    assert IngestToken.objects.count() == 1


def test_outsiders_get_404(org, outsider, integration):
    token, _ = IngestToken.objects.issue(integration=integration)
    client = client_for(outsider)
    assert client.post(create_url(integration), {"name": "x"}).status_code == 404
    assert client.post(revoke_url(token)).status_code == 404
    assert IngestToken.objects.count() == 1


def test_a_token_of_another_integration_is_404(org, owner, integration, other_integration):
    sibling = Integration.objects.create(organization=org, name="Sibling")
    token, _ = IngestToken.objects.issue(integration=sibling)
    url = reverse("integration:token-revoke", args=[org.slug, integration.pk, token.pk])
    assert client_for(owner).post(url).status_code == 404
    foreign, _ = IngestToken.objects.issue(integration=other_integration)
    url = reverse("integration:token-revoke", args=[org.slug, integration.pk, foreign.pk])
    assert client_for(owner).post(url).status_code == 404


def test_wrong_method_is_405(org, owner, integration):
    assert client_for(owner).get(create_url(integration)).status_code == 405
    assert client_for(owner).post(created_url(integration)).status_code == 405


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_members_and_viewers_get_no_token_page(request, who, org, integration):
    client = client_for(request.getfixturevalue(who))
    assert client.get(created_url(integration)).status_code == 403


def test_the_token_page_shows_the_integrations_name_only_inside_hx_disable(org, owner, integration):
    Integration.objects.filter(pk=integration.pk).update(name=mark(1))
    html = client_for(owner).post(create_url(integration), {"name": "gw"}, follow=True).text
    page = Page()
    page.feed(html)
    assert "qz_001_" in page.seen
    assert not page.exposed and not page.in_hx_attr
