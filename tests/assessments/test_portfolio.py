"""The consultant's portfolio page and the peer aggregates a report shows."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organization, Role
from assessments.figures import assessment_figures
from assessments.models import Milestone, Roadmap
from assessments.reports.portfolio import MIN_PEERS, peer_standing, portfolio_rows
from assessments.scoring import format_figure
from assessments.verified.status import freeze_verification
from integration.models import Integration
from tests.assessments.conftest import answer_dimension, make_process, scored_assessment
from tests.conftest import client_for, make_user

URL = "/portfolio/"


@pytest.fixture
def portfolio(org, other_org, owner, consultant, outsider, framework):
    press = make_process(org, "Press", value=2)
    baseline = scored_assessment(
        org,
        framework,
        owner,
        [press],
        levels={"Press": 1},
        title="Old",
        assessed_on=date(2026, 1, 1),
    )
    baseline.finalize()
    current = scored_assessment(
        org,
        framework,
        owner,
        [press],
        levels={"Press": 3},
        title="New",
        assessed_on=date(2026, 6, 1),
    )
    answer_dimension(current, owner, "connectivity", it=3, ot=1)
    current.finalize()
    roadmap = Roadmap.objects.create(organization=org, title="R", framework=framework)
    yesterday = timezone.localdate() - timedelta(days=1)
    Milestone.objects.create(roadmap=roadmap, title="Late", due_date=yesterday)
    Milestone.objects.create(roadmap=roadmap, title="Done", due_date=yesterday, status="done")
    Milestone.objects.create(roadmap=roadmap, title="Later", due_date=yesterday + timedelta(days=9))
    Integration.objects.create(
        organization=org, name="Silent", last_seen=timezone.now() - timedelta(days=1)
    )
    Integration.objects.create(organization=org, name="Alive", last_seen=timezone.now())
    theirs = make_process(other_org, "Tills")
    scored_assessment(other_org, framework, outsider, [theirs], levels={"Tills": 2}, title="Only")
    hidden = Organization.objects.create(name="Not mine", slug="hidden")
    make_user("boss@hidden.test", hidden, Role.OWNER)
    return {"baseline": baseline, "current": current}


def test_each_organisation_with_its_figures_and_trend(consultant, portfolio, org, other_org):
    rows = {r.organization.slug: r for r in portfolio_rows(user=consultant)}
    assert set(rows) == {"acme", "globex"}
    acme = rows["acme"]
    figures = assessment_figures(portfolio["current"])
    assert acme.latest == portfolio["current"] and acme.previous == portfolio["baseline"]
    assert acme.samr_index_display == format_figure(figures.samr_index) == "3.00"
    assert acme.readiness_display == format_figure(figures.overall_readiness)
    assert acme.gap_display == format_figure(figures.convergence_gap) == "2.00"
    assert (acme.trend.delta_display, acme.trend.trend) == ("+2.00", "better")
    assert (acme.overdue, acme.down, acme.integrations) == (1, 1, 2)
    globex = rows["globex"]  # only a draft: named as one, never counted
    assert globex.latest is None and globex.draft.title == "Only"
    assert globex.trend is None and globex.samr_index_display == "–"


def test_the_page_lists_them_with_links_in(consultant, portfolio, org, other_org):
    client = client_for(consultant)
    page = client.get(URL).content.decode()
    assert "Acme Precision" in page and "Globex Foods" in page and "Not mine" not in page
    assert reverse("org-home", args=[org.slug]) in page
    dashboard = reverse(
        "assessments:assessment-dashboard", args=[org.slug, portfolio["current"].pk]
    )
    assert dashboard in page
    assert "+2.00" in page
    assert client.post(URL).status_code == 405


def test_the_page_reads_a_fixed_number_of_queries_per_organisation(
    consultant, portfolio, django_assert_num_queries
):
    client = client_for(consultant)
    client.get(URL)
    # session, user, memberships (2), finals, assessments, overdue, integrations, then per final
    # assessment read its figures (~6 queries each; acme: 2, globex's draft: none), and the
    # verification snapshot of each organisation's latest final (one each)
    with django_assert_num_queries(21):
        client.get(URL)


def test_only_people_in_several_organisations_get_the_menu_link(consultant, owner, portfolio, org):
    home = reverse("org-home", args=[org.slug])
    assert URL in client_for(consultant).get(home).content.decode()
    assert URL not in client_for(owner).get(home).content.decode()


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response.url


# --- Peers --------------------------------------------------------------------------------------


def _peer(slug, user, framework, level, area="manufacturing"):
    org = Organization.objects.create(name=f"Client {slug}", slug=slug)
    Membership.objects.create(user=user, organization=org, role=Role.CONSULTANT)
    process = make_process(org, "Line", area=area, value=1)
    assessment = scored_assessment(
        org, framework, user, [process], levels={"Line": level}, title="Final"
    )
    assessment.finalize()
    return org


def test_peers_are_aggregated_over_at_least_three(consultant, org, owner, framework):
    mine = scored_assessment(
        org, framework, owner, [make_process(org, "Press")], levels={"Press": 2}, title="Mine"
    )
    figures = assessment_figures(mine)
    _peer("a", consultant, framework, 1)
    _peer("b", consultant, framework, 3)
    two = peer_standing(organization=org, figures=figures, user=consultant)
    row = two.rows[0]
    assert (row.peers, row.enough, row.mean_display, row.peers_display) == (
        2,
        False,
        "not enough peers",
        f"fewer than {MIN_PEERS}",
    )
    _peer("c", consultant, framework, 4)
    _peer("d", consultant, framework, 4, area="retail")  # another area: not a manufacturing peer
    three = peer_standing(organization=org, figures=figures, user=consultant)
    row = three.rows[0]
    assert (row.name, row.peers, row.mean_display, row.difference_display, row.standing) == (
        "Manufacturing",
        3,
        "2.67",
        "−0.67",
        "below",
    )
    assert three.peers == 4
    overall = {r.measure: r for r in three.rows if r.name == "All areas"}
    assert overall["SAMR index"].peers == 3  # "d" shares no area with this organisation


def test_draft_assessments_of_peers_do_not_count(consultant, org, owner, framework):
    mine = scored_assessment(
        org, framework, owner, [make_process(org, "Press")], levels={"Press": 2}, title="Mine"
    )
    for slug in "abc":
        peer = Organization.objects.create(name=slug, slug=slug)
        Membership.objects.create(user=consultant, organization=peer, role=Role.CONSULTANT)
        scored_assessment(
            peer,
            framework,
            consultant,
            [make_process(peer, "Line")],
            levels={"Line": 1},
            title="Draft",
        )
    standing = peer_standing(organization=org, figures=assessment_figures(mine), user=consultant)
    assert standing.peers == 0 and not standing.enough


def test_the_verified_index_stands_beside_the_samr_index(consultant, portfolio, owner):
    """Acme's latest final claims level 3 with nothing verified (its snapshot); a final
    without a snapshot shows "not recorded", never a verified figure it does not have."""
    rows = {r.organization.slug: r for r in portfolio_rows(user=consultant)}
    assert not rows["acme"].verified_recorded  # finalized before verification was recorded
    assert rows["acme"].verified_index_display == "–"
    assert "not recorded" in client_for(consultant).get(URL).content.decode()
    freeze_verification(assessment_figures(portfolio["current"]), now=timezone.now())
    acme = {r.organization.slug: r for r in portfolio_rows(user=consultant)}["acme"]
    assert (acme.samr_index_display, acme.verified_index_display) == ("3.00", "0.00")
    assert acme.above_verified == 1
    page = client_for(consultant).get(URL).content.decode()
    cell = re.search(r'data-figure="verified_index">(.*?)</td>', page, re.S)[1]
    assert cell.startswith("0.00") and "1 above verified" in cell


def test_a_demo_client_is_never_a_real_clients_peer_nor_the_other_way(
    consultant, org, owner, framework
):
    mine = scored_assessment(
        org, framework, owner, [make_process(org, "Press")], levels={"Press": 2}, title="Mine"
    )
    figures = assessment_figures(mine)
    demo = [_peer(slug, consultant, framework, 1) for slug in "abc"]
    Organization.objects.filter(pk__in=[o.pk for o in demo]).update(is_demo=True)
    assert peer_standing(organization=org, figures=figures, user=consultant).peers == 0
    _peer("real", consultant, framework, 3)
    demo_org = Organization.objects.get(slug="a")
    theirs = assessment_figures(demo_org.assessments.get())
    standing = peer_standing(organization=demo_org, figures=theirs, user=consultant)
    assert standing.peers == 2  # the other two demo clients, not Acme nor "real"
