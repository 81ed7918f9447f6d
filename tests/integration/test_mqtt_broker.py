"""The MQTT listener against real brokers; the `telemetry_listen` command is in
test_mqtt_listener_command.

Tests that only connect use the shared broker on 127.0.0.1:1883 (`need_mqtt()`), each with its
own topic prefix and shared-subscription group, so other traffic on that broker never reaches
them. Tests that restart a broker start their own private mosquitto on a free port.
"""

import threading
import time
import uuid
from datetime import timedelta

import orjson
from django.db import OperationalError

from integration.models import Integration, MqttCount, MqttStrayCount
from integration.mqtt import listener as listener_module
from tests.instances import wait_for
from tests.integration.conftest import BASE, count, line, stored
from tests.integration.listener_helpers import (  # noqa: F401 (fixtures)
    any_broker_fixture,
    broker_test,
    listening,
    prefix_fixture,
    publish,
    shared_broker_fixture,
    topic,
)

# The listener against a real broker


@broker_test
def test_line_protocol_and_json_messages_are_stored(shared_broker, prefix, integration):
    json_body = orjson.dumps(
        {
            "points": [
                {"metric": "temp", "value": 21.5, "ts": BASE.isoformat(), "labels": {"a": "b"}}
            ]
        }
    )
    with listening(shared_broker, prefix) as listener:
        publish(
            shared_broker,
            [(topic(prefix, integration), line(1)), (topic(prefix, integration), json_body)],
        )
        wait_for(lambda: listener.counters.acknowledged == 2, what="2 acknowledged messages")
    assert stored(integration) == [
        ("temp", '{"a":"b"}', BASE, 21.5),
        ("vibration.rms", '{"sensor":"s1"}', BASE + timedelta(seconds=1), 1.5),
    ]
    counters = listener.counters
    assert (counters.received, counters.stored, counters.points_accepted) == (2, 2, 2)
    assert counters.unknown_integration == counters.paused == counters.bad_payload == 0


@broker_test
def test_a_republished_message_is_stored_once(shared_broker, prefix, integration):
    message = (topic(prefix, integration), line(3))
    with listening(shared_broker, prefix) as listener:
        publish(shared_broker, [message])
        wait_for(lambda: listener.counters.acknowledged == 1)
        publish(shared_broker, [message])  # the device did not get our PUBACK and retries
        wait_for(lambda: listener.counters.acknowledged == 2)
    assert count(integration) == 1
    assert (listener.counters.points_accepted, listener.counters.points_duplicate) == (1, 1)


@broker_test
def test_refused_messages_are_counted_logged_acknowledged_and_not_stored(
    shared_broker, prefix, integration, org, caplog
):
    paused = Integration.objects.create(organization=org, name="Paused line", paused=True)
    unknown = uuid.uuid4()
    client_id = f"{prefix}-refusals"
    with listening(shared_broker, prefix, client_id) as listener:
        publish(
            shared_broker,
            [
                (f"{prefix}/{unknown}/telemetry", line(1)),
                (topic(prefix, paused), line(2)),
                (topic(prefix, integration), b"vibration rms=oops"),
                (topic(prefix, integration), b'{"points": "none"}'),
            ],
        )
        wait_for(lambda: listener.counters.acknowledged == 4, what="4 acknowledged messages")
    counters = listener.counters
    assert (counters.unknown_integration, counters.paused, counters.bad_payload) == (1, 1, 2)
    assert counters.stored == counters.points_accepted == 0
    assert count(integration) == count(paused) == 0
    logged = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert any(str(unknown) in m and "unknown integration" in m for m in logged)
    assert any(str(paused.pk) in m and "paused" in m for m in logged)
    assert any("2 message(s)" in m and "bad payload" in m for m in logged)

    # Acknowledged: the same session, back again, gets only what is published now.
    with listening(shared_broker, prefix, client_id) as again:
        publish(shared_broker, [(topic(prefix, integration), line(5))])
        wait_for(lambda: again.counters.acknowledged == 1)
        time.sleep(0.3)  # anything redelivered would have come first
    assert again.counters.received == 1
    assert count(integration) == 1


@broker_test
def test_each_reason_of_a_refused_batch_is_logged_with_its_count(
    shared_broker, prefix, integration, caplog
):
    mine = topic(prefix, integration)
    with listening(shared_broker, prefix, batch_seconds=1.0) as listener:
        publish(
            shared_broker,
            [(mine, b"vibration rms=oops"), (mine, b"vibration rms=oops"), (mine, b"\xff")],
        )
        wait_for(lambda: listener.counters.acknowledged == 3, what="3 acknowledged messages")
    assert listener.counters.batches == 1
    [logged] = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert f"refused 3 message(s) for integration {integration.pk}: bad payload: " in logged
    assert "(2)" in logged and "not UTF-8 (byte 0) (1)" in logged
    assert MqttCount.objects.get(integration=integration).bad_payload == 3


@broker_test
def test_messages_on_unknown_topics_under_the_prefix_are_logged_once_a_minute_and_counted(
    shared_broker, prefix, integration, caplog
):
    client_id = f"{prefix}-strays"
    status = f"{prefix}/{integration.pk}/status"
    with listening(shared_broker, prefix, client_id) as listener:
        publish(shared_broker, [(status, b"online")] * 3 + [(f"{prefix}/a/b/c", b"x")])
        wait_for(lambda: listener.counters.acknowledged == 4, what="4 acknowledged messages")
        # The same pattern (another id) within the minute: counted, not logged again.
        publish(shared_broker, [(f"{prefix}/{uuid.uuid4()}/status", b"online")] * 2)
        wait_for(lambda: listener.counters.acknowledged == 6, what="6 acknowledged messages")
        publish(shared_broker, [(topic(prefix, integration), line(1))])
        wait_for(lambda: listener.counters.acknowledged == 7, what="7 acknowledged messages")
    logged = [
        r.getMessage() for r in caplog.records if "/<integration id>/telemetry" in r.getMessage()
    ]
    assert len([m for m in logged if "/status" in m]) == 1
    assert any(f"3 message(s) on '{status}'" in m for m in logged)
    assert any(f"'{prefix}/a/b/c'" in m for m in logged)
    assert len(logged) == 2
    assert listener.counters.unknown_topic == 6
    assert listener.counters.stored == count(integration) == 1
    strays = MqttStrayCount.objects.filter(listener=client_id)
    assert sum(strays.values_list("unknown_topic", flat=True)) == 6


@broker_test
def test_a_listener_restarted_with_the_same_client_id_loses_nothing_and_doubles_nothing(
    any_broker, prefix, integration
):
    total = 600
    client_id = f"{prefix}-restart"

    def paced():  # about 3 s of messages, so the listener stops in the middle of them
        for i in range(total):
            time.sleep(0.005)
            yield topic(prefix, integration), line(i)

    publisher = threading.Thread(target=publish, args=(any_broker, paced()), kwargs={"window": 20})
    with listening(any_broker, prefix, client_id, batch_messages=50) as first:
        publisher.start()
        # Stopped while messages keep coming: the batch in hand is stored and acknowledged,
        # what else it has received is left to the broker, which delivers it again.
        wait_for(lambda: first.counters.stored >= 100, what="a first share stored")
    stored_by_first = count(integration)
    publisher.join(20)
    assert not publisher.is_alive()
    assert stored_by_first < total, "the listener was stopped too late to prove anything"

    with listening(any_broker, prefix, client_id) as second:
        wait_for(lambda: count(integration) == total, 15, f"{total} points stored")
        time.sleep(0.3)
    assert count(integration) == total
    accepted = first.counters.points_accepted + second.counters.points_accepted
    duplicates = first.counters.points_duplicate + second.counters.points_duplicate
    assert (accepted, duplicates) == (total, 0)  # nothing committed was delivered again
    assert first.counters.stored + second.counters.stored == total


@broker_test
def test_the_listener_reconnects_when_the_broker_restarts(private_broker, prefix, integration):
    url = private_broker.url
    with listening(url, prefix) as listener:
        publish(url, [(topic(prefix, integration), line(i)) for i in range(50)])
        wait_for(lambda: count(integration) == 50)

        private_broker.stop()
        wait_for(lambda: listener.counters.disconnects == 1, what="the disconnect")
        private_broker.start()
        assert listener.subscribed.wait(10), "the listener did not come back"

        publish(url, [(topic(prefix, integration), line(i)) for i in range(50, 100)])
        wait_for(lambda: count(integration) == 100, what="100 points stored")
    assert listener.counters.points_accepted == 100


@broker_test
def test_messages_queued_for_a_stopped_listener_survive_a_broker_restart(
    private_broker, prefix, integration
):
    url = private_broker.url
    client_id = f"{prefix}-persistent"
    with listening(url, prefix, client_id):
        pass  # the session and its subscription exist now
    publish(url, [(topic(prefix, integration), line(i)) for i in range(200)])
    private_broker.stop()
    private_broker.start()
    with listening(url, prefix, client_id):
        wait_for(lambda: count(integration) == 200, what="200 points stored")


@broker_test
def test_while_the_database_is_down_nothing_is_acknowledged_and_the_batch_is_retried(
    shared_broker, prefix, integration, monkeypatch
):
    real = listener_module.ingest_messages
    attempts = []

    def down_twice(messages, **kwargs):
        attempts.append(len(messages))
        if len(attempts) <= 2:
            raise OperationalError("connection to server at 127.0.0.1 failed")
        return real(messages, **kwargs)

    monkeypatch.setattr(listener_module, "ingest_messages", down_twice)
    with listening(shared_broker, prefix) as listener:
        publish(shared_broker, [(topic(prefix, integration), line(1))])
        wait_for(lambda: listener.counters.database_errors == 2)
        assert listener.counters.acknowledged == 0
        wait_for(lambda: listener.counters.acknowledged == 1)
    assert count(integration) == 1
    assert len(attempts) == 3


@broker_test
def test_a_listener_stopped_while_the_database_is_down_leaves_the_messages_to_the_broker(
    shared_broker, prefix, integration, monkeypatch
):
    def down(messages, **kwargs):
        raise OperationalError("the database system is shutting down")

    client_id = f"{prefix}-database-down"
    with monkeypatch.context() as patch:
        patch.setattr(listener_module, "ingest_messages", down)
        with listening(shared_broker, prefix, client_id) as first:
            publish(shared_broker, [(topic(prefix, integration), line(i)) for i in range(3)])
            wait_for(lambda: first.counters.database_errors >= 1)
    assert first.counters.acknowledged == 0
    assert count(integration) == 0

    with listening(shared_broker, prefix, client_id) as second:
        wait_for(lambda: count(integration) == 3, what="the messages delivered again")
    assert second.counters.points_accepted == 3


@broker_test
def test_many_messages_go_through_in_batches_from_a_bounded_publisher(
    shared_broker, prefix, integration, second_integration
):
    total = 2000
    messages = [
        (topic(prefix, integration if i % 2 else second_integration), line(i)) for i in range(total)
    ]
    with listening(shared_broker, prefix) as listener:
        assert publish(shared_broker, messages, window=100) == total
        wait_for(lambda: listener.counters.acknowledged == total, 15, f"{total} acknowledged")
    assert count(integration) + count(second_integration) == total
    assert listener.counters.points_accepted == total
    assert listener.counters.batches <= total / 5  # batched, not one transaction a message
