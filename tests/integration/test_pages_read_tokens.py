"""Read tokens on the integration page: issued by owners and consultants, shown once, revoked,
audited; they read the series API and never write."""

import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from integration.models import ReadToken
from tests.conftest import client_for
from tests.user_text_walk import Page, mark


def create_url(integration):
    return reverse(
        "integration:read-token-create", args=[integration.organization.slug, integration.pk]
    )


def revoke_url(token):
    integration = token.integration
    return reverse(
        "integration:read-token-revoke",
        args=[integration.organization.slug, integration.pk, token.pk],
    )


def detail_url(integration):
    return reverse(
        "integration:integration-detail", args=[integration.organization.slug, integration.pk]
    )


def shown_token(html) -> str:
    found = re.search(r'<code id="new-token" class="token-value">(ldr_read_[^<]+)</code>', html)
    return found.group(1)


def read(client, integration, raw):
    return client.get(
        f"/api/v1/integrations/{integration.pk}/metrics",
        headers={"Authorization": f"Bearer {raw}"},
    )


@pytest.mark.parametrize("who", ["owner", "consultant"])
def test_a_new_read_token_is_shown_once_audited_and_reads(request, who, org, integration, client):
    user = request.getfixturevalue(who)
    browser = client_for(user)
    response = browser.post(create_url(integration), {"read-name": "Grafana plant"}, follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert "New read token" in html and "Read with it" in html
    raw = shown_token(html)
    token = ReadToken.objects.get(name="Grafana plant")
    assert (token.integration, token.hint) == (integration, raw[:13])
    assert raw not in (token.hash, token.hint)
    assert read(client, integration, raw).status_code == 200
    event = AuditEvent.objects.get(area="tokens", action="issued", actor=user)
    assert event.subject == f"Read token Grafana plant of {integration.name}"
    assert event.after == {"name": "Grafana plant", "starts with": token.hint, "scope": "read"}
    assert not AuditEvent.objects.filter(after__icontains=raw[12:]).exists()
    # Never again: not on the integration's page, nor on the token page reloaded.
    detail = browser.get(detail_url(integration)).content.decode()
    assert raw not in detail
    assert f"{token.hint}…" in detail and "Read tokens" in detail
    again = browser.get(response.redirect_chain[-1][0], follow=True).content.decode()
    assert raw not in again


def test_revoking_asks_first_is_audited_and_then_the_token_gets_401(
    org, owner, integration, client
):
    token, raw = ReadToken.objects.issue(integration=integration, name="grafana")
    browser = client_for(owner)
    confirm = browser.get(revoke_url(token))
    assert confirm.status_code == 200
    assert "Revoke grafana?" in confirm.content.decode()
    token.refresh_from_db()
    assert token.is_active  # a GET changes nothing
    response = browser.post(revoke_url(token))
    assert (response.status_code, response.url) == (302, detail_url(integration) + "#read-tokens")
    token.refresh_from_db()
    assert token.revoked is not None
    refused = read(client, integration, raw)
    assert refused.status_code == 401
    assert refused.json()["code"] == "unauthorized"
    event = AuditEvent.objects.get(area="tokens", action="revoked")
    assert (event.actor, event.before) == (owner, {"revoked": None})
    assert event.subject == f"Read token grafana of {integration.name}"


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_members_and_viewers_cannot_create_or_revoke(request, who, org, integration):
    client = client_for(request.getfixturevalue(who))
    token, _ = ReadToken.objects.issue(integration=integration)
    assert client.post(create_url(integration), {"read-name": "x"}).status_code == 403
    assert client.get(revoke_url(token)).status_code == 403
    assert client.post(revoke_url(token)).status_code == 403
    token.refresh_from_db()
    assert token.is_active
    assert ReadToken.objects.count() == 1
    assert not AuditEvent.objects.filter(area="tokens").exists()
    html = client.get(detail_url(integration)).content.decode()
    assert "Owners and consultants create and revoke read tokens." in html


def test_outsiders_get_404(org, outsider, integration):
    token, _ = ReadToken.objects.issue(integration=integration)
    client = client_for(outsider)
    assert client.post(create_url(integration), {"read-name": "x"}).status_code == 404
    assert client.post(revoke_url(token)).status_code == 404
    assert ReadToken.objects.count() == 1


def test_a_read_token_of_another_integration_is_404(org, owner, integration, other_integration):
    sibling, _ = ReadToken.objects.issue(integration=other_integration)
    url = reverse("integration:read-token-revoke", args=[org.slug, integration.pk, sibling.pk])
    assert client_for(owner).post(url).status_code == 404
    sibling.refresh_from_db()
    assert sibling.is_active


def test_wrong_method_is_405(org, owner, integration):
    assert client_for(owner).get(create_url(integration)).status_code == 405


def test_a_too_long_name_is_a_400_with_the_error_next_to_the_field(org, owner, integration):
    response = client_for(owner).post(create_url(integration), {"read-name": "x" * 200})
    assert response.status_code == 400
    assert '<p class="field-error" id="id_read-name_error" hx-disable>' in response.text
    assert not ReadToken.objects.exists()


def test_a_read_tokens_name_is_shown_only_inside_hx_disable(org, owner, integration):
    token, _ = ReadToken.objects.issue(integration=integration, name=mark(1))
    for url in (detail_url(integration), revoke_url(token)):
        page = Page()
        page.feed(client_for(owner).get(url).text)
        assert "qz_001_" in page.seen
        assert not page.exposed and not page.in_hx_attr
