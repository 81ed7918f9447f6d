"""The benchmark page, its JSON download and the opt-in: the K = 5 rule everywhere."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, Role
from assessments import benchmarks
from assessments.models import Assessment, BenchmarkEntry
from assessments.pool import benchmark_figures
from assessments.scoring import format_figure
from audit.models import AuditEvent
from tests.accounts.test_auditor import make_auditor
from tests.assessments.benchmark_helpers import contributor, contributors
from tests.assessments.conftest import make_process, scored_assessment
from tests.conftest import client_for


def page(user, org, **params):
    return client_for(user).get(reverse("assessments:benchmarks", args=[org.slug]), params)


def download(user, org, **params):
    url = reverse("assessments:benchmarks-export", args=[org.slug])
    return client_for(user).get(url, params).json()


def area_row(document, key="manufacturing"):
    return next((r for r in document["rows"] if r["kind"] == "area" and r["key"] == key), None)


@pytest.fixture
def own(org, owner, framework):
    """The organisation's own final assessment (level 2), opted in."""
    process = make_process(org, "Line", value=1)
    scored_assessment(org, framework, owner, [process], levels={"Line": 2}, title="F").finalize()
    org.benchmark_opt_in = True
    org.benchmark_contributor = "f" * 32
    org.industry = "manufacturing"
    org.save()
    return org


def test_four_strangers_show_no_figure_anywhere(own, owner, framework):
    contributors(framework, [0, 1, 3, 4])  # with its own: five organisations, four strangers
    response = page(owner, own)
    assert response.status_code == 200
    assert "Not enough organisations" in response.content.decode()
    assert 'data-key="area-manufacturing"' not in response.content.decode()
    document = download(owner, own)
    assert document["rows"] == []
    assert "organisations" not in str(document["rows"])


def test_five_strangers_show_the_figures_with_this_organisations_percentile(own, owner, framework):
    levels = [0, 1, 3, 4, 4]
    contributors(framework, levels)
    values = [float(v) for v in levels] + [2.0]  # its own counts in the set
    expected = benchmarks.summarise(values, known=1, own=2.0)
    row = area_row(download(owner, own))
    assert row["organisations"] == 6
    assert row["median"] == format_figure(expected.median) == "2.50"  # (2 + 3) / 2
    # five strangers: no quartiles, no top quartile, the standing as a quarter only
    assert (row["q1"], row["q3"], row["top_quartile"]) == ("–", "–", "–")
    assert (row["yours"], row["your_percentile"]) == ("2.00", None)
    assert row["your_quarter"] == expected.band == "second quarter"  # 2.5 of 6: 42
    html = page(owner, own).content.decode()
    assert 'data-key="area-manufacturing"' in html
    assert "second quarter" in html


def test_ten_strangers_show_the_quartiles_and_the_exact_percentile(own, owner, framework):
    levels = [0, 1, 1, 2, 3, 3, 3, 4, 4, 4]
    contributors(framework, levels)
    expected = benchmarks.summarise([*map(float, levels), 2.0], known=1, own=2.0)
    row = area_row(download(owner, own))
    assert (row["q1"], row["q3"]) == (format_figure(expected.q1), format_figure(expected.q3))
    assert row["top_quartile"] == format_figure(expected.top_quartile) == "3.75"  # 3 + 1 known
    assert row["your_percentile"] == expected.percentile == 36
    html = page(owner, own).content.decode()
    assert f"{format_figure(expected.q1)} – {format_figure(expected.q3)}" in html


def test_a_consultant_in_a_contributing_organisation_needs_five_others(
    own, owner, consultant, other_org, framework
):
    """The owner sees five strangers; the consultant, member of two of the six, only four."""
    contributors(framework, [0, 1, 3, 4])
    other_org.benchmark_opt_in = True
    other_org.save()
    scored_assessment(
        other_org,
        framework,
        consultant,
        [make_process(other_org, "Line", value=1)],
        levels={"Line": 1},
        title="F",
    ).finalize()
    assert area_row(download(owner, own)) is not None
    assert download(consultant, own)["rows"] == []


def test_an_industry_cut_of_four_shows_nothing_while_the_total_shows(own, owner, framework):
    contributors(framework, [0, 1, 3, 4], prefix="m")  # manufacturing, with its own: 4 strangers
    contributors(framework, [2, 2], prefix="r", industry="retail")
    assert area_row(download(owner, own)) is not None
    assert download(owner, own, industry="manufacturing")["rows"] == []
    html = page(owner, own, industry="manufacturing").content.decode()
    assert "Not enough organisations" in html


def test_opted_out_organisations_and_drafts_do_not_count(own, owner, framework):
    contributors(framework, [0, 1, 3, 4])
    contributor("out", framework, 4, opted=False)
    drafting = contributor("draft", framework, 4)
    Assessment.objects.filter(organization=drafting).update(state="draft")  # not final (yet)
    assert download(owner, own)["rows"] == []
    Assessment.objects.filter(organization=drafting).update(state="final")
    assert area_row(download(owner, own))["organisations"] == 6


def test_imported_entries_count_labelled_and_never_as_verified(own, owner, framework):
    contributors(framework, [0, 1, 3, 4], verified=True)
    BenchmarkEntry.objects.create(
        contributor="a" * 32,
        assessed_on="2026-01-01",
        industry="manufacturing",
        areas={"manufacturing": 3.0},
        dimensions={},
        source="Another install",
    )
    claimed = download(owner, own)
    assert area_row(claimed)["organisations"] == 6
    assert claimed["imported_entries"] == 1
    assert "Includes 1 imported" in page(owner, own).content.decode()
    assert download(owner, own, view="verified")["rows"] == []  # 4 verified strangers only
    contributor("v5", framework, 2, verified=True)
    verified = download(owner, own, view="verified")
    assert area_row(verified)["organisations"] == 5  # its own final recorded no verification
    assert verified["imported_entries"] == 0


def test_verified_view_counts_verified_levels(own, owner, framework):
    contributors(framework, [1, 2, 3, 4, 4], verified=True)
    figures = benchmark_figures(organization=own, user=owner, verified=True)
    row = next(r for r in figures.rows if r.key == "manufacturing")
    # no checks nor evidence: every claimed level rests on the claim alone, verified 0
    assert (row.summary.median, row.count) == (0.0, 5)
    assert row.summary.top_quartile is None  # five strangers: the median only
    assert all(r.kind == "area" for r in figures.rows)


def test_a_bad_cut_is_a_404(own, owner):
    assert page(owner, own, industry="mining").status_code == 404
    assert page(owner, own, view="guessed").status_code == 404


def test_sites_are_compared_directly(org, owner, framework):
    plant = org.sites.get()
    store = org.sites.create(name="Harbour Store", kind="store")
    a, b = make_process(org, "A", value=1), make_process(org, "B", value=1)
    a.site, b.site = plant, store
    a.save(), b.save()
    scored_assessment(org, framework, owner, [a, b], levels={"A": 1, "B": 3}, title="F").finalize()
    html = page(owner, org).content.decode()
    assert "Your sites side by side" in html
    assert "Harbour Store" in html and "3.00" in html and "1.00" in html


# --- Opting in ---------------------------------------------------------------------------------


def opt(user, org, value):
    data = {"benchmark_opt_in": "on"} if value else {}
    url = reverse("accounts:benchmark-opt-in", args=[org.slug])
    return client_for(user).post(url, data)


def test_the_owner_opts_in_and_out_audited(org, owner):
    assert not org.benchmark_opt_in
    assert opt(owner, org, True).status_code == 302
    org.refresh_from_db()
    assert org.benchmark_opt_in and len(org.benchmark_contributor) == 32
    contributor_id = org.benchmark_contributor
    opt(owner, org, False)
    org.refresh_from_db()
    assert not org.benchmark_opt_in and org.benchmark_contributor == contributor_id
    actions = list(
        AuditEvent.objects.filter(organization=org, area="settings").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["benchmarks opted in", "benchmarks opted out"]


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.MEMBER])
def test_only_an_owner_may_opt_in(org, owner, consultant, member, role):
    user = consultant if role == Role.CONSULTANT else member
    assert Membership.objects.get(user=user, organization=org).role == role
    assert opt(user, org, True).status_code == 403
    org.refresh_from_db()
    assert not org.benchmark_opt_in


def test_an_outsider_cannot_opt_in(org, outsider):
    assert opt(outsider, org, True).status_code == 404


def test_the_settings_page_says_what_is_shared(org, owner):
    url = reverse("accounts:settings", args=[org.slug])
    html = client_for(owner).get(url).content.decode()
    assert "anonymous figures only" in html
    assert 'name="benchmark_opt_in"' in html


def test_an_auditor_sees_the_latest_final_of_the_window(own, owner, framework):
    contributors(framework, [0, 1, 3, 4, 4])
    day = Assessment.objects.get(organization=own).assessed_on
    auditor = make_auditor(own, window=(day - timedelta(days=400), day - timedelta(days=40)))
    assert area_row(download(owner, own))["yours"] == "2.00"
    row = area_row(download(auditor, own))
    assert row["yours"] == "–" and row["your_percentile"] is None  # outside the window


def test_the_page_reads_as_many_queries_whatever_the_number_of_contributors(own, owner, framework):
    contributors(framework, [0, 1, 3, 4, 4])
    client = client_for(owner)
    url = reverse("assessments:benchmarks", args=[own.slug])
    client.get(url)
    with CaptureQueriesContext(connection) as five:
        client.get(url)
    contributors(framework, [2, 2, 3], prefix="q")
    with CaptureQueriesContext(connection) as eight:
        client.get(url)
    assert len(eight) == len(five)
