"""Creating and editing an integration with its metrics: members and above; viewers read only."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from audit.models import AuditEvent
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


def test_an_owner_adds_an_integration_with_metrics_and_sees_its_first_token_once(org, owner):
    response = client_for(owner).post(create_url(org), valid_data(), follow=True)
    html = response.content.decode()
    integration = Integration.objects.get()
    token_page = reverse("integration:token-created", args=[org.slug, integration.pk])
    assert response.redirect_chain == [(token_page, 302)]  # a reload resends nothing
    assert response.status_code == 200
    assert f"{integration.name} is ready" in html
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


def test_the_form_page_has_the_fields_and_empty_metric_rows(org, owner):
    response = client_for(owner).get(create_url(org))
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
        ({"interval_seconds": "2000000000"}, "id_interval_seconds", "at most a day (86400)"),
        ({"grace_seconds": "86401"}, "id_grace_seconds", "at most a day (86400)"),
        ({"metrics-0-expected_max": "-1"}, "id_metrics-0-expected_max", "at least the expected"),
        ({"metrics-0-name": "_ping"}, "id_metrics-0-name", "kept for Ladder"),
        ({"metrics-0-expected_min": "abc"}, "id_metrics-0-expected_min", "Enter a number."),
        ({"metrics-1-name": "vibration.rms"}, "id_metrics-1-name", "Listed twice."),
    ],
)
def test_bad_input_is_a_400_with_the_error_next_to_the_field(
    org, owner, overrides, field_id, message
):
    response = client_for(owner).post(create_url(org), valid_data(**overrides))
    assert response.status_code == 400
    assert message in field_error(response.content.decode(), field_id)
    assert not Integration.objects.exists() and not Metric.objects.exists()


def test_a_name_the_organisation_already_uses_is_refused(org, member, integration):
    response = client_for(member).post(create_url(org), valid_data(name=integration.name.upper()))
    assert response.status_code == 400
    assert "already has" in field_error(response.content.decode(), "id_name")


def test_another_organisation_may_use_the_same_name(org, owner, other_org):
    Integration.objects.create(organization=other_org, name="Press line 3 vibration")
    assert client_for(owner).post(create_url(org), valid_data()).status_code == 302


def test_an_owner_edits_settings_pauses_and_adds_a_metric(org, owner, integration):
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
    response = client_for(owner).post(edit_url(integration), data)
    assert response.status_code == 302
    assert response.url == reverse(
        "integration:integration-detail", args=[org.slug, integration.pk]
    )
    integration.refresh_from_db()
    assert (integration.name, integration.paused) == ("Press 3 vibration", True)
    assert (integration.interval_seconds, integration.grace_seconds) == (60, 120)
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


# --- Who sets what moves the evidence: owners and consultants ---------------------------------


def integration_events(action=None):
    events = AuditEvent.objects.filter(area="integrations")
    return events.filter(action=action) if action else events


def test_a_member_adds_an_integration_but_gets_no_token_and_the_default_timing(org, member):
    data = valid_data(interval_seconds="2000000000", grace_seconds="2000000000", paused="on")
    response = client_for(member).post(create_url(org), data, follow=True)
    html = response.content.decode()
    integration = Integration.objects.get()
    assert response.redirect_chain[-1][0] == reverse(
        "integration:integration-detail", args=[org.slug, integration.pk]
    )
    assert not re.search(r"ldr_[A-Za-z0-9]", html) and not IngestToken.objects.exists()
    assert "An owner or consultant issues its ingest tokens" in html
    assert (integration.interval_seconds, integration.grace_seconds, integration.paused) == (
        300,
        300,
        False,
    )
    assert integration.description == "Accelerometers on the press frame"  # descriptive: kept
    event = integration_events("created").get()
    assert (event.actor, event.after["interval_seconds"]) == (member, 300)


def test_a_member_sees_the_timing_but_cannot_change_it(org, member, integration):
    html = client_for(member).get(edit_url(integration)).content.decode()
    assert re.search(r'<input type="number" name="interval_seconds"[^>]* disabled', html)
    assert "An owner or consultant sets" in html
    data = valid_data(
        name="Press 3 vibration",
        interval_seconds="2000000000",
        grace_seconds="2000000000",
        paused="on",
    )
    response = client_for(member).post(edit_url(integration), data)
    assert response.status_code == 302
    integration.refresh_from_db()
    assert integration.name == "Press 3 vibration"
    assert (integration.interval_seconds, integration.grace_seconds, integration.paused) == (
        300,
        300,
        False,
    )
    event = integration_events("changed").get()
    assert (event.before["name"], event.after["name"]) == (
        "Press line 3 vibration",
        "Press 3 vibration",
    )
    assert not {"interval_seconds", "grace_seconds", "paused"} & set(event.after)


def test_an_owner_changes_the_timing_and_it_is_audited(org, owner, integration):
    data = valid_data(name=integration.name, interval_seconds="600", grace_seconds="60")
    response = client_for(owner).post(edit_url(integration), {**data, "paused": "on"})
    assert response.status_code == 302
    event = integration_events("changed").get()
    assert event.actor == owner
    timing = ("interval_seconds", "grace_seconds", "paused")
    assert [event.before[name] for name in timing] == [300, 300, False]
    assert [event.after[name] for name in timing] == [600, 60, True]


def test_an_owners_new_integration_is_audited_with_its_token(org, owner):
    client_for(owner).post(create_url(org), valid_data())
    integration = Integration.objects.get()
    event = integration_events("created").get()
    assert (event.actor, event.subject_id) == (owner, str(integration.pk))
    assert event.after["interval_seconds"] == 60
    assert AuditEvent.objects.filter(area="tokens", action="issued").count() == 1


def test_the_database_refuses_an_interval_or_grace_over_a_day(integration):
    for field in ("interval_seconds", "grace_seconds"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Integration.objects.filter(pk=integration.pk).update(**{field: 2_000_000_000})


def test_the_model_refuses_an_interval_over_a_day(integration):
    integration.interval_seconds = 2_000_000_000
    with pytest.raises(ValidationError) as refused:
        integration.full_clean()
    assert "interval_seconds" in refused.value.message_dict
