"""The HTTP write's series ids kept across requests (`IngestCache`, as the MQTT listener keeps
them): used, and forgotten in the first request after a rename or a deletion.

In real transactions: the cache fills when a request's transaction commits.
"""

import re
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integration.api import series_cache
from integration.models import Metric
from tests.integration.conftest import NOW, stored

pytestmark = pytest.mark.django_db(transaction=True)

SECOND = 1_000_000_000


@pytest.fixture(autouse=True)
def _frozen(frozen):
    pass


def write(client, token, value: int, sensor="s1"):
    ts = (int(NOW.timestamp()) - 60 + value) * SECOND
    response = client.post(
        "/api/v2/write",
        f"vibration,sensor={sensor} rms={value} {ts}".encode(),
        content_type="text/plain; charset=utf-8",
        headers={"Authorization": f"Token {token}"},
    )
    assert response.status_code == 204, response.content


def series_lookups(queries) -> int:
    """Statements reading the series table (the ORM's on SQLite, one of SQL on PostgreSQL)."""
    return sum(
        query["sql"].lstrip().upper().startswith("SELECT")
        and re.search(r'\bJOIN "?integration_series"?|FROM "?integration_series"?', query["sql"])
        is not None
        for query in queries
    )


def test_a_second_request_does_not_look_its_series_up_again(client, integration, token):
    with CaptureQueriesContext(connection) as first:
        write(client, token, 1)
    with CaptureQueriesContext(connection) as second:
        write(client, token, 2)
    assert series_lookups(first) >= 1
    assert series_lookups(second) == 0
    with CaptureQueriesContext(connection) as third:
        write(client, token, 3, sensor="s2")  # a new series: looked up (and created)
    assert series_lookups(third) >= 1
    assert len(stored(integration)) == 3


def test_a_renamed_metric_takes_effect_from_the_next_request(client, integration, token):
    write(client, token, 1)
    Metric.objects.filter(integration=integration).update(name="vibration.old")
    write(client, token, 2)
    # The device still sends vibration.rms: a metric of its own again, the old one untouched.
    assert [name for name, *_ in stored(integration)] == ["vibration.old", "vibration.rms"]


def test_a_deleted_metric_is_created_again_from_the_next_request(client, integration, token):
    write(client, token, 1)
    Metric.objects.filter(integration=integration).delete()
    write(client, token, 2)
    assert [(name, value) for name, _, _, value in stored(integration)] == [("vibration.rms", 2.0)]


def test_each_worker_thread_keeps_its_own_cache():
    """A cache is not safe to share: gunicorn --threads would empty one thread's under another."""
    mine = series_cache()
    assert series_cache() is mine
    other = []
    thread = threading.Thread(target=lambda: other.append(series_cache()))
    thread.start()
    thread.join()
    assert other[0] is not mine
