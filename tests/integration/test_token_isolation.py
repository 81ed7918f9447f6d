"""An ingest token reaches its own integration and nothing else."""

import pytest

from integration.models import IngestToken
from tests.integration.conftest import NOW_NS, stored


@pytest.fixture(autouse=True)
def _frozen(frozen):
    pass


def test_each_token_writes_only_into_its_own_integration(
    client, integration, other_integration, token, other_token
):
    line = f"temp value=1 {NOW_NS}"
    client.post(
        "/api/v2/write",
        line,
        content_type="text/plain",
        headers={"Authorization": f"Token {token}"},
    )
    client.post(
        "/api/v2/write",
        line.replace("1", "2", 1),
        content_type="text/plain",
        headers={"Authorization": f"Token {other_token}"},
    )
    client.post(
        "/api/v1/telemetry",
        {"points": [{"metric": "rpm", "value": 5}]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {other_token}"},
    )
    assert [row[0] for row in stored(integration)] == ["temp.value"]
    assert [(row[0], row[3]) for row in stored(other_integration)] == [
        ("rpm", 5.0),
        ("temp.value", 2.0),
    ]


def test_the_same_point_in_two_integrations_is_stored_in_each(
    client, integration, other_integration, token, other_token
):
    for each in (token, other_token):
        response = client.post(
            "/api/v1/telemetry",
            {"points": [{"metric": "t", "value": 1}]},
            content_type="application/json",
            headers={"Authorization": f"Bearer {each}"},
        )
        assert response.json() == {"accepted": 1, "duplicates": 0}


def test_a_ping_reaches_only_the_tokens_integration(
    client, integration, other_integration, other_token
):
    client.post("/api/v1/ping", headers={"Authorization": f"Bearer {other_token}"})
    integration.refresh_from_db()
    other_integration.refresh_from_db()
    assert integration.last_seen is None
    assert other_integration.last_seen is not None


def test_revoking_one_token_leaves_the_others_working(client, integration, token):
    second = IngestToken.objects.issue(integration=integration, name="rotation")[1]
    IngestToken.objects.get(name="test").revoke()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/ping", headers=auth).status_code == 401
    assert (
        client.post("/api/v1/ping", headers={"Authorization": f"Bearer {second}"}).status_code
        == 200
    )
