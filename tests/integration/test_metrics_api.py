"""GET /api/v1/integrations/<id>/metrics: each metric with its unit and the labels seen."""

from datetime import timedelta

import pytest

from integration import api_read
from integration.lineprotocol import Point
from integration.models import Metric
from integration.services import telemetry_ingest, telemetry_ping
from tests.conftest import client_for
from tests.integration.conftest import NOW


@pytest.fixture(autouse=True)
def _frozen(frozen):
    pass


def url(integration):
    return f"/api/v1/integrations/{integration.pk}/metrics"


def ingest(integration, *points):
    telemetry_ingest(integration=integration, points=list(points), now=NOW)


def at(metric, labels, seconds=10, value=1.0):
    return Point(metric, tuple(sorted(labels.items())), NOW - timedelta(seconds=seconds), value)


def test_each_metric_with_unit_series_and_label_values(member, integration):
    ingest(
        integration,
        at("temp", {"line": "4", "site": "sheffield"}),
        at("temp", {"line": "3", "site": "sheffield"}),
        at("temp", {"line": "3", "site": "sheffield"}, seconds=20),
        at("amps", {}),
    )
    Metric.objects.filter(name="temp").update(unit="°C")
    Metric.objects.create(integration=integration, name="vibration.rms", unit="mm/s")  # no data
    telemetry_ping(integration=integration, now=NOW)  # Ladder's own `_ping`: left out
    response = client_for(member).get(url(integration))
    assert response.status_code == 200
    assert response.json() == {
        "integration": str(integration.pk),
        "metrics": [
            {"name": "amps", "unit": "", "series": 1, "labels": {}, "truncated": False},
            {
                "name": "temp",
                "unit": "°C",
                "series": 2,
                "labels": {"line": ["3", "4"], "site": ["sheffield"]},
                "truncated": False,
            },
            {
                "name": "vibration.rms",
                "unit": "mm/s",
                "series": 0,
                "labels": {},
                "truncated": False,
            },
        ],
    }


def test_label_values_and_names_are_capped(member, integration, monkeypatch):
    monkeypatch.setattr(api_read, "METRICS_MAX_LABEL_VALUES", 3)
    monkeypatch.setattr(api_read, "METRICS_MAX_LABEL_KEYS", 2)
    ingest(integration, *(at("temp", {"line": f"{n:02d}"}) for n in range(10)))
    ingest(integration, at("amps", {"a": "1", "b": "1", "c": "1"}))
    metrics = client_for(member).get(url(integration)).json()["metrics"]
    assert metrics[0] == {
        "name": "amps",
        "unit": "",
        "series": 1,
        "labels": {"a": ["1"], "b": ["1"]},
        "truncated": True,
    }
    assert metrics[1]["labels"] == {"line": ["00", "01", "02"]}
    assert (metrics[1]["series"], metrics[1]["truncated"]) == (10, True)


def test_it_reads_in_a_fixed_number_of_queries(member, integration, django_assert_num_queries):
    for n in range(20):
        ingest(integration, at(f"m{n}", {"line": str(n)}))
    browser = client_for(member)
    browser.get(url(integration))  # the session's first look-ups are not the API's
    # session, user, the integration, its metrics, their series
    with django_assert_num_queries(5):
        assert len(browser.get(url(integration)).json()["metrics"]) == 20


def test_every_role_of_the_organisation_can_read(viewer, consultant, integration):
    assert client_for(viewer).get(url(integration)).status_code == 200
    assert client_for(consultant).get(url(integration)).status_code == 200


def test_another_organisations_integration_is_404(outsider, integration):
    response = client_for(outsider).get(url(integration))
    assert response.status_code == 404
    assert response.json() == {"code": "not found", "message": "no such integration"}


def test_anonymous_is_401(client, integration):
    response = client.get(url(integration))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_post_is_not_allowed(member, integration):
    assert client_for(member).post(url(integration)).status_code == 405
