"""The broker accepts an integration only while Ladder does (integration.mqtt.brokerauth).

Against a private mosquitto with the dynamic security plugin on a free port (never the shared
broker): tokens issued and revoked through the pages, pausing through the form, deleting in
the admin, and the sync loop on its own.
"""

import time

from django.urls import reverse

from integration.models import IngestToken, Integration
from integration.mqtt import brokerauth
from integration.mqtt.decoding import broker_from_url
from tests.conftest import client_for, make_user
from tests.instances import (
    wait_for,
)
from tests.integration.brokerauth_helpers import (  # noqa: F401 (fixture)
    Subscriber,
    broker_fixture,
    broker_test,
    issue,
    login,
    pause_data,
    publish,
    reverse_detail,
    topic,
    works_over_http,
)
from tests.integration.test_pages_form import create_url as form_create_url
from tests.integration.test_pages_form import edit_url, valid_data
from tests.integration.test_pages_tokens import revoke_url, shown_token

# Through the pages


@broker_test
def test_a_revoked_token_is_dropped_and_refused_by_the_broker(broker, owner, integration):
    browser = client_for(owner)
    raw, html = issue(browser, integration)
    assert "is now the integration's MQTT password" in html
    subscriber = Subscriber(broker)
    device = login(broker, str(integration.pk), raw)
    assert subscriber.got(publish(device, topic(integration)))

    token = IngestToken.objects.get()
    assert browser.post(revoke_url(token)).status_code == 302
    wait_for(device.dropped.is_set, 2, "the broker to drop the device")
    assert login(broker, str(integration.pk), raw) is None


@broker_test
def test_a_new_integrations_first_token_is_its_mqtt_password(broker, org, owner):
    browser = client_for(owner)
    posted = browser.post(form_create_url(org), valid_data())
    html = browser.get(posted.url).content.decode()
    assert "is now the integration's MQTT password" in html
    integration = Integration.objects.get()
    assert login(broker, str(integration.pk), shown_token(html)) is not None


@broker_test
def test_a_paused_integration_is_refused_and_unpausing_restores_it(broker, owner, integration):
    browser = client_for(owner)
    raw, _ = issue(browser, integration)
    device = login(broker, str(integration.pk), raw)

    assert browser.post(edit_url(integration), pause_data(integration, True)).status_code == 302
    wait_for(device.dropped.is_set, 2, "the broker to drop the device")
    assert login(broker, str(integration.pk), raw) is None

    assert browser.post(edit_url(integration), pause_data(integration, False)).status_code == 302
    subscriber = Subscriber(broker)
    wait_for(lambda: login(broker, str(integration.pk), raw) is not None, 2, "a login")
    device = login(broker, str(integration.pk), raw)
    assert subscriber.got(publish(device, topic(integration)))


@broker_test
def test_an_integration_deleted_in_the_admin_loses_its_broker_client(broker, owner, integration):
    staff = make_user("staff@ladder.test", is_staff=True, is_superuser=True)
    raw, _ = issue(client_for(owner), integration)
    device = login(broker, str(integration.pk), raw)

    url = reverse("admin:integration_integration_delete", args=[integration.pk])
    assert client_for(staff).post(url, {"post": "yes"}).status_code == 302
    wait_for(device.dropped.is_set, 2, "the broker to drop the device")
    assert login(broker, str(integration.pk), raw) is None
    report = brokerauth.broker_sync()  # nothing left to do
    assert (report.integrations, report.commands) == (0, 0)


@broker_test
def test_an_integration_publishes_only_to_its_own_topic(
    broker, owner, integration, second_integration
):
    browser = client_for(owner)
    raw, _ = issue(browser, integration)
    issue(browser, second_integration)
    subscriber = Subscriber(broker)
    device = login(broker, str(integration.pk), raw)
    stolen = publish(device, topic(second_integration))
    own = publish(device, topic(integration))
    assert subscriber.got(own)
    assert (topic(second_integration), stolen) not in subscriber.received


def test_a_devices_integration_may_publish_only_that_devices_messages(org):
    device = Integration(
        organization=org,
        sparkplug_group="Plant1",
        sparkplug_node="press3",
        sparkplug_device="oven",
    )
    topics = {topic for _, topic in brokerauth.integration_acls(device)}
    assert "spBv1.0/Plant1/DDATA/press3/oven" in topics
    assert "spBv1.0/Plant1/DCMD/press3/oven" in topics
    assert not {t for t in topics if t.endswith("/+") and "STATE" not in t}
    assert not {t for t in topics if "/NBIRTH/" in t or "/NDATA/" in t or "/NCMD/" in t}


@broker_test
def test_a_devices_integration_publishes_that_devices_messages_only(broker, owner, org):
    oven = Integration.objects.create(
        organization=org,
        name="Press 3 oven",
        sparkplug_group="Plant1",
        sparkplug_node="press3",
        sparkplug_device="oven",
    )
    raw, _ = issue(client_for(owner), oven)
    admin = Subscriber(broker)
    admin.client.subscribe("spBv1.0/#", qos=1)
    time.sleep(0.3)
    device = login(broker, str(oven.pk), raw)
    own = publish(device, "spBv1.0/Plant1/DDATA/press3/oven")
    others = [
        publish(device, "spBv1.0/Plant1/DDATA/press3/spindle"),
        publish(device, "spBv1.0/Plant1/NDATA/press3"),
        publish(device, "spBv1.0/Plant1/NBIRTH/press3"),
    ]
    assert admin.got(own)
    assert not any(admin.got(payload, timeout=0.3) for payload in others)


@broker_test
def test_a_sparkplug_edge_node_publishes_its_own_messages_and_gets_its_commands(broker, owner, org):
    node = Integration.objects.create(
        organization=org, name="Press 3 edge", sparkplug_group="Plant1", sparkplug_node="press3"
    )
    raw, _ = issue(client_for(owner), node)
    admin = Subscriber(broker)
    admin.client.subscribe("spBv1.0/#", qos=1)
    time.sleep(0.3)
    edge = login(broker, str(node.pk), raw)
    commands = []
    edge.on_message = lambda c, u, m: commands.append(m.topic)
    edge.subscribe("spBv1.0/Plant1/NCMD/press3", qos=1)
    edge.subscribe("spBv1.0/Plant1/NCMD/press4", qos=1)  # another node's: refused
    time.sleep(0.3)
    own = publish(edge, "spBv1.0/Plant1/NDATA/press3")
    device = publish(edge, "spBv1.0/Plant1/DDATA/press3/spindle")
    foreign = publish(edge, "spBv1.0/Plant1/NDATA/press4")
    assert admin.got(own) and admin.got(device)
    assert not admin.got(foreign, timeout=0.5)
    # The primary host's account, as docs/MQTT.md sets it up: it sends the commands.
    acl = {"acltype": "publishClientSend", "topic": "spBv1.0/#", "allow": True}
    with brokerauth.Dynsec(broker_from_url(broker.admin_url)) as dynsec:
        dynsec.send(
            [
                {"command": "createRole", "rolename": "sparkplug-host", "acls": [acl]},
                {"command": "createClient", "username": "host", "password": "host-password"},
                {"command": "addClientRole", "username": "host", "rolename": "sparkplug-host"},
            ]
        )
    host = login(broker, "host", "host-password")
    for target in ("press3", "press4"):
        host.publish(f"spBv1.0/Plant1/NCMD/{target}", b"rebirth", qos=1).wait_for_publish(5)
    wait_for(lambda: commands, 5, "the edge node's command")
    time.sleep(0.3)
    assert commands == ["spBv1.0/Plant1/NCMD/press3"]


@broker_test
def test_a_token_not_made_the_mqtt_password_leaves_the_broker_as_it_was(broker, owner, integration):
    browser = client_for(owner)
    page = browser.get(reverse_detail(integration)).content.decode()
    assert 'name="mqtt" id="id_mqtt" checked' in page  # no password yet: ticked
    first, _ = issue(browser, integration)
    page = browser.get(reverse_detail(integration)).content.decode()
    assert 'name="mqtt" id="id_mqtt" aria-describedby' in page  # one now: not ticked
    device = login(broker, str(integration.pk), first)
    second, html = issue(browser, integration, mqtt=False)
    assert "MQTT password" not in html
    time.sleep(0.5)
    assert not device.dropped.is_set()
    assert login(broker, str(integration.pk), second) is None
    assert IngestToken.objects.get(on_broker__isnull=False).hint == first[:8]


@broker_test
def test_the_newest_token_is_the_mqtt_password_and_the_older_works_over_http(
    broker, owner, integration
):
    browser = client_for(owner)
    first, _ = issue(browser, integration)
    device = login(broker, str(integration.pk), first)
    second, _ = issue(browser, integration)
    wait_for(device.dropped.is_set, 2, "the broker to drop the device on the old password")
    assert login(broker, str(integration.pk), first) is None
    assert login(broker, str(integration.pk), second) is not None
    assert works_over_http(first)
    detail = browser.get(
        reverse(
            "integration:integration-detail", args=[integration.organization.slug, integration.pk]
        )
    ).content.decode()
    assert detail.count(">MQTT</span>") == 1
    # Revoking the older token leaves MQTT alone.
    browser.post(revoke_url(IngestToken.objects.get(on_broker__isnull=True)))
    assert login(broker, str(integration.pk), second) is not None
