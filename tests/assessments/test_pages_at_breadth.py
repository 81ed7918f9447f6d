"""The pages bench/breadth.py's users browse cost what they show, not what the organisation has:
the same queries at two sizes, the processes list and the checks board paged, the overview's
down and flapping integrations counted by the database."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Site
from assessments.models import Process
from assessments.models.verification import CheckBinding
from assessments.views.checks import INTEGRATION_CHOICES
from assessments.views.checks import PAGE_SIZE as BOARD_PAGE
from assessments.views.processes import PAGE_SIZE
from integration.models import HealthEvent, Integration
from tests.conftest import client_for

CHECK = "mfg-2-machine-data-arrives"


def grow(org, *, sites: int, processes: int, per_process: int, start: int = 0) -> list:
    """`processes` manufacturing processes spread over `sites` new sites, each linked to
    `per_process` new integrations (every third down, the rest up); returns the processes."""
    now = timezone.now()
    made = Site.objects.bulk_create(
        Site(organization=org, name=f"Plant {start + s:03d}") for s in range(sites)
    )
    lines = Process.objects.bulk_create(
        Process(organization=org, name=f"Line {start + p:04d}", area="manufacturing",
                site=made[p % sites])
        for p in range(processes)
    )  # fmt: skip
    for p, line in enumerate(lines):
        feeds = Integration.objects.bulk_create(
            Integration(
                organization=org,
                name=f"Feed {start + p:04d}-{k}",
                interval_seconds=60,
                grace_seconds=60,
                last_seen=now - (timedelta(hours=2) if k % 3 == 0 else timedelta(seconds=5)),
            )
            for k in range(per_process)
        )
        line.integrations.add(*feeds)
    return lines


def flap(integration, times=4):
    """`times` up/down changes of `integration` in the last hours."""
    now = timezone.now()
    for n in range(times):
        previous, status = ("up", "down") if n % 2 == 0 else ("down", "up")
        HealthEvent.objects.create(
            integration=integration,
            previous=previous,
            status=status,
            at=now - timedelta(hours=n + 1),
        )


def pages(org) -> dict[str, str]:
    site = org.sites.filter(name__startswith="Plant").order_by("name").first()
    integrations = reverse("integration:integration-list", args=[org.slug])
    return {
        "overview": reverse("org-home", args=[org.slug]),
        "integrations": integrations,
        "integrations, page 2": f"{integrations}?page=2",
        "integrations, a site": f"{integrations}?site={site.pk}",
        "integrations, down": f"{integrations}?status=down",
        "processes": reverse("assessments:processes", args=[org.slug]),
        "processes, a site": reverse("assessments:processes", args=[org.slug]) + f"?site={site.pk}",
        "checks": reverse("assessments:check-bindings", args=[org.slug]),
        "checks, a site": reverse("assessments:check-bindings", args=[org.slug])
        + f"?site={site.pk}",
    }


def counted(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


PAGES = [
    "overview", "integrations", "integrations, page 2", "integrations, a site",
    "integrations, down", "processes", "processes, a site", "checks", "checks, a site",
]  # fmt: skip


@pytest.mark.parametrize("page", PAGES)
def test_a_page_takes_the_same_queries_at_two_sizes(org, owner, framework, page):
    lines = grow(org, sites=2, processes=3, per_process=3)
    flap(lines[0].integrations.order_by("name").last())
    client = client_for(owner)
    client.get(pages(org)[page])  # the session
    small = counted(client, pages(org)[page])
    grow(org, sites=3, processes=60, per_process=4, start=100)  # 249 integrations, 63 lines
    flap(Integration.objects.order_by("name").last())
    assert Integration.objects.count() > INTEGRATION_CHOICES
    assert counted(client, pages(org)[page]) == small


def test_the_processes_list_is_paged_and_keeps_its_filters(org, owner):
    grow(org, sites=1, processes=PAGE_SIZE + 5, per_process=1)
    grow(org, sites=1, processes=2, per_process=1, start=900)
    client = client_for(owner)
    url = reverse("assessments:processes", args=[org.slug])
    first = client.get(url).content.decode()
    assert "Line 0000" in first and f"Line {PAGE_SIZE - 1:04d}" in first
    assert f"Line {PAGE_SIZE:04d}" not in first
    assert f"{PAGE_SIZE + 7} processes (1 to {PAGE_SIZE} shown)" in first
    second = client.get(url, {"page": 2}).content.decode()
    assert f"Line {PAGE_SIZE:04d}" in second and "Line 0000" not in second
    site = org.sites.get(name="Plant 000")
    narrowed = client.get(url, {"site": site.pk, "area": "manufacturing"}).content.decode()
    assert "Line 0000" in narrowed and "Line 0900" not in narrowed
    assert f"?area=manufacturing&amp;site={site.pk}&amp;page=2" in narrowed
    last = client.get(url, {"site": site.pk, "page": 2}).content.decode()
    assert f"Line {PAGE_SIZE + 4:04d}" in last and "Line 0900" not in last


def test_the_processes_list_ignores_another_organisations_site(org, other_org, owner):
    grow(org, sites=1, processes=2, per_process=1)
    theirs = Site.objects.create(organization=other_org, name="Their plant")
    url = reverse("assessments:processes", args=[org.slug])
    page = client_for(owner).get(url, {"site": theirs.pk}).content.decode()
    assert "Line 0000" in page and "Line 0001" in page


def test_the_checks_board_is_paged_and_filtered_by_site(org, owner, framework):
    grow(org, sites=2, processes=BOARD_PAGE + 4, per_process=1)
    client = client_for(owner)
    url = reverse("assessments:check-bindings", args=[org.slug])
    first = client.get(url).content.decode()
    assert f"Line {BOARD_PAGE - 1:04d}" in first and f"Line {BOARD_PAGE:04d}" not in first
    assert f"{BOARD_PAGE + 4} processes; 1 to {BOARD_PAGE} shown" in first
    second = client.get(url, {"page": 2}).content.decode()
    assert f"Line {BOARD_PAGE:04d}" in second and "Line 0000" not in second
    site = org.sites.get(name="Plant 000")
    narrowed = client.get(url, {"site": site.pk}).content.decode()
    assert "Line 0000" in narrowed and "Line 0001" not in narrowed


def test_the_bind_form_lists_the_page_but_binds_any_of_the_organisations(org, owner, framework):
    lines = grow(org, sites=1, processes=BOARD_PAGE + 1, per_process=11)  # 231 integrations
    last = lines[-1]  # on the second page
    unlinked = Integration.objects.create(organization=org, name="Aaa unlinked historian")
    client = client_for(owner)
    url = reverse("assessments:check-bindings", args=[org.slug])
    page = client.get(url).content.decode()
    assert f'name="processes" value="{lines[0].pk}"' in page
    assert f'name="processes" value="{last.pk}"' not in page
    assert "Aaa unlinked historian" not in page  # past INTEGRATION_CHOICES: the page's only
    assert "Feed 0000-0" in page and f"Feed {BOARD_PAGE:04d}-0" not in page
    role = framework.definition.check(CHECK).roles[0]
    data = {
        "check_role": f"{CHECK}::{role}",
        "integration": unlinked.pk,
        "processes": [last.pk],
        "action": "bind",
    }
    assert client.post(url, data).status_code == 302
    binding = CheckBinding.objects.get()
    assert (binding.process_check.process, binding.integration) == (last, unlinked)


def test_the_overview_shows_five_down_and_counts_the_rest(org, owner):
    grow(org, sites=1, processes=7, per_process=1)  # each one's only feed down
    page = client_for(owner).get(reverse("org-home", args=[org.slug])).content.decode()
    for n in range(5):
        assert f"Feed {n:04d}-0" in page
    assert "Feed 0005-0" not in page and "and 2 more integrations down" in page


def test_the_overview_finds_the_flapping_ones_in_the_database(org, owner):
    grow(org, sites=1, processes=1, per_process=5)
    feeds = list(Integration.objects.order_by("name"))  # 0 down, 1 and 2 up, 3 down, 4 up
    flap(feeds[1])  # four changes, up now: flapping
    flap(feeds[2], times=3)  # three: not yet
    flap(feeds[3])  # down now: listed as down, not as flapping
    Integration.objects.filter(pk=feeds[4].pk).update(paused=True)
    flap(feeds[4])  # paused: never flapping
    page = client_for(owner).get(reverse("org-home", args=[org.slug])).content.decode()
    assert page.count("Integration flapping") == 1 and "Feed 0000-1" in page
    assert "Feed 0000-2" not in page and "Feed 0000-4" not in page
    assert page.count("Feed 0000-3") == 1  # as down


@pytest.mark.parametrize(
    ("page", "most"),
    [("overview", {"Integration": 10, "Process": 0}),
     ("processes", {"Integration": PAGE_SIZE * 4, "Process": PAGE_SIZE}),
     ("checks", {"Integration": BOARD_PAGE * 4, "Process": BOARD_PAGE})],
)  # fmt: skip
def test_a_page_reads_only_the_rows_it_shows(org, owner, framework, page, most):
    grow(org, sites=3, processes=60, per_process=4)
    client = client_for(owner)
    url = pages(org)[page]
    client.get(url)
    made = {"Integration": 0, "Process": 0}

    def count(sender, **kwargs):
        made[sender.__name__] += 1

    post_init.connect(count, sender=Integration)
    post_init.connect(count, sender=Process)
    try:
        assert client.get(url).status_code == 200
    finally:
        post_init.disconnect(count, sender=Integration)
        post_init.disconnect(count, sender=Process)
    assert all(made[name] <= most[name] for name in made), made


def test_the_quick_selects_escape_names_and_keep_the_choice(org, owner):
    grow(org, sites=1, processes=1, per_process=1)
    site = Site.objects.create(organization=org, name="<i>Dock</i> & yard")
    for url in (
        reverse("assessments:processes", args=[org.slug]),
        reverse("assessments:check-bindings", args=[org.slug]),
        reverse("integration:integration-list", args=[org.slug]),
    ):
        page = client_for(owner).get(url, {"site": site.pk}).content.decode()
        assert "<i>Dock</i>" not in page
        assert f'<option value="{site.pk}" selected>&lt;i&gt;Dock&lt;/i&gt; &amp; yard' in page
