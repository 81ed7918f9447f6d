"""The integrations list at breadth: paged, filtered by status, process and site, a fixed
number of queries however many integrations, and never another organisation's filters."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import Site
from assessments.models import Process
from integration.listing import PAGE_SIZE
from integration.models import Integration
from tests.conftest import client_for
from tests.integration.conftest import NOW

HTMX = {"HX-Request": "true", "HX-Target": "integration-live"}


def list_url(org, **query):
    url = reverse("integration:integration-list", args=[org.slug])
    return url + "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else url


def make_many(org, count, *, prefix="Sensor", **fields):
    """`count` integrations named so that they sort by number; up unless told otherwise."""
    fields.setdefault("last_seen", NOW - timedelta(seconds=5))
    Integration.objects.bulk_create(
        Integration(
            organization=org,
            name=f"{prefix} {n:04d}",
            interval_seconds=60,
            grace_seconds=60,
            created=NOW - timedelta(days=2),
            **fields,
        )
        for n in range(count)
    )
    return list(Integration.objects.filter(organization=org, name__startswith=prefix))


def names(html) -> list[str]:
    return re.findall(r"<strong>([^<]+)</strong></a>", html)


def badge_ids(html) -> set[str]:
    return set(re.findall(r'<span id="status-([0-9a-f-]{36})"', html))


@pytest.fixture
def linked(org):
    """Two processes, one at the organisation's site, each with its own integrations."""
    site = Site.objects.get(organization=org)
    press = Process.objects.create(organization=org, name="Press", area="manufacturing", site=site)
    tills = Process.objects.create(organization=org, name="Tills", area="retail")
    down = make_many(org, 3, prefix="Press", last_seen=NOW - timedelta(days=1))
    up = make_many(org, 2, prefix="Till")
    press.integrations.add(*down)
    tills.integrations.add(*up)
    return {"site": site, "press": press, "tills": tills, "down": down, "up": up}


def test_a_long_list_is_paged_with_links_that_keep_the_filters(org, member, frozen):
    make_many(org, PAGE_SIZE * 2 + 5)
    client = client_for(member)
    html = client.get(list_url(org)).content.decode()
    assert names(html) == [f"Sensor {n:04d}" for n in range(PAGE_SIZE)]
    assert "105 integrations; 1 to 50 shown." in html
    assert 'aria-label="Pages of integrations"' in html
    assert "Page 1 of 3" in html
    assert 'rel="next" href="?page=2"' in html
    last = client.get(list_url(org, page=3)).content.decode()
    assert names(last) == [f"Sensor {n:04d}" for n in range(100, 105)]
    assert 'rel="prev" href="?page=2"' in last and 'rel="next"' not in last
    filtered = client.get(list_url(org, status="up")).content.decode()
    assert 'rel="next" href="?status=up&amp;page=2"' in filtered
    # A page past the end shows the last one; a page that is no number, the first.
    assert names(client.get(list_url(org, page=99)).content.decode()) == names(last)
    assert "Page 1 of 3" in client.get(list_url(org, page="x")).content.decode()


def test_a_short_list_has_no_page_links(org, member, frozen):
    make_many(org, 3)
    html = client_for(member).get(list_url(org)).content.decode()
    assert "Pages of integrations" not in html
    assert "3 integrations." in html


def test_it_filters_by_status(org, member, linked, frozen):
    client = client_for(member)
    down = client.get(list_url(org, status="down")).content.decode()
    assert names(down) == ["Press 0000", "Press 0001", "Press 0002"]
    assert "3 integrations match the filters" in down
    assert '<option value="down" selected>Down</option>' in down
    up = client.get(list_url(org, status="up")).content.decode()
    assert names(up) == ["Till 0000", "Till 0001"]
    assert names(client.get(list_url(org, status="paused")).content.decode()) == []


def test_it_filters_by_process_and_site_and_they_combine(org, member, linked, frozen):
    client = client_for(member)
    tills = client.get(list_url(org, process=linked["tills"].pk)).content.decode()
    assert names(tills) == ["Till 0000", "Till 0001"]
    site = client.get(list_url(org, site=linked["site"].pk)).content.decode()
    assert names(site) == ["Press 0000", "Press 0001", "Press 0002"]
    both = client.get(list_url(org, site=linked["site"].pk, status="up")).content.decode()
    assert names(both) == []
    assert "No integrations match these filters" in both
    assert "Show all integrations" in both


def test_an_archived_process_is_no_filter(org, member, linked):
    Process.objects.filter(pk=linked["tills"].pk).update(archived=True)
    response = client_for(member).get(list_url(org, process=linked["tills"].pk))
    assert response.status_code == 404


def test_another_organisations_process_or_site_is_a_404_and_shows_nothing(
    org, other_org, member, linked
):
    theirs = Process.objects.create(organization=other_org, name="Secret line", area="retail")
    their_site = Site.objects.create(organization=other_org, name="Secret plant")
    client = client_for(member)
    for query in ({"process": theirs.pk}, {"site": their_site.pk}, {"status": "sideways"}):
        response = client.get(list_url(org, **query))
        assert response.status_code == 404
        assert "Secret" not in response.content.decode()
        assert client.get(list_url(org, **query), headers=HTMX).status_code == 404
    html = client.get(list_url(org)).content.decode()
    assert "Secret line" not in html and "Secret plant" not in html
    assert ">Press</option>" in html and ">Riverside Plant</option>" in html


def test_the_poller_asks_for_the_page_and_filters_shown_by_id_never_by_name(
    org, member, linked, frozen
):
    make_many(org, PAGE_SIZE + 1)
    process = linked["press"]
    Process.objects.filter(pk=process.pk).update(name='"><b hx-get="/x">')
    html = client_for(member).get(list_url(org, process=process.pk)).content.decode()
    poller = re.search(r'<div id="integration-live".*?</div>', html, re.S).group(0)
    assert 'hx-get="/o/acme/integrations/"' in poller and 'hx-include="this"' in poller
    assert f'name="process" value="{process.pk}"' in poller
    assert 'name="page" value="1"' in poller
    assert "hx-get=&quot;" not in poller and "<b" not in poller
    paged = client_for(member).get(list_url(org, page=2)).content.decode()
    assert 'name="page" value="2"' in re.search(
        r'<div id="integration-live".*?</div>', paged, re.S
    ).group(0)


def test_polling_refreshes_only_the_page_asked_for(org, member, frozen):
    integrations = make_many(org, PAGE_SIZE + 7)
    second = {str(i.pk) for i in integrations[PAGE_SIZE:]}
    html = client_for(member).get(list_url(org, page=2), headers=HTMX).content.decode()
    assert badge_ids(html) == second


def test_polling_a_filtered_page_refreshes_its_integrations(org, member, linked, frozen):
    html = client_for(member).get(list_url(org, status="up"), headers=HTMX).content.decode()
    assert badge_ids(html) == {str(i.pk) for i in linked["up"]}


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "polling"])
@pytest.mark.parametrize("query", [{}, {"status": "up"}, {"site": "SITE", "status": "down"}])
def test_the_query_count_is_the_same_for_10_and_120_integrations(
    org, member, linked, frozen, htmx, query, django_assert_num_queries
):
    query = {k: linked["site"].pk if v == "SITE" else v for k, v in query.items()}
    client = client_for(member)
    headers = HTMX if htmx else {}
    url = list_url(org, **query)
    client.get(url, headers=headers)  # warm the session
    # As test_pages_list's, and one more to find each process or site chosen.
    expected = (7 if htmx else 10) + ("site" in query)
    counts = []
    for total in (10, 120):
        made = make_many(org, total - Integration.objects.count(), prefix=f"Bulk {total}")
        linked["press"].integrations.add(*made)
        with django_assert_num_queries(expected) as captured:
            assert client.get(url, headers=headers).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("query", [{"process": "abc"}, {"site": "-1"}, {"status": "flapping"}])
def test_a_malformed_filter_is_a_404(org, member, linked, query):
    assert client_for(member).get(list_url(org, **query)).status_code == 404


def test_the_filter_form_is_plain_get_and_keeps_the_choices_shown(org, viewer, linked, frozen):
    url = list_url(org, process=linked["press"].pk, status="down")
    html = client_for(viewer).get(url).content.decode()
    form = re.search(r'<form method="get"[^>]*id="integration-filters"[^>]*>', html).group(0)
    assert "hx-disable" in form and "hx-get" not in form
    assert f'<option value="{linked["press"].pk}" selected>Press</option>' in html
    assert '<option value="down" selected>Down</option>' in html
    assert 'href="/o/acme/integrations/">Show all</a>' in html


def options(html, name="process") -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    return re.findall(r"<option [^>]*>([^<]*)</option>", select)


def test_past_the_bound_the_process_filter_lists_a_sites_processes_or_says_how(
    org, member, linked, frozen, monkeypatch
):
    """Over `PROCESS_CHOICES` active processes the filter lists none but the chosen one and
    says what to do; a chosen site lists its own; a process chosen from a link still works."""
    monkeypatch.setattr("assessments.evidence.PROCESS_CHOICES", 1)
    client = client_for(member)
    html = client.get(list_url(org)).content.decode()
    assert options(html) == ["All processes"]
    assert "over 1 processes, too many to list: choose a site and Filter" in html
    assert 'aria-describedby="id_process_helptext"' in html and 'id="id_process_helptext"' in html
    site = client.get(list_url(org, site=linked["site"].pk)).content.decode()
    assert options(site) == ["All processes", "Press"] and "too many" not in site
    tills = client.get(list_url(org, process=linked["tills"].pk)).content.decode()
    assert names(tills) == ["Till 0000", "Till 0001"]
    assert f'<option value="{linked["tills"].pk}" selected>Tills</option>' in tills
    assert options(tills) == ["All processes", "Tills"]


def test_within_the_bound_the_process_filter_lists_every_active_process(org, member, linked):
    html = client_for(member).get(list_url(org)).content.decode()
    assert options(html) == ["All processes", "Press", "Tills"]
    assert "too many" not in html and "aria-describedby" not in html


def test_the_processes_page_links_each_process_to_its_integrations(org, member, linked):
    html = client_for(member).get(reverse("assessments:processes", args=[org.slug])).content
    link = f'href="{list_url(org, process=linked["press"].pk)}"'
    assert link in html.decode() and "In the integrations list" in html.decode()
