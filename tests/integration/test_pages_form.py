"""Creating and editing an integration with its metrics: members and above; viewers read only."""

import re

import pytest
from django.urls import reverse

from integration.lineprotocol import Point
from integration.models import IngestToken, Integration, Metric
from integration.services import telemetry_ingest
from tests.conftest import client_for
from tests.integration.conftest import NOW


def create_url(org):
    return reverse("integration:integration-create", args=[org.slug])


def edit_url(integration):
    return reverse(
        "integration:integration-edit", args=[integration.organization.slug, integration.pk]
    )


def management(total=0, initial=0):
    return {
        "metrics-TOTAL_FORMS": str(total),
        "metrics-INITIAL_FORMS": str(initial),
        "metrics-MIN_NUM_FORMS": "0",
        "metrics-MAX_NUM_FORMS": "100",
    }


def valid_data(**overrides):
    data = {
        "name": "Press line 3 vibration",
        "description": "Accelerometers on the press frame",
        "source_system": "Press 3 PLC",
        "target_system": "CMMS",
        "interval_seconds": "60",
        "grace_seconds": "120",
        **management(total=2),
        "metrics-0-name": "vibration.rms",
        "metrics-0-unit": "mm/s",
        "metrics-0-expected_min": "0",
        "metrics-0-expected_max": "4.5",
        "metrics-1-name": "",
        "metrics-1-unit": "",
    }
    data.update(overrides)
    return data


def field_error(html, field_id) -> str:
    match = re.search(rf'<p class="field-error" id="{field_id}_error">([^<]*)</p>', html)
    return match.group(1) if match else ""


def test_a_member_adds_an_integration_with_metrics_and_sees_its_first_token_once(org, member):
    response = client_for(member).post(create_url(org), valid_data())
    html = response.content.decode()
    assert response.status_code == 200
    integration = Integration.objects.get()
    assert (integration.organization, integration.name) == (org, "Press line 3 vibration")
    assert (integration.interval_seconds, integration.grace_seconds) == (60, 120)
    assert (integration.source_system, integration.target_system) == ("Press 3 PLC", "CMMS")
    metric = Metric.objects.get()
    assert (metric.integration, metric.name, metric.unit) == (integration, "vibration.rms", "mm/s")
    assert (metric.expected_min, metric.expected_max) == (0, 4.5)
    raw = re.search(r'<code id="new-token" class="token-value">(ldr_[^<]+)</code>', html).group(1)
    assert IngestToken.objects.authenticate(raw, now=NOW).integration == integration
    assert response["Cache-Control"] == "no-store"
    assert f"export LADDER_TOKEN='{raw}'" in html  # examples ready to paste


def test_the_form_page_has_the_fields_and_empty_metric_rows(org, member):
    response = client_for(member).get(create_url(org))
    html = response.content.decode()
    assert response.status_code == 200
    for name in ["name", "source_system", "target_system", "interval_seconds", "grace_seconds"]:
        assert f'name="{name}"' in html
    assert 'name="metrics-0-name"' in html and 'name="metrics-1-name"' in html
    assert 'name="paused"' in html


@pytest.mark.parametrize(
    "overrides,field_id,message",
    [
        ({"name": ""}, "id_name", "This field is required."),
        ({"interval_seconds": "10"}, "id_interval_seconds", "greater than or equal to 60"),
        ({"grace_seconds": "-1"}, "id_grace_seconds", "greater than or equal to 0"),
        ({"metrics-0-expected_max": "-1"}, "id_metrics-0-expected_max", "at least the expected"),
        ({"metrics-0-name": "_ping"}, "id_metrics-0-name", "kept for Ladder"),
        ({"metrics-0-expected_min": "abc"}, "id_metrics-0-expected_min", "Enter a number."),
        ({"metrics-1-name": "vibration.rms"}, "id_metrics-1-name", "Listed twice."),
    ],
)
def test_bad_input_is_a_400_with_the_error_next_to_the_field(
    org, member, overrides, field_id, message
):
    response = client_for(member).post(create_url(org), valid_data(**overrides))
    assert response.status_code == 400
    assert message in field_error(response.content.decode(), field_id)
    assert not Integration.objects.exists() and not Metric.objects.exists()


def test_a_name_the_organisation_already_uses_is_refused(org, member, integration):
    response = client_for(member).post(create_url(org), valid_data(name=integration.name.upper()))
    assert response.status_code == 400
    assert "already has" in field_error(response.content.decode(), "id_name")


def test_another_organisation_may_use_the_same_name(org, member, other_org):
    Integration.objects.create(organization=other_org, name="Press line 3 vibration")
    assert client_for(member).post(create_url(org), valid_data()).status_code == 200


def test_a_member_edits_settings_pauses_and_adds_a_metric(org, member, integration):
    Metric.objects.create(integration=integration, name="vibration.rms", unit="mm/s")
    data = valid_data(
        name="Press 3 vibration",
        paused="on",
        **management(total=2, initial=1),
        **{
            "metrics-0-id": str(integration.metrics.get().pk),
            "metrics-0-unit": "in/s",
            "metrics-1-name": "temperature",
            "metrics-1-unit": "°C",
        },
    )
    response = client_for(member).post(edit_url(integration), data)
    assert response.status_code == 302
    assert response.url == reverse(
        "integration:integration-detail", args=[org.slug, integration.pk]
    )
    integration.refresh_from_db()
    assert (integration.name, integration.paused) == ("Press 3 vibration", True)
    units = dict(integration.metrics.values_list("name", "unit"))
    assert units == {"vibration.rms": "in/s", "temperature": "°C"}


def test_an_existing_metric_keeps_its_name(org, member, integration):
    metric = Metric.objects.create(integration=integration, name="vibration.rms")
    data = valid_data(
        **management(total=1, initial=1),
        **{"metrics-0-id": str(metric.pk), "metrics-0-name": "renamed"},
    )
    assert client_for(member).post(edit_url(integration), data).status_code == 302
    metric.refresh_from_db()
    assert metric.name == "vibration.rms"


def test_a_metric_without_data_can_be_removed_one_with_data_cannot(org, member, integration):
    empty = Metric.objects.create(integration=integration, name="spare")
    telemetry_ingest(integration=integration, points=[Point("temp", (), NOW, 1.0)], now=NOW)
    with_data = Metric.objects.get(name="temp")
    base = valid_data(**management(total=2, initial=2))
    base.update({"metrics-0-id": str(empty.pk), "metrics-0-name": "spare"})
    base.update({"metrics-1-id": str(with_data.pk), "metrics-1-name": "temp"})
    client = client_for(member)

    response = client.post(edit_url(integration), {**base, "metrics-1-DELETE": "on"})
    assert response.status_code == 400
    assert "has stored data" in response.content.decode()

    response = client.post(edit_url(integration), {**base, "metrics-0-DELETE": "on"})
    assert response.status_code == 302
    assert list(integration.metrics.values_list("name", flat=True)) == ["temp"]


def test_the_edit_page_shows_the_current_values(org, member, integration):
    html = client_for(member).get(edit_url(integration)).content.decode()
    assert f'value="{integration.name}"' in html
    assert f"Edit {integration.name}" in html


def test_a_bad_edit_keeps_the_saved_name_in_the_title(org, member, integration):
    response = client_for(member).post(edit_url(integration), valid_data(name=""))
    assert response.status_code == 400
    assert f"Edit {integration.name}" in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_viewers_cannot_create_or_edit(org, viewer, integration, method):
    client = client_for(viewer)
    assert getattr(client, method)(create_url(org), valid_data()).status_code == 403
    assert getattr(client, method)(edit_url(integration), valid_data()).status_code == 403
    assert Integration.objects.count() == 1


def test_outsiders_get_404(org, outsider, integration):
    client = client_for(outsider)
    assert client.get(create_url(org)).status_code == 404
    assert client.post(edit_url(integration), valid_data()).status_code == 404


def test_another_organisations_integration_cannot_be_edited(org, member, other_integration):
    url = reverse("integration:integration-edit", args=[org.slug, other_integration.pk])
    assert client_for(member).post(url, valid_data()).status_code == 404
