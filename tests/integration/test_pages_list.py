"""The integrations list: live status badges, refreshed by htmx polling of a partial."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from integration.lineprotocol import Point
from integration.models import HealthEvent, Integration
from integration.services import telemetry_ingest, telemetry_ping
from tests.conftest import client_for
from tests.integration.conftest import NOW

HTMX = {"HX-Request": "true", "HX-Target": "integration-live"}


def list_url(org):
    return reverse("integration:integration-list", args=[org.slug])


def make(org, name, **fields):
    fields.setdefault("interval_seconds", 60)
    fields.setdefault("grace_seconds", 60)
    fields.setdefault("created", NOW - timedelta(days=2))
    return Integration.objects.create(organization=org, name=name, **fields)


@pytest.fixture
def fleet(org):
    """One integration in each state at NOW."""
    up = make(org, "Press line 3 vibration", source_system="Press 3 PLC", target_system="CMMS")
    late = make(org, "Paint shop temperature")
    down = make(org, "POS sync")
    new = make(org, "Goods receiving scanner")
    paused = make(org, "Old oven", paused=True)
    # Up: a point every minute for the last 12 hours, the last one 3 s ago.
    points = [
        Point("vibration.rms", (), NOW - timedelta(seconds=3) - timedelta(minutes=m), 0.4)
        for m in range(12 * 60)
    ]
    telemetry_ingest(integration=up, points=points, now=NOW)
    telemetry_ping(integration=late, now=NOW - timedelta(seconds=90))
    telemetry_ping(integration=down, now=NOW - timedelta(hours=3))
    return {"up": up, "late": late, "down": down, "new": new, "paused": paused}


def badge(html, integration) -> str:
    match = re.search(
        rf'<span id="status-{integration.pk}" class="health-badge health-(\w+)"', html
    )
    return match.group(1) if match else ""


def test_it_lists_integrations_with_status_freshness_and_uptime(org, member, fleet, frozen):
    response = client_for(member).get(list_url(org))
    html = response.content.decode()
    assert response.status_code == 200
    assert {state: badge(html, i) for state, i in fleet.items()} == {
        state: state for state in fleet
    }
    assert "Press 3 PLC → CMMS" in html
    assert f'<span id="fresh-{fleet["up"].pk}" class="health-fresh">' in html
    assert ">3 s ago</time>" in html
    assert ">1 min ago</time>" in html  # late: 90 s
    assert ">3 h ago</time>" in html
    # 12 of the last 24 hours had a point every minute.
    assert f'<span id="uptime-{fleet["up"].pk}" class="health-uptime">50\u202f%</span>' in html
    # Nothing is expected of a new or a paused integration.
    for state in ("new", "paused"):
        assert f'<span id="uptime-{fleet[state].pk}" class="health-uptime">—</span>' in html
    assert "every 1 min<br>+ 1 min grace" in html
    assert 'href="/o/acme/integrations/new/"' in html


def test_the_page_polls_every_10_s_and_stops_when_the_tab_is_hidden(org, member, fleet):
    html = client_for(member).get(list_url(org)).content.decode()
    poller = re.search(r'<div id="integration-live"[^>]*>', html).group(0)
    assert 'hx-trigger="every 10s, live-refresh"' in poller
    assert "data-live" in poller  # static/js/live.js cancels its requests while hidden
    assert 'hx-swap="none"' in poller
    assert "js/live.js" in html


def test_the_polling_partial_is_only_the_badges_swapped_out_of_band(org, member, fleet, frozen):
    response = client_for(member).get(list_url(org), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<table" not in html and "<nav" not in html
    assert "Press line 3 vibration" not in html  # names are not part of it
    ids = re.findall(r'<span id="(\w+)-([0-9a-f-]{36})"[^>]*hx-swap-oob="true"', html)
    assert len(ids) == 3 * len(fleet)
    assert {kind for kind, _ in ids} == {"status", "fresh", "uptime"}
    assert {state: badge(html, i) for state, i in fleet.items()} == {
        state: state for state in fleet
    }


def test_the_badges_change_as_time_passes(org, member, fleet, frozen):
    frozen.shift(timedelta(minutes=5))
    html = client_for(member).get(list_url(org), headers=HTMX).content.decode()
    assert badge(html, fleet["up"]) == "down"
    assert badge(html, fleet["late"]) == "down"


def test_polling_stops_when_there_is_nothing_left_to_show(org, member):
    response = client_for(member).get(list_url(org), headers=HTMX)
    assert response.status_code == 286  # htmx stops polling


def test_an_empty_list_explains_what_an_integration_is(org, member, viewer):
    html = client_for(member).get(list_url(org)).content.decode()
    assert "No integrations yet" in html
    assert "Add your first integration" in html
    assert "integration-live" not in html
    viewer_html = client_for(viewer).get(list_url(org)).content.decode()
    assert "Add your first integration" not in viewer_html


def test_viewers_read_the_list_without_the_add_button(org, viewer, fleet):
    html = client_for(viewer).get(list_url(org)).content.decode()
    assert "Press line 3 vibration" in html
    assert "/integrations/new/" not in html


def test_it_shows_only_the_organisations_own_integrations(org, member, fleet, other_integration):
    html = client_for(member).get(list_url(org)).content.decode()
    assert other_integration.name not in html


def test_outsider_gets_404(org, outsider, fleet):
    assert client_for(outsider).get(list_url(org)).status_code == 404
    assert client_for(outsider).get(list_url(org), headers=HTMX).status_code == 404


def test_wrong_method_is_405(org, member):
    assert client_for(member).post(list_url(org)).status_code == 405


def test_the_nav_links_to_the_list(org, member):
    html = client_for(member).get(list_url(org)).content.decode()
    assert f'<a href="{list_url(org)}" aria-current="page">Integrations</a>' in html


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "polling"])
def test_query_count_does_not_grow_with_the_integrations(
    org, member, fleet, frozen, htmx, django_assert_num_queries
):
    client = client_for(member)
    headers = HTMX if htmx else {}
    client.get(list_url(org), headers=headers)  # warm the session
    # session, user, membership, the count (for the pages), a page of integrations, recent
    # status changes (flapping), uptime; the page adds the processes and sites to filter by and
    # the org switcher's memberships. The session is saved only when the organisation changes.
    expected = 7 if htmx else 10
    with django_assert_num_queries(expected):
        client.get(list_url(org), headers=headers)
    for i in range(10):
        make(org, f"More {i}")
        telemetry_ping(integration=Integration.objects.get(name=f"More {i}"), now=NOW)
    with django_assert_num_queries(expected):
        client.get(list_url(org), headers=headers)


def flap(integration, times=4):
    """`times` up/down changes in the last hours before NOW."""
    for i in range(times):
        previous, status = ("up", "down") if i % 2 == 0 else ("down", "up")
        HealthEvent.objects.create(
            integration=integration, previous=previous, status=status, at=NOW - timedelta(hours=i)
        )


def test_an_integration_that_keeps_dropping_out_shows_as_flapping(org, member, fleet, frozen):
    flap(fleet["up"])
    flap(fleet["late"], times=3)  # one short
    html = client_for(member).get(list_url(org)).content.decode()
    assert badge(html, fleet["up"]) == "flapping"
    assert badge(html, fleet["late"]) == "late"
    assert (
        '>Flapping<span class="visually-hidden">: 4 up/down changes in 24 hours, up now</span>'
        in html
    )
    assert 'title="4 up/down changes in the last 24 hours; up now"' in html
    polled = client_for(member).get(list_url(org), headers=HTMX).content.decode()
    assert badge(polled, fleet["up"]) == "flapping"


def test_a_row_says_since_when_and_when_last_seen_and_escapes_names(org, member, fleet, frozen):
    """The cells written in one pass (`integration.listing.Row`) say what the template did."""
    down = fleet["down"]
    Integration.objects.filter(pk=down.pk).update(
        name='<b onmouseover="x()">POS</b>',
        source_system="<i>till</i>",
        last_status="down",
        last_status_at=NOW - timedelta(hours=1, minutes=2),
    )
    html = client_for(member).get(list_url(org)).content.decode()
    assert (
        f'<span id="status-{down.pk}" class="health-badge health-down"'
        ' title="Down since 25 Nov 2026, 08:58">Down</span>'
    ) in html
    seen = NOW - timedelta(hours=3)
    assert (
        f'<time datetime="{seen.isoformat()}" title="25 Nov 2026, 07:00:00">3 h ago</time>'
    ) in html
    assert f'<a href="{list_url(org)}{down.pk}/"><strong>&lt;b onmouseover=' in html
    assert "<b onmouseover" not in html
    assert '<span class="muted small">&lt;i&gt;till&lt;/i&gt; → ?</span>' in html
    # Never seen: no time, and "never".
    new = fleet["new"]
    assert (
        f'<span id="fresh-{new.pk}" class="health-fresh"><span class="muted">never</span></span>'
    ) in html
