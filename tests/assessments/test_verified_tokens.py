"""A token used from an integration other than its own cannot verify that other integration's
check: a token names its integration (HTTP), and the broker lets an integration's client
publish only to its own topic (MQTT). Posting with integration A's token, naming B in every way
a message can, stores nothing for B, and B's check does not pass while A's, on the same data,
does."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from assessments.models.verification import ProcessCheck
from assessments.verified.bindings import check_bind
from assessments.verified.evaluate import evaluate_round
from integration.models import IngestToken, Integration, Metric
from integration.mqtt.ingest import Received, ingest_messages
from tests.assessments.conftest import NOW, make_process
from tests.conftest import client_for
from tests.integration import brokerauth_helpers as brokers

FRESH = "mfg-2-live-oee-fresh"  # freshness 900 s over 24 hours
HOUR = timedelta(hours=1)
broker = brokers.broker_fixture  # a private mosquitto with dynamic security (skipped without one)


@pytest.fixture
def pair(org):
    return [
        Integration.objects.create(
            organization=org, name=name, created=NOW - 30 * HOUR * 24, interval_seconds=300
        )
        for name in ("Press line", "Boiler")
    ]


def fresh_checks(org, framework, owner, integrations):
    """The freshness check on one process per integration, each bound to it."""
    rows = []
    for integration in integrations:
        process = make_process(org, f"Process of {integration.name}")
        check_bind(
            process=process,
            framework=framework,
            check_key=FRESH,
            role=framework.definition.check(FRESH).roles[0],
            integration=integration,
            user=owner,
        )
        rows.append(ProcessCheck.objects.get(process=process))
    return rows


def test_over_http_a_token_stores_only_for_its_own_integration(org, framework, owner, pair):
    own, target = pair
    raw = IngestToken.objects.issue(integration=own, name="gateway")[1]
    checks = fresh_checks(org, framework, owner, pair)
    # A day of live data, every request naming the target: as the bucket, the org, a tag.
    url = f"/api/v2/write?org={org.slug}&bucket={target.pk}&precision=s"
    for hour in range(24):
        at = NOW - 23 * HOUR + hour * HOUR
        lines = "\n".join(
            f"temp,integration={target.pk} value={20 + (hour + i) % 7} "
            f"{int((at - (12 - i) * HOUR / 12).timestamp())}"
            for i in range(12)
        )
        with time_machine.travel(at, tick=False):
            response = Client().post(
                url, lines.encode(), content_type="text/plain", HTTP_AUTHORIZATION=f"Token {raw}"
            )
        assert response.status_code == 204, response.content
    assert not Metric.objects.filter(integration=target).exists()
    target.refresh_from_db()
    assert target.last_seen is None
    assert Metric.objects.filter(integration=own, name="temp.value").exists()

    evaluate_round(now=NOW)
    states = {}
    for row in checks:
        row.refresh_from_db()
        states[row.bindings.get().integration.name] = (row.state, row.reason)
    assert states["Boiler"] == ("failing", "no data in the window")
    assert states["Press line"][0] == "passing", states


@brokers.broker_test
def test_over_mqtt_a_client_publishes_only_to_its_own_topic(broker, org, framework, owner, pair):
    own, target = pair
    raw, _ = brokers.issue(client_for(owner), own)
    brokers.issue(client_for(owner), target)
    everything = brokers.Subscriber(broker)  # sees every message the broker lets through
    device = brokers.login(broker, str(own.pk), raw)
    for minutes, value in ((3, 20.5), (2, 21.5), (1, 22.5)):
        at = int((NOW - timedelta(minutes=minutes)).timestamp() * 1e9)
        payload = f"temp value={value} {at}".encode()
        device.publish(brokers.topic(target), payload, qos=1).wait_for_publish(5)
        device.publish(brokers.topic(own), payload, qos=1).wait_for_publish(5)
    assert everything.got(payload)
    assert {topic for topic, _ in everything.received} == {brokers.topic(own)}

    # What the listener would have stored of it, and how the checks judge it.
    received = [Received(n, 1, t, p) for n, (t, p) in enumerate(everything.received)]
    with time_machine.travel(NOW, tick=False):
        ingest_messages(received, now=NOW)
    assert not Metric.objects.filter(integration=target).exists()
    checks = fresh_checks(org, framework, owner, pair)
    evaluate_round(now=NOW + timedelta(minutes=1))
    for row in checks:
        row.refresh_from_db()
    assert (checks[1].state, checks[1].reason) == ("failing", "no data in the window")
    assert checks[0].state == "passing", checks[0].reason
