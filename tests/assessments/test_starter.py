"""Starter content: suggestions per industry on the Get started page, the setup checklist."""

import pytest
from django.urls import reverse

from accounts.models import Industry, Invitation, Role
from assessments.framework.loading import default_framework
from assessments.models import Process
from assessments.starter import PROCESSES, SITES, suggestions
from audit.models import AuditEvent
from tests.conftest import client_for


def starter_url(org, industry=""):
    url = reverse("assessments:starter", args=[org.slug])
    return f"{url}?industry={industry}" if industry else url


def test_every_industry_has_suggestions_in_the_frameworks_areas():
    areas = {area.key for area in default_framework().areas}
    assert set(Industry.values) == areas == set(PROCESSES) == set(SITES)
    for suggested in PROCESSES.values():
        assert suggested and {s.area for s in suggested} <= areas


def test_the_page_suggests_the_industrys_processes_and_sites(org, owner):
    org.industry = "retail"
    org.save()
    body = client_for(owner).get(starter_url(org)).content.decode()
    assert 'value="Store replenishment"' in body and 'value="Flagship store"' in body
    assert "Press line" not in body and 'value="Production scheduling"' not in body


def test_picking_an_industry_shows_its_suggestions(org, owner):
    body = client_for(owner).get(starter_url(org)).content.decode()
    assert "Choose the organisation" in body and "starter-row" not in body
    body = client_for(owner).get(starter_url(org, "energy")).content.decode()
    assert 'value="Meter reading"' in body


def test_ticked_suggestions_become_processes_and_sites_renamed_or_dropped(org, owner):
    processes, sites = suggestions("manufacturing", org)
    data = {"industry": "manufacturing", "process_0": "on", "process_0_name": "Line plan"}
    data |= {"process_2": "on", "process_2_name": processes[2].name}
    data |= {"process_1_name": processes[1].name}  # not ticked: dropped
    data |= {"site_0": "on", "site_0_name": "Plant North"}
    response = client_for(owner).post(starter_url(org), data)
    assert response.status_code == 302
    assert response.url == reverse("assessments:processes", args=[org.slug])
    made = dict(Process.objects.filter(organization=org).values_list("name", "area"))
    assert made == {"Line plan": "manufacturing", "Maintenance": "manufacturing"}
    assert set(org.sites.values_list("name", "kind")) == {
        ("Riverside Plant", "plant"),
        ("Plant North", "plant"),
    }
    org.refresh_from_db()
    assert org.industry == "manufacturing"  # kept: it had none
    events = AuditEvent.objects.filter(organization=org)
    assert events.filter(action="created", subject="Process Line plan").exists()
    assert events.filter(action="site added", subject="Site Plant North").exists()


def test_a_name_already_taken_is_refused_and_nothing_is_added(org, owner):
    Process.objects.create(organization=org, name="Press line", area="manufacturing")
    data = {"industry": "manufacturing", "process_0": "on", "process_0_name": "press LINE"}
    data |= {"process_1": "on", "process_1_name": "Fine"}
    response = client_for(owner).post(starter_url(org), data)
    assert response.status_code == 400
    assert "already one with this name" in response.content.decode()
    assert Process.objects.filter(organization=org).count() == 1


def test_nothing_ticked_is_refused(org, owner):
    response = client_for(owner).post(starter_url(org), {"industry": "finance"})
    assert response.status_code == 400
    assert "Tick at least one" in response.content.decode()


def test_suggestions_already_present_are_not_offered_again(org, owner):
    Process.objects.create(organization=org, name="Payroll", area="finance")
    processes, _ = suggestions("finance", org)
    assert "Payroll" not in [s.name for s in processes] and processes


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_members_and_viewers_may_not_add_suggestions(org, who, request):
    user = request.getfixturevalue(who)
    data = {"industry": "finance", "process_0": "on", "process_0_name": "Payroll"}
    assert client_for(user).get(starter_url(org)).status_code == 403
    assert client_for(user).post(starter_url(org), data).status_code == 403
    assert not Process.objects.exists()


def test_an_outsider_gets_404(org, outsider):
    data = {"industry": "finance", "process_0": "on", "process_0_name": "Payroll"}
    assert client_for(outsider).get(starter_url(org)).status_code == 404
    assert client_for(outsider).post(starter_url(org), data).status_code == 404
    assert not Process.objects.exists()


def test_a_consultant_adds_suggestions_to_a_client(org, consultant):
    data = {"industry": "finance", "process_0": "on", "process_0_name": "Payables"}
    assert client_for(consultant).post(starter_url(org), data).status_code == 302
    assert org.processes.get().name == "Payables"


def test_names_are_user_text_escaped_and_out_of_htmx(org, owner):
    data = {"industry": "finance", "process_0": "on", "process_0_name": "<b hx-get=/x>"}
    data |= {"process_1": "on", "process_1_name": "Payroll"}
    data |= {"process_2": "on", "process_2_name": "Payroll"}  # twice: refused, page again
    body = client_for(owner).post(starter_url(org), data).content.decode()
    assert "<b hx-get=/x>" not in body and "&lt;b hx-get=/x&gt;" in body
    assert 'class="plain-list starter-list" hx-disable' in body


# --- The checklist of a new organisation --------------------------------------------------------


def checklist(client, org):
    body = client.get(reverse("org-home", args=[org.slug])).content.decode()
    return {
        step: f'data-step="{step}"' in body and f'setup-step done" data-step="{step}"' in body
        for step in ("sites", "processes", "team", "assessment", "integration")
    }, body


def test_a_new_client_organisations_checklist_follows_its_setup(consultant):
    client = client_for(consultant)
    form = {"name": "Initech", "industry": "logistics", "sites": "", "owner_email": "b@i.test"}
    client.post(reverse("organization-add"), form)
    org = consultant.memberships.get(organization__name="Initech").organization
    steps, body = checklist(client, org)
    assert steps == {
        "sites": False,
        "processes": False,
        "team": True,  # the owner is invited
        "assessment": False,
        "integration": False,
    }
    assert starter_url(org) in body  # the processes step starts from the suggestions
    data = {"industry": "logistics", "process_0": "on", "process_0_name": "Goods in"}
    data |= {"site_0": "on", "site_0_name": "Main warehouse"}
    client.post(starter_url(org), data)
    steps, _ = checklist(client, org)
    assert steps["sites"] and steps["processes"] and not steps["assessment"]


def test_the_team_step_is_open_without_members_or_invitations(org, owner):
    steps, _ = checklist(client_for(owner), org)
    assert steps["team"] is False
    Invitation.objects.create(organization=org, email="x@acme.test", role=Role.MEMBER)
    steps, _ = checklist(client_for(owner), org)
    assert steps["team"] is True


def test_a_consultants_sites_step_leads_to_a_page_they_may_use(org, consultant, owner):
    org.sites.all().delete()
    body = client_for(consultant).get(reverse("org-home", args=[org.slug])).content.decode()
    assert f'href="{starter_url(org)}">Add your plants' in body
    assert client_for(consultant).get(starter_url(org)).status_code == 200
    body = client_for(owner).get(reverse("org-home", args=[org.slug])).content.decode()
    assert f'href="{reverse("accounts:settings", args=[org.slug])}">Add your plants' in body
