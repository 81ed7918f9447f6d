"""The read API with a read token (Grafana's way in): its own integration only, never writes."""

import base64
from datetime import timedelta

import pytest

from integration.lineprotocol import Point
from integration.models import IngestToken, Integration, ReadToken
from integration.services import telemetry_ingest
from tests.conftest import client_for
from tests.integration.conftest import NOW, stored


@pytest.fixture(autouse=True)
def _frozen(frozen):
    pass


def fill(integration):
    points = [Point("temp", (("line", "3"),), NOW - timedelta(seconds=20 * i), i) for i in (1, 2)]
    telemetry_ingest(integration=integration, points=points, now=NOW)
    return integration


@pytest.fixture
def read_token(integration):
    fill(integration)
    return ReadToken.objects.issue(integration=integration, name="grafana")[1]


def get(client, integration, raw, what="series?metric=temp"):
    return client.get(
        f"/api/v1/integrations/{integration.pk}/{what}",
        headers={"Authorization": f"Bearer {raw}"},
    )


@pytest.mark.parametrize("what", ["series?metric=temp", "metrics"])
def test_a_read_token_reads_its_own_integration(client, integration, read_token, what):
    response = get(client, integration, read_token, what)
    assert response.status_code == 200
    assert ReadToken.objects.get().last_used == NOW


def test_the_series_answer_is_the_sessions(client, member, integration, read_token):
    session = client_for(member).get(f"/api/v1/integrations/{integration.pk}/series?metric=temp")
    assert get(client, integration, read_token).json() == session.json()
    assert len(session.json()["points"]) == 2


@pytest.mark.parametrize("what", ["series?metric=temp", "metrics"])
def test_another_integration_of_the_same_organisation_is_404(
    client, org, integration, read_token, what
):
    sibling = fill(Integration.objects.create(organization=org, name="Sibling"))
    response = get(client, sibling, read_token, what)
    assert response.status_code == 404
    assert response.json() == {"code": "not found", "message": "no such integration"}


@pytest.mark.parametrize("what", ["series?metric=temp", "metrics"])
def test_another_organisations_integration_is_404(
    client, integration, other_integration, read_token, what
):
    fill(other_integration)
    assert get(client, other_integration, read_token, what).status_code == 404


def test_a_malformed_id_is_404(client, read_token):
    response = client.get(
        "/api/v1/integrations/nope/series?metric=temp",
        headers={"Authorization": f"Bearer {read_token}"},
    )
    assert response.status_code == 404


@pytest.mark.parametrize("what", ["series?metric=temp", "metrics"])
def test_a_revoked_read_token_is_401(client, integration, read_token, what):
    ReadToken.objects.get().revoke(now=NOW)
    response = get(client, integration, read_token, what)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("raw", ["ldr_read_made-up", "nonsense", ""])
def test_an_unknown_read_token_is_401(client, integration, read_token, raw):
    assert get(client, integration, raw).status_code == 401


def test_an_ingest_token_cannot_read(client, integration, token, read_token):
    for what in ("series?metric=temp", "metrics"):
        assert get(client, integration, token, what).status_code == 401


def test_a_bearer_token_decides_even_with_a_session(member, integration, read_token):
    browser = client_for(member)
    assert get(browser, integration, "ldr_read_made-up").status_code == 401
    # Another scheme (a proxy's Basic auth) leaves the session to decide, as before.
    basic = "Basic " + base64.b64encode(b"proxy:pass").decode()
    response = browser.get(
        f"/api/v1/integrations/{integration.pk}/series?metric=temp",
        headers={"Authorization": basic},
    )
    assert response.status_code == 200


def line(client, url, raw, scheme="Token"):
    return client.post(
        url,
        b"temp value=1",
        content_type="text/plain",
        headers={"Authorization": f"{scheme} {raw}"},
    )


def test_a_read_token_never_writes(client, integration, read_token):
    json = {"points": [{"metric": "temp", "value": 1}]}
    answers = [
        client.post(
            "/api/v1/telemetry",
            json,
            content_type="application/json",
            headers={"Authorization": f"Bearer {read_token}"},
        ),
        line(client, "/api/v2/write", read_token),
        line(client, "/write", read_token),
        line(client, f"/write?p={read_token}", ""),
        client.post("/api/v1/ping", headers={"Authorization": f"Bearer {read_token}"}),
        client.post("/api/v1/ping/fail", headers={"Authorization": f"Bearer {read_token}"}),
    ]
    assert [answer.status_code for answer in answers] == [401] * len(answers)
    assert answers[0].json() == {"code": "unauthorized", "message": "unknown or revoked token"}
    assert len(stored(integration)) == 2  # the two points of `fill`, nothing more
    assert not IngestToken.objects.exists()
