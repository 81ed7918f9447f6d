"""The MQTT listener's batch ingest (`ingest_messages`), without a broker."""

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from integration.health import Status
from integration.models import Integration, MqttCount, MqttStrayCount
from integration.mqtt import ingest as ingest_module
from integration.mqtt.ingest import (
    BAD_PAYLOAD,
    INVALID_POINT,
    PAUSED,
    RETAINED,
    TOO_LARGE,
    UNKNOWN,
    UNKNOWN_TOPIC,
    Received,
    ingest_messages,
)
from integration.services import storage
from tests.integration.conftest import count, line


def received(topic: str, payload: bytes, mid: int = 1, *, retain: bool = False) -> Received:
    return Received(mid=mid, qos=1, topic=topic, payload=payload, retain=retain)


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

    def failing_second_write(rows, *, now):
        writes.append(len(rows))
        if len(writes) == 2:
            raise OperationalError("server closed the connection unexpectedly")
        return real_write(rows, now=now)

    monkeypatch.setattr(storage, "points_write", failing_second_write)
    messages = [
        received(f"ladder/{integration.pk}/telemetry", line(1)),
        received(f"ladder/{second_integration.pk}/telemetry", line(2)),
    ]
    with pytest.raises(OperationalError):
        ingest_messages(messages, now=datetime.now(UTC))
    assert count(integration) == 0
    assert count(second_integration) == 0


def counts_of(integration) -> dict:
    row = MqttCount.objects.get(integration=integration)
    return {column: getattr(row, column) for column in MqttCount.OUTCOMES if getattr(row, column)}


@pytest.mark.django_db
def test_a_mixed_batch_is_counted_per_integration_and_reason_in_its_hour(
    integration, second_integration, org, settings
):
    settings.TELEMETRY_MAX_POINTS = 5
    paused = Integration.objects.create(organization=org, name="Paused", paused=True)
    now = datetime.now(UTC)
    nan = orjson.dumps({"points": [{"metric": "temp", "value": 1, "ts": "1999-01-01T00:00:00Z"}]})
    mine = f"ladder/{integration.pk}/telemetry"
    messages = [
        received(mine, line(0)),
        received(mine, line(1) + b"\n" + line(2)),
        received(mine, b"not line protocol"),
        received(mine, b"\xff\xfe"),
        received(mine, b"\n".join(line(10 + i) for i in range(6))),  # over 5 points
        received(mine, nan),  # a point before 2000: the service refuses it
        received(mine, line(3), retain=True),
        received(f"ladder/{second_integration.pk}/telemetry", line(4)),
        received(f"ladder/{paused.pk}/telemetry", line(5)),
        received(f"ladder/{paused.pk}/telemetry", line(6)),
        received(f"ladder/{uuid.uuid4()}/telemetry", line(7)),
        received("ladder/press-3/telemetry", line(8)),
        received(f"ladder/{integration.pk}/status", b"online"),
    ]

    ingest_messages(messages, now=now, listener="listener-1")

    hour = now.replace(minute=0, second=0, microsecond=0)
    assert MqttCount.objects.get(integration=integration).hour == hour
    assert counts_of(integration) == {
        "messages": 2,
        "points": 3,
        "bad_payload": 2,
        "too_large": 1,
        "invalid_point": 1,
        "retained": 1,
    }
    assert counts_of(second_integration) == {"messages": 1, "points": 1}
    assert counts_of(paused) == {"paused": 2}
    stray = MqttStrayCount.objects.get()
    assert (stray.listener, stray.hour) == ("listener-1", hour)
    assert (stray.unknown_integration, stray.unknown_topic) == (1, 2)

    # The next batch of the hour adds to the same rows; a new hour starts new ones.
    ingest_messages(messages[:2], now=now, listener="listener-1")
    assert counts_of(integration)["messages"] == 4
    ingest_messages(messages[:1], now=now + timedelta(hours=1), listener="listener-1")
    assert MqttCount.objects.filter(integration=integration).count() == 2


@pytest.mark.django_db
def test_a_batch_moving_other_counters_adds_to_its_hour_and_keeps_the_rest(
    integration, second_integration
):
    now = datetime.now(UTC)
    mine = f"ladder/{integration.pk}/telemetry"
    theirs = f"ladder/{second_integration.pk}/telemetry"
    ingest_messages([received(mine, line(0)), received(theirs, b"bad")], now=now)
    assert counts_of(integration) == {"messages": 1, "points": 1}
    assert counts_of(second_integration) == {"bad_payload": 1}
    ingest_messages([received(mine, b"bad"), received(theirs, line(1))], now=now)
    assert counts_of(integration) == {"messages": 1, "points": 1, "bad_payload": 1}
    assert counts_of(second_integration) == {"bad_payload": 1, "messages": 1, "points": 1}


@pytest.mark.django_db
def test_the_counts_cost_one_statement_per_batch_whatever_the_integrations(
    integration, second_integration
):
    now = datetime.now(UTC)
    messages = [
        received(f"ladder/{integration.pk}/telemetry", b"bad"),
        received(f"ladder/{integration.pk}/telemetry", b"bad too"),
        received(f"ladder/{second_integration.pk}/telemetry", b"bad"),
        received("ladder/nowhere", b"x"),
        received("ladder/nowhere/else", b"x"),
    ]
    ingest_messages(messages, now=now)  # the hour's rows are created
    with CaptureQueriesContext(connection) as captured:
        ingest_messages(messages, now=now)
    counting = [q["sql"] for q in captured.captured_queries if "mqtt" in q["sql"]]
    assert len(counting) == 2  # both integrations in one upsert, and the strays
    assert counting[0].strip().startswith("INSERT INTO integration_mqttcount")
    assert counting[1].startswith("UPDATE")
    counts = MqttCount.objects.filter(hour=now.replace(minute=0, second=0, microsecond=0))
    assert dict(counts.values_list("integration_id", "bad_payload")) == {
        integration.pk: 4,
        second_integration.pk: 2,
    }


@pytest.mark.django_db
def test_a_retained_message_is_never_stored_nor_makes_its_integration_seen(integration):
    integration.last_seen = datetime.now(UTC) - timedelta(hours=2)
    integration.save()
    topic = f"ladder/{integration.pk}/telemetry"
    no_timestamp = b"vibration,sensor=s1 rms=1.5"
    result = ingest_messages([received(topic, no_timestamp, retain=True)], now=datetime.now(UTC))
    assert (result.stored, [r.kind for r in result.refusals]) == (0, [RETAINED])
    assert count(integration) == 0
    integration.refresh_from_db()
    assert integration.last_seen < datetime.now(UTC) - timedelta(hours=1)
    assert integration.status(now=datetime.now(UTC)) == Status.DOWN


@pytest.mark.django_db
def test_a_batch_of_only_stray_messages_counts_them_and_nothing_per_integration():
    now = datetime.now(UTC)
    result = ingest_messages([received("ladder/nowhere", b"x")], now=now, listener="l-1")
    assert [r.kind for r in result.refusals] == [UNKNOWN_TOPIC]
    assert MqttStrayCount.objects.get(listener="l-1").unknown_topic == 1
    assert not MqttCount.objects.exists()


@pytest.mark.django_db
def test_names_checked_once_are_not_trusted_for_other_names_batch_after_batch(integration):
    mine = f"ladder/{integration.pk}/telemetry"
    reserved = b"_vibration,sensor=s1 rms=1.5"  # a reserved metric name: refused
    long_label = b"vibration,sensor=" + b"x" * 201 + b" rms=1.5"
    for i in range(3):  # the checks of a pair that passed are remembered across batches
        result = ingest_messages(
            [received(mine, line(i)), received(mine, reserved), received(mine, long_label)],
            now=datetime.now(UTC),
        )
        assert result.accepted == 1
        assert [r.kind for r in result.refusals] == [INVALID_POINT, INVALID_POINT]
    assert count(integration) == 3
