"""The admin lists integrations, metrics and tokens, never a token's plain text."""

import pytest

from accounts.models import User
from integration.lineprotocol import Point
from integration.models import IngestToken, MqttCount, MqttStrayCount, ReadToken
from integration.services import telemetry_ingest
from tests.conftest import client_for
from tests.integration.conftest import NOW


@pytest.fixture
def admin_client(db):
    return client_for(User.objects.create_superuser("admin@ladder.test", "a-long-password-42"))


@pytest.mark.parametrize("model", ["integration", "metric", "ingesttoken", "readtoken"])
def test_changelists_load(admin_client, integration, token, model):
    ReadToken.objects.issue(integration=integration, name="grafana")
    telemetry_ingest(integration=integration, points=[Point("temp", (), NOW, 1.0)], now=NOW)
    assert admin_client.get(f"/admin/integration/{model}/").status_code == 200


def test_the_integration_page_shows_tokens_read_only(admin_client, integration, token):
    read, raw_read = ReadToken.objects.issue(integration=integration, name="grafana")
    response = admin_client.get(f"/admin/integration/integration/{integration.pk}/change/")
    assert response.status_code == 200
    assert token.encode() not in response.content
    assert IngestToken.objects.get().hint.encode() in response.content
    assert raw_read.encode() not in response.content and read.hint.encode() in response.content


def test_a_token_cannot_be_added_in_the_admin(admin_client):
    assert admin_client.get("/admin/integration/ingesttoken/add/").status_code == 403
    assert admin_client.get("/admin/integration/readtoken/add/").status_code == 403


def test_tokens_are_revoked_with_an_action(admin_client, integration, token):
    pk = IngestToken.objects.get().pk
    response = admin_client.post(
        "/admin/integration/ingesttoken/",
        {"action": "revoke", "_selected_action": [pk]},
    )
    assert response.status_code == 302
    assert IngestToken.objects.get().revoked is not None


def test_staff_see_the_mqtt_counts_and_the_messages_of_no_integration(admin_client, integration):
    MqttCount.objects.create(integration=integration, hour=NOW, messages=3, bad_payload=2)
    MqttStrayCount.objects.create(listener="ladder-listener-7", hour=NOW, unknown_topic=11)
    html = admin_client.get("/admin/integration/mqttstraycount/").content.decode()
    assert "ladder-listener-7" in html and ">11<" in html
    response = admin_client.get("/admin/integration/mqttcount/")
    assert response.status_code == 200 and integration.name in response.content.decode()
    assert admin_client.get("/admin/integration/mqttstraycount/add/").status_code == 403


def test_the_sparkplug_tables_are_listed_read_only(admin_client, integration):
    from datetime import timedelta

    from integration.models import SparkplugLease, SparkplugNode

    integration.sparkplug_group, integration.sparkplug_node = "plant", "press3"
    integration.save()
    SparkplugNode.objects.create(
        group="plant", node="press3", born=True, aliases={"1": ["", "Speed", 10]}
    )
    SparkplugLease.claim(host_id="ladder", holder="listener-1", now=NOW, ttl=timedelta(seconds=15))
    for model in ("integration", "sparkplugnode"):
        response = admin_client.get(f"/admin/integration/{model}/")
        assert response.status_code == 200 and b"press3" in response.content
    assert b"listener-1" in admin_client.get("/admin/integration/sparkpluglease/").content
    assert admin_client.get("/admin/integration/sparkplugnode/add/").status_code == 403
