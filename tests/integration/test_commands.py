"""manage.py create_integration: scripted provisioning."""

import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from integration.models import IngestToken, Integration
from tests.integration.conftest import stored


def create(*args) -> dict:
    out = StringIO()
    call_command("create_integration", *args, stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_it_prints_one_json_line_with_the_id_and_a_working_token(client, org, frozen):
    result = create("acme", "Press line 3", "--interval", "60")
    assert set(result) == {"id", "token"}
    integration = Integration.objects.get(pk=result["id"])
    assert (integration.organization, integration.name) == (org, "Press line 3")
    assert (integration.interval_seconds, integration.grace_seconds) == (60, 60)
    response = client.post(
        "/api/v1/telemetry",
        {"points": [{"metric": "temp", "value": 1}]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {result['token']}"},
    )
    assert response.json() == {"accepted": 1, "duplicates": 0}
    assert len(stored(integration)) == 1


def test_the_token_is_stored_hashed_only(org):
    result = create("acme", "Press line 3")
    token = IngestToken.objects.get()
    assert result["token"] not in (token.hash, token.hint)
    assert Integration.objects.get().interval_seconds == 300


def test_grace_can_be_set(org):
    create("acme", "Press line 3", "--interval", "600", "--grace", "120")
    assert Integration.objects.get().grace_seconds == 120


def test_an_unknown_organisation_is_an_error(org):
    with pytest.raises(CommandError, match="no organisation with the slug 'nope'"):
        create("nope", "Press line 3")


def test_a_name_taken_in_the_organisation_is_an_error(org):
    create("acme", "Press line 3")
    with pytest.raises(CommandError, match="already exists"):
        create("acme", "Press line 3")
    assert Integration.objects.count() == 1


def test_an_interval_under_a_minute_is_an_error(org):
    with pytest.raises(CommandError, match="interval_seconds"):
        create("acme", "Press line 3", "--interval", "10")
    assert not Integration.objects.exists()


def test_it_binds_the_integration_to_a_sparkplug_edge_node_or_device(org):
    node = Integration.objects.get(
        pk=create("acme", "Press 3", "--sparkplug", "plant/press3")["id"]
    )
    assert node.sparkplug_binding == "plant/press3" and node.sparkplug_device == ""
    oven = create("acme", "Oven", "--interval", "60", "--sparkplug", "plant/press3/oven")
    assert Integration.objects.get(pk=oven["id"]).sparkplug_binding == "plant/press3/oven"


@pytest.mark.parametrize("binding", ["plant", "plant/", "a/b/c/d", "plant/+", "plant/#/x"])
def test_it_refuses_a_sparkplug_binding_that_is_not_group_edge_device(org, binding):
    with pytest.raises(CommandError, match="GROUP/EDGE"):
        create("acme", "Press 3", "--sparkplug", binding)
    assert not Integration.objects.exists()


def test_it_refuses_a_second_integration_bound_to_the_same_node(org):
    create("acme", "Press 3", "--sparkplug", "plant/press3")
    with pytest.raises(CommandError):
        create("acme", "Press 3 again", "--sparkplug", "plant/press3")


def test_every_binding_of_an_edge_node_belongs_to_one_organisation(org, other_org):
    create("acme", "Oven", "--sparkplug", "plant/press3/oven")
    with pytest.raises(CommandError, match="another organisation"):
        create("globex", "Press 3", "--sparkplug", "plant/press3")
    with pytest.raises(CommandError, match="another organisation"):
        create("globex", "Spindle", "--sparkplug", "plant/press3/spindle")
    create("acme", "Spindle", "--sparkplug", "plant/press3/spindle")
    create("globex", "Press 4", "--sparkplug", "plant/press4")  # another node: fine


@pytest.mark.parametrize("binding", ["pl\x01ant/press3", "plant/press\x7f3", "plant/p3/ov\nen"])
def test_it_refuses_control_characters_in_a_sparkplug_id(org, binding):
    with pytest.raises(CommandError, match="control characters"):
        create("acme", "Press 3", "--sparkplug", binding)
    assert not Integration.objects.exists()


@pytest.mark.parametrize(
    ("group", "node", "device"),
    [
        ("", "press3", ""),
        ("plant", "", ""),
        ("plant", "", "oven"),
        ("", "", "oven"),
        ("a+", "b", ""),
    ],
)
def test_the_model_refuses_a_binding_with_a_hole_or_a_wildcard(org, group, node, device):
    integration = Integration(
        organization=org,
        name="Press 3",
        sparkplug_group=group,
        sparkplug_node=node,
        sparkplug_device=device,
    )
    with pytest.raises(ValidationError):
        integration.full_clean()
