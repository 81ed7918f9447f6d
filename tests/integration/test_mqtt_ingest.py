"""The MQTT listener's batch ingest (`ingest_messages`), without a broker."""

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from django.db import OperationalError

from integration.models import Integration, MqttCount, MqttStrayCount
from integration.mqtt import ingest as ingest_module
from integration.mqtt.ingest import (
    BAD_PAYLOAD,
    INVALID_POINT,
    PAUSED,
    TOO_LARGE,
    UNKNOWN,
    UNKNOWN_TOPIC,
    Received,
    ingest_messages,
)
from integration.services import storage
from tests.integration.conftest import count, line


def received(topic: str, payload: bytes, mid: int = 1) -> Received:
    return Received(mid=mid, qos=1, topic=topic, payload=payload)


@pytest.mark.django_db
def test_a_batch_stores_each_integration_in_one_call_and_refuses_bad_messages_alone(
    integration, second_integration, org, monkeypatch
):
    paused = Integration.objects.create(organization=org, name="Paused", paused=True)
    calls = []
    real_ingest = ingest_module.telemetry_ingest

    def spy(**kwargs):
        calls.append(kwargs["integration"].pk)
        return real_ingest(**kwargs)

    monkeypatch.setattr(ingest_module, "telemetry_ingest", spy)
    future = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
    # JSON leaves the time window to the service: the batch call is refused, then this alone.
    in_the_future = orjson.dumps({"points": [{"metric": "temp", "value": 1, "ts": future}]})
    json_body = orjson.dumps({"points": [{"metric": "temp", "value": 80.5, "ts": 1764064800}]})
    unknown = uuid.uuid4()
    messages = [
        received(f"ladder/{integration.pk}/telemetry", line(0)),
        received(f"ladder/{integration.pk}/telemetry", line(1)),
        received(f"ladder/{second_integration.pk}/telemetry", json_body),
        received(f"ladder/{integration.pk}/telemetry", in_the_future),
        received(f"ladder/{unknown}/telemetry", line(2)),
        received("ladder/nonsense/telemetry", line(3)),
        received(f"ladder/{paused.pk}/telemetry", line(4)),
        received(f"ladder/{integration.pk}/telemetry", b"not line protocol"),
    ]

    result = ingest_messages(messages, now=datetime.now(UTC))

    assert (result.stored, result.accepted, result.duplicates) == (3, 3, 0)
    assert count(integration) == 2
    assert count(second_integration) == 1
    assert count(paused) == 0
    refusals = sorted((r.kind, r.integration_id) for r in result.refusals)
    assert refusals == sorted(
        [
            (INVALID_POINT, str(integration.pk)),  # the point in the future: the service said no
            (BAD_PAYLOAD, str(integration.pk)),  # not line protocol: the parser refused it
            (UNKNOWN, str(unknown)),
            (UNKNOWN_TOPIC, "nonsense"),
            (PAUSED, str(paused.pk)),
        ]
    )
    future_refusal = next(r for r in result.refusals if "future" in r.reason)
    assert "points[0].ts" in future_refusal.reason
    # Once per integration for the batch; then once per message of the refused group.
    assert sorted(map(str, calls)) == sorted(
        [str(integration.pk), str(second_integration.pk)] + [str(integration.pk)] * 3
    )


@pytest.mark.django_db
def test_a_repeated_message_in_a_batch_is_stored_once(integration):
    message = received(f"ladder/{integration.pk}/telemetry", line(7))
    result = ingest_messages([message, message], now=datetime.now(UTC))
    assert (result.stored, result.accepted, result.duplicates) == (2, 1, 1)
    result = ingest_messages([message], now=datetime.now(UTC))
    assert (result.accepted, result.duplicates) == (0, 1)
    assert count(integration) == 1


@pytest.mark.django_db
def test_a_batch_over_the_point_limit_is_split_between_messages(integration, settings):
    settings.TELEMETRY_MAX_POINTS = 5
    messages = [
        received(
            f"ladder/{integration.pk}/telemetry", b"\n".join(line(i * 3 + j) for j in range(3))
        )
        for i in range(4)
    ]
    messages.append(
        received(f"ladder/{integration.pk}/telemetry", b"\n".join(line(100 + j) for j in range(6)))
    )
    result = ingest_messages(messages, now=datetime.now(UTC))
    assert (result.stored, result.accepted) == (4, 12)
    assert [r.kind for r in result.refusals] == [TOO_LARGE]  # 6 points: over the limit alone
    assert "at most 5" in result.refusals[0].reason


@pytest.mark.django_db(transaction=True)
def test_a_database_failure_stores_nothing_of_the_batch(
    integration, second_integration, monkeypatch, settings
):
    settings.TELEMETRY_MAX_POINTS = 1  # one write per integration: the second one fails
    real_write = storage.points_write
    writes = []

    def failing_second_write(rows):
        writes.append(len(rows))
        if len(writes) == 2:
            raise OperationalError("server closed the connection unexpectedly")
        return real_write(rows)

    monkeypatch.setattr(storage, "points_write", failing_second_write)
    messages = [
        received(f"ladder/{integration.pk}/telemetry", line(1)),
        received(f"ladder/{second_integration.pk}/telemetry", line(2)),
    ]
    with pytest.raises(OperationalError):
        ingest_messages(messages, now=datetime.now(UTC))
    assert count(integration) == 0
    assert count(second_integration) == 0
