"""Processes: their links to integrations (the live-data evidence) and the audit trail, and the
list's level and integrations' health per process (the list itself: test_processes)."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import Process, ProcessScore
from audit.models import AuditEvent
from integration.models import HealthEvent, Integration
from integration.services import telemetry_ping
from tests.assessments.conftest import answer_levels, make_assessment, make_process
from tests.assessments.test_processes import (
    HOUR,
    archive_url,
    create_url,
    edit_url,
    list_url,
    valid_data,
)
from tests.conftest import client_for

# Links to integrations (the live-data evidence) and the audit trail


def process_events(area, action=None):
    events = AuditEvent.objects.filter(area=area)
    return events.filter(action=action) if action else events


def test_a_member_cannot_link_an_integration_when_adding_a_process(org, member):
    integration = Integration.objects.create(organization=org, name="Dock scanners")
    data = valid_data(org, integrations=[integration.pk])
    response = client_for(member).post(create_url(org), data)
    assert response.status_code == 302
    process = Process.objects.get(name="Goods receiving")
    assert not process.integrations.exists()
    assert not process_events("integrations").exists()


def test_a_member_cannot_change_a_process_s_integrations(org, member):
    linked = Integration.objects.create(organization=org, name="Dock scanners")
    other = Integration.objects.create(organization=org, name="Forklift telemetry")
    process = make_process(org, name="Goods receiving")
    process.integrations.add(linked)
    html = client_for(member).get(edit_url(process)).content.decode()
    assert 'name="integrations"' not in html
    assert "An owner or consultant links" in html
    response = client_for(member).post(edit_url(process), valid_data(org, integrations=[other.pk]))
    assert response.status_code == 302
    assert list(process.integrations.all()) == [linked]
    for posted in ({"integrations": []}, {}):  # unticking all of them changes nothing either
        client_for(member).post(edit_url(process), valid_data(org, **posted))
        assert list(process.integrations.all()) == [linked]


@pytest.mark.parametrize("who", ["owner", "consultant"])
def test_facilitators_link_integrations_and_it_is_audited(org, who, request):
    user = request.getfixturevalue(who)
    linked = Integration.objects.create(organization=org, name="Dock scanners")
    other = Integration.objects.create(organization=org, name="Forklift telemetry")
    process = make_process(org, name="Goods receiving")
    process.integrations.add(linked)
    response = client_for(user).post(edit_url(process), valid_data(org, integrations=[other.pk]))
    assert response.status_code == 302
    assert list(process.integrations.all()) == [other]
    event = process_events("integrations", "links changed").get()
    assert event.actor == user
    assert (event.before, event.after) == (
        {"integrations": ["Dock scanners"]},
        {"integrations": ["Forklift telemetry"]},
    )


def test_creating_editing_and_archiving_a_process_is_audited(org, owner, member):
    client_for(member).post(create_url(org), valid_data(org))
    process = Process.objects.get(name="Goods receiving")
    created = process_events("processes", "created").get()
    assert (created.actor, created.subject_id) == (member, str(process.pk))
    assert created.after["business_value"] == 4

    edit = valid_data(org, name="Inbound goods", area="retail", business_value=2)
    client_for(member).post(edit_url(process), edit)
    changed = process_events("processes", "changed").get()
    assert changed.before == {"name": "Goods receiving", "area": "logistics", "business_value": 4}
    assert changed.after == {"name": "Inbound goods", "area": "retail", "business_value": 2}

    client_for(owner).post(archive_url(process), {"archived": "1"})
    archived = process_events("processes", "archived").get()
    assert (archived.before, archived.after) == ({"archived": False}, {"archived": True})


# The list's level and integrations


def flap(integration, now, times=4):
    for i in range(times):
        previous, status = ("up", "down") if i % 2 == 0 else ("down", "up")
        HealthEvent.objects.create(
            integration=integration, previous=previous, status=status, at=now - i * HOUR
        )


@pytest.fixture
def scored_list(org, owner, framework):
    """Press line at level 1 (Spring) then 2 (Autumn), Goods receiving in scope but not
    answered; a flapping integration and one that never sent data, linked to Press line."""
    now = timezone.now()
    press = make_process(org, "Press line")
    receiving = make_process(org, "Goods receiving", area="logistics")
    spring = make_assessment(org, framework, [press], title="Spring", assessed_on=date(2026, 3, 1))
    answer_levels(spring.process_scores.get(), owner, {1: "fully"})
    autumn = make_assessment(
        org, framework, [press, receiving], title="Autumn", assessed_on=date(2026, 10, 1)
    )
    answer_levels(autumn.process_scores.get(process=press), owner, {1: "fully", 2: "fully"})
    vibration = Integration.objects.create(organization=org, name="Press vibration")
    telemetry_ping(integration=vibration, now=now)
    flap(vibration, now)
    mes = Integration.objects.create(organization=org, name="MES orders")
    press.integrations.add(vibration, mes)
    return {"press": press, "receiving": receiving, "autumn": autumn, "vibration": vibration}


def row_of(html, process) -> str:
    start = html.index(f'<tr id="process-{process.pk}">')
    return html[start : html.index("</tr>", start)]


def test_list_shows_each_processes_latest_level_and_its_integrations_health(
    org, member, scored_list
):
    html = client_for(member).get(list_url(org)).content.decode()
    press = row_of(html, scored_list["press"])
    assert '<span class="level level-2">2</span> Augmentation' in press
    score = scored_list["autumn"].process_scores.get(process=scored_list["press"])
    url = reverse("assessments:process-score", args=["acme", scored_list["autumn"].pk, score.pk])
    assert f'<a class="muted small" href="{url}">in Autumn</a>' in press
    assert '<span class="health-badge health-flapping">Flapping</span>' in press
    assert '<span class="health-badge health-new">New</span>' in press
    detail = reverse("integration:integration-detail", args=["acme", scored_list["vibration"].pk])
    assert f'<a href="{detail}">Press vibration</a>' in press and ">MES orders</a>" in press
    filtered = reverse("integration:integration-list", args=["acme"])
    assert f'href="{filtered}?process={scored_list["press"].pk}"' in press
    assert '<td class="process-links" hx-disable>' in press
    receiving = row_of(html, scored_list["receiving"])
    assert '<span class="muted">not scored yet</span>' in receiving
    assert '<span class="muted">none linked</span>' in receiving


def test_the_filtered_fragment_keeps_level_and_health(org, member, scored_list):
    response = client_for(member).get(list_url(org, area="manufacturing"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="process-table">')
    assert "Augmentation" in html and "health-flapping" in html
    assert "Goods receiving" not in html


def test_another_organisations_scores_and_integrations_never_show(
    org, other_org, outsider, member, framework, scored_list
):
    assert client_for(outsider).get(list_url(org)).status_code == 404
    foreign = Integration.objects.create(organization=other_org, name="Globex POS sync")
    scored_list["press"].integrations.add(foreign)  # a bad write: still not shown
    html = client_for(member).get(list_url(org)).content.decode()
    assert "Globex POS sync" not in html


def test_level_and_health_take_a_fixed_number_of_queries(
    org, owner, member, framework, scored_list, django_assert_num_queries
):
    client = client_for(member)
    client.get(list_url(org))  # warm the session

    # session, user, membership, has any, archived count, the matching processes' count (the
    # list is paged), the page's processes, their integrations, scores, frameworks, answers,
    # agreements, health events, the filter form's sites, the org switcher's memberships
    with django_assert_num_queries(15):
        client.get(list_url(org))
    autumn = scored_list["autumn"]
    for i in range(10):
        process = make_process(org, f"Line {i}")
        score = ProcessScore.objects.create(assessment=autumn, process=process)
        answer_levels(score, owner, {1: "fully"})
        integration = Integration.objects.create(organization=org, name=f"Feed {i}")
        process.integrations.add(integration, scored_list["vibration"])
    with django_assert_num_queries(15):
        client.get(list_url(org))


def test_the_integrations_cell_escapes_names(org, member):
    """The cell is written by `links_cell` (format_html), not the template: names stay text."""
    process = make_process(org, 'Press "A" <i>line</i>')
    hostile = Integration.objects.create(organization=org, name='<b hx-get="/x">PLC</b>')
    process.integrations.add(hostile)
    html = client_for(member).get(list_url(org)).content.decode()
    row = row_of(html, process)
    assert "&lt;b hx-get=&quot;/x&quot;&gt;PLC&lt;/b&gt;</a>" in row
    assert 'aria-label="Press &quot;A&quot; &lt;i&gt;line&lt;/i&gt;: its integrations' in row
    assert "<b hx-get" not in html and "<i>line</i>" not in html
