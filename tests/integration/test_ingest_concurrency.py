"""Concurrent writers on PostgreSQL: the same points sent twice at once are stored once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from integration.lineprotocol import Point
from integration.models import HourRollup, MinuteRollup
from integration.services import telemetry_ingest
from tests.integration.conftest import NOW, stored
from tests.services import need_postgresql


def in_threads(count, work):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(work())
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_the_same_batch_sent_by_two_writers_at_once_is_stored_once(org):
    need_postgresql()
    from integration.models import Integration

    integration = Integration.objects.create(organization=org, name="Concurrent")
    batch = [
        Point("temp", (("sensor", str(i % 5)),), NOW - timedelta(seconds=i), float(i))
        for i in range(2000)
    ]

    def work():
        return telemetry_ingest(integration=integration, points=batch, now=NOW)

    results = in_threads(2, work)
    assert sum(r.accepted for r in results) == 2000
    assert sum(r.duplicates for r in results) == 2000
    assert len(stored(integration)) == 2000
    assert sum(MinuteRollup.objects.values_list("count", flat=True)) == 2000
    assert sum(HourRollup.objects.values_list("count", flat=True)) == 2000


@pytest.mark.django_db(transaction=True)
def test_overlapping_batches_from_several_writers_are_all_stored_once(org):
    need_postgresql()
    from integration.models import Integration

    integration = Integration.objects.create(organization=org, name="Concurrent")
    points = [Point("temp", (), NOW - timedelta(seconds=i), float(i)) for i in range(3000)]
    # Writer k sends points k*500 .. k*500+1500: each overlaps its neighbours.
    turn = iter(range(4))
    lock = threading.Lock()

    def work():
        with lock:
            k = next(turn)
        return telemetry_ingest(
            integration=integration, points=points[k * 500 : k * 500 + 1500], now=NOW
        )

    results = in_threads(4, work)
    assert sum(r.accepted for r in results) == 3000
    assert len(stored(integration)) == 3000
    assert sum(MinuteRollup.objects.values_list("count", flat=True)) == 3000
