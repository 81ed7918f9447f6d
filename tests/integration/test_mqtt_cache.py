"""The listener's cache of integrations and series ids across batches (`IngestCache`): used,
bounded, and forgotten in the first batch after a pause, a deletion or a renamed metric.

Through the real batch function, in real transactions (the cache fills when a batch commits),
and once through a listener on the shared broker.
"""

import uuid
from datetime import UTC, datetime

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from integration.models import IngestGeneration, Integration, Metric, Point, Series
from integration.mqtt.ingest import PAUSED, UNKNOWN, Received, ingest_messages
from integration.services import IngestCache, integration_update, storage
from tests.instances import wait_for
from tests.integration.conftest import SHARED_URL, count, line, stored
from tests.integration.listener_helpers import listening, publish
from tests.services import need_mqtt

pytestmark = pytest.mark.django_db(transaction=True)


def batch(cache, *integrations, start=0, sensor="s1"):
    """One message per integration, `start` seconds after BASE (a point of its own)."""
    messages = [
        Received(n + 1, 1, f"ladder/{i.pk}/telemetry", line(start + n, sensor))
        for n, i in enumerate(integrations)
    ]
    return ingest_messages(messages, now=datetime.now(UTC), cache=cache)


def orphans() -> int:
    """Points whose series does not exist (the table has no foreign key to catch them)."""
    return Point.objects.exclude(series_id__in=Series.objects.values("pk")).count()


def test_a_second_batch_reads_only_the_generation_of_what_the_first_looked_up(
    integration, second_integration
):
    cache = IngestCache()
    batch(cache, integration, second_integration)
    with CaptureQueriesContext(connection) as captured:
        result = batch(cache, integration, second_integration, start=10)
    assert result.accepted == 2
    reads = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    assert len(reads) == 1
    assert "integration_ingestgeneration" in reads[0]
    assert len(cache.series) == 2


def test_a_paused_integration_is_refused_from_the_next_batch_and_unpaused_likewise(
    integration, owner
):
    cache = IngestCache()
    assert batch(cache, integration).accepted == 1
    integration_update(integration=integration, user=owner, paused=True)
    result = batch(cache, integration, start=1)
    assert [r.kind for r in result.refusals] == [PAUSED]
    integration_update(integration=integration, user=owner, paused=False)
    assert batch(cache, integration, start=2).accepted == 1
    assert count(integration) == 2


def test_a_pause_by_any_path_counts_even_a_bare_update(integration):
    cache = IngestCache()
    batch(cache, integration)
    Integration.objects.filter(pk=integration.pk).update(paused=True)
    assert [r.kind for r in batch(cache, integration, start=1).refusals] == [PAUSED]


def test_a_deleted_integration_is_unknown_from_the_next_batch(integration, second_integration):
    cache = IngestCache()
    batch(cache, integration, second_integration)
    Integration.objects.get(pk=integration.pk).delete()
    result = batch(cache, integration, second_integration, start=10)
    assert [(r.kind, r.integration_id) for r in result.refusals] == [(UNKNOWN, str(integration.pk))]
    assert result.accepted == 1
    assert orphans() == 0


def test_a_renamed_metric_takes_effect_from_the_next_batch(integration):
    cache = IngestCache()
    batch(cache, integration)
    Metric.objects.filter(integration=integration).update(name="vibration.old")
    batch(cache, integration, start=1)
    # The device still sends vibration.rms: a metric of its own again, the old one untouched.
    assert [name for name, *_ in stored(integration)] == ["vibration.old", "vibration.rms"]
    assert Metric.objects.filter(integration=integration).count() == 2


def test_a_deleted_metric_is_created_again_and_no_point_is_orphaned(integration):
    cache = IngestCache()
    batch(cache, integration)
    Metric.objects.filter(integration=integration).delete()
    assert batch(cache, integration, start=1).accepted == 1
    assert len(stored(integration)) == 1
    assert orphans() == 0


def test_an_unrelated_change_keeps_the_cache(integration, owner):
    cache = IngestCache()
    batch(cache, integration)
    integration_update(integration=integration, user=owner, description="moved to hall 2")
    Metric.objects.filter(integration=integration).update(unit="mm/s")
    generation = IngestGeneration.current()
    batch(cache, integration, start=1)
    assert IngestGeneration.current() == generation
    assert len(cache.series) == 1 and cache.generation == generation


def test_a_batch_rolled_back_leaves_no_series_id_behind(integration, monkeypatch):
    cache = IngestCache()

    def failing(rows, *, now):
        raise OperationalError("the database went away")

    monkeypatch.setattr(storage, "points_write", failing)
    with pytest.raises(OperationalError):
        batch(cache, integration)
    assert cache.series == {}
    monkeypatch.undo()
    assert batch(cache, integration).accepted == 1
    assert orphans() == 0


def test_the_cache_is_emptied_rather_than_grown_past_its_bound(integration, monkeypatch):
    monkeypatch.setattr(IngestCache, "MAX_SERIES", 3)
    cache = IngestCache()
    for n, sensor in enumerate(["a", "b", "c", "d"]):
        batch(cache, integration, start=n, sensor=sensor)
        assert len(cache.series) <= 3
    assert len(cache.series) == 1  # emptied at the fourth, which it then holds
    assert count(integration) == 4


def test_a_running_listener_takes_a_pause_and_a_rename_from_its_next_batch(integration, owner):
    need_mqtt()
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    topic = f"{prefix}/{integration.pk}/telemetry"
    with listening(SHARED_URL, prefix) as listener:
        publish(SHARED_URL, [(topic, line(0))])
        wait_for(lambda: listener.counters.acknowledged == 1, what="the first message")
        integration_update(integration=integration, user=owner, paused=True)
        publish(SHARED_URL, [(topic, line(1))])
        wait_for(lambda: listener.counters.acknowledged == 2, what="the paused one")
        integration_update(integration=integration, user=owner, paused=False)
        Metric.objects.filter(integration=integration).update(name="vibration.old")
        publish(SHARED_URL, [(topic, line(2))])
        wait_for(lambda: listener.counters.acknowledged == 3, what="the renamed one")
    assert listener.counters.paused == 1
    assert [(name, value) for name, _, _, value in stored(integration)] == [
        ("vibration.old", 0.5),
        ("vibration.rms", 2.5),
    ]
