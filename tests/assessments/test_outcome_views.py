"""Outcome KPI pages (list, add, edit, delete) and outcomes on the milestone, roadmap and
overview pages."""

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from assessments.models import Milestone, OutcomeKpi
from assessments.roadmaps.outcomes import baselines_freeze
from audit.models import AuditEvent
from integration.lineprotocol import Point
from integration.models import Integration
from integration.services import telemetry_ingest
from tests.assessments.roadmap_pages import url
from tests.conftest import client_for

TODAY = date(2026, 11, 25)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(datetime(2026, 11, 25, 10, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def integration(org):
    integration = Integration.objects.create(
        organization=org, name="Press line 3", created=datetime(2026, 8, 1, tzinfo=UTC)
    )
    start = TODAY - timedelta(days=40)
    values = [4, 5, 6, 5, 4, 6, 5] + [9] * 11 + [4, 4, 3, 5, 4, 4, 4]  # means 5, then 4
    points = [
        Point("downtime.h", (), datetime.combine(start + timedelta(days=i), time(12), UTC), v)
        for i, v in enumerate(map(float, values))
    ]
    telemetry_ingest(integration=integration, points=points, now=datetime.now(UTC))
    return integration


@pytest.fixture
def kpi(org, integration):
    return OutcomeKpi.objects.create(
        organization=org,
        name="Unplanned downtime",
        benefit="predictive-maintenance",
        integration=integration,
        metric="downtime.h",
        aggregate="sum",
        unit="h",
        window_days=7,
    )


def form(**fields):
    data = {
        "name": "Unplanned downtime",
        "benefit": "predictive-maintenance",
        "integration": "",
        "metric": "downtime.h",
        "aggregate": "sum",
        "unit": "h",
        "better": "lower",
        "window_days": "30",
        "description": "",
    }
    return {**data, **fields}


def test_owner_adds_a_kpi_and_it_is_audited(owner, integration):
    client = client_for(owner)
    response = client.post(url("kpi-create"), form(integration=integration.pk))
    assert response.status_code == 302
    kpi = OutcomeKpi.objects.get()
    assert (kpi.metric, kpi.aggregate, kpi.window_days) == ("downtime.h", "sum", 30)
    event = AuditEvent.objects.get(subject="KPI Unplanned downtime")
    assert event.after["metric"] == "downtime.h"
    html = client.get(url("kpi-list")).content.decode()
    assert "Unplanned downtime" in html and "Predictive maintenance" in html


def test_a_metric_the_integration_does_not_report_is_refused_next_to_the_field(owner, integration):
    response = client_for(owner).post(
        url("kpi-create"), form(integration=integration.pk, metric="downtime.min")
    )
    assert response.status_code == 400
    assert "Press line 3 reports no metric “downtime.min” (it has: downtime.h)" in (
        response.content.decode()
    )
    assert not OutcomeKpi.objects.exists()


def test_a_name_is_unique_within_the_organisation(owner, kpi, integration):
    response = client_for(owner).post(url("kpi-create"), form(integration=integration.pk))
    assert response.status_code == 400
    assert "The organisation has a KPI of this name already." in response.content.decode()


def test_another_organisations_integration_is_refused(owner, outsider, other_org):
    theirs = Integration.objects.create(organization=other_org, name="Theirs")
    response = client_for(owner).post(url("kpi-create"), form(integration=theirs.pk))
    assert response.status_code == 400
    assert "Choose one of the organisation&#x27;s integrations." in response.content.decode()


def test_members_read_the_list_but_do_not_change_kpis(member, kpi):
    client = client_for(member)
    assert client.get(url("kpi-list")).status_code == 200
    assert client.get(url("kpi-create")).status_code == 403
    assert client.post(url("kpi-delete", kpi.pk)).status_code == 403
    assert OutcomeKpi.objects.filter(pk=kpi.pk).exists()


def test_editing_a_kpi_is_audited_with_before_and_after(owner, kpi, integration):
    data = form(integration=integration.pk, window_days="14")
    assert client_for(owner).post(url("kpi-edit", kpi.pk), data).status_code == 302
    kpi.refresh_from_db()
    assert kpi.window_days == 14
    event = AuditEvent.objects.get(action="changed", subject="KPI Unplanned downtime")
    assert (event.before, event.after) == ({"window_days": 7}, {"window_days": 14})


def test_a_kpi_a_milestone_names_is_not_deleted(owner, kpi, roadmap):
    milestone = roadmap.milestones.first()
    milestone.kpi = kpi
    milestone.save()
    client = client_for(owner)
    response = client.post(url("kpi-delete", kpi.pk), follow=True)
    assert "choose another there first" in response.content.decode()
    assert "Unplanned downtime: no start date yet" in response.content.decode()
    assert OutcomeKpi.objects.filter(pk=kpi.pk).exists()
    milestone.kpi = None
    milestone.save()
    client.post(url("kpi-delete", kpi.pk))
    assert not OutcomeKpi.objects.exists()
    assert AuditEvent.objects.filter(action="removed", subject="KPI Unplanned downtime").exists()


def edit_data(m, **fields):
    data = {"title": m.title, "phase": m.phase, "status": m.status, "description": m.description}
    return {**data, **fields}


def test_milestone_edit_names_a_kpi_with_a_start_date(owner, kpi, roadmap):
    m = roadmap.milestones.get(to_level=2)
    client = client_for(owner)
    missing = client.post(url("milestone-edit", m.pk), edit_data(m, kpi=kpi.pk))
    assert missing.status_code == 400
    assert "A milestone with a KPI needs a start date" in missing.content.decode()
    data = edit_data(m, kpi=kpi.pk, start_date="2026-10-26", expected_change="-10", cost="1200")
    assert client.post(url("milestone-edit", m.pk), data).status_code == 302
    m.refresh_from_db()
    assert (m.kpi, m.start_date, m.expected_change) == (kpi, date(2026, 10, 26), -10)
    assert "KPI" in AuditEvent.of_scope(m).get().text


def test_milestone_edit_refuses_another_organisations_kpi(owner, roadmap, other_org):
    theirs_integration = Integration.objects.create(organization=other_org, name="Theirs")
    theirs = OutcomeKpi.objects.create(
        organization=other_org, name="X", benefit="efficiency", integration=theirs_integration
    )
    m = roadmap.milestones.get(to_level=2)
    data = edit_data(m, kpi=theirs.pk, start_date="2026-10-26")
    response = client_for(owner).post(url("milestone-edit", m.pk), data)
    assert response.status_code == 400
    assert "outcome KPIs." in response.content.decode()


@pytest.fixture
def measured(kpi, roadmap, owner):
    """Started 33 days ago (baseline: the 7 days before), done 22 days ago, measured since."""
    m = roadmap.milestones.get(to_level=2)
    m.kpi, m.start_date, m.expected_change = kpi, TODAY - timedelta(days=33), -10
    m.effort_days, m.cost = 12, 18500
    m.save()
    day_after = m.start_date + timedelta(days=1)  # the start date is a day of grace
    baselines_freeze(milestones=[m], now=datetime.combine(day_after, time(6), UTC))
    m.set_status(
        Milestone.Status.DONE, now=datetime.combine(TODAY - timedelta(days=23), time(9), UTC)
    )
    m.save()
    return m


SUMMARY = "Benefit realised: Unplanned downtime −20 % over 7 days, expected −10 %"


def test_the_milestone_shows_its_outcome_and_its_kpi_is_fixed(measured, member, owner):
    html = client_for(member).get(url("milestone-detail", measured.pk)).content.decode()
    assert SUMMARY in html
    assert "5.00 h" in html and "4.00 h" in html
    form_html = client_for(owner).get(url("milestone-edit", measured.pk)).content.decode()
    assert "Fixed: the baseline was measured from it." in form_html


def test_the_roadmap_shows_cost_against_realised_benefit(measured, member, roadmap):
    html = client_for(member).get(url("roadmap-detail", roadmap.pk)).content.decode()
    section = html.split('id="outcomes"', 1)[1].split("</section>", 1)[0]
    assert SUMMARY in section
    assert "18,500" in section and '12 <span class="muted small">person-days' in section


def test_the_overview_has_an_outcomes_card(measured, member):
    html = client_for(member).get(reverse("org-home", args=["acme"])).content.decode()
    assert SUMMARY in html.split('id="outcomes"', 1)[1]


def test_pages_without_kpis_show_no_outcome_card(roadmap, member):
    assert (
        'id="outcomes"'
        not in client_for(member).get(reverse("org-home", args=["acme"])).content.decode()
    )
    html = client_for(member).get(url("roadmap-detail", roadmap.pk)).content.decode()
    assert 'id="outcomes"' not in html


def test_a_frozen_kpi_keeps_its_series_window_and_direction(measured, owner, kpi, integration):
    client = client_for(owner)
    page = client.get(url("kpi-edit", kpi.pk))
    fixed = ("integration", "metric", "aggregate", "better", "window_days")
    assert all(page.context["form"].fields[name].disabled for name in fixed)
    assert not page.context["form"].fields["name"].disabled
    assert "stay as they were measured" in page.content.decode()
    data = form(integration=integration.pk, window_days="7")
    for name, value in (("better", "higher"), ("window_days", "30"), ("aggregate", "avg")):
        response = client.post(url("kpi-edit", kpi.pk), {**data, name: value})
        assert response.status_code == 400
        assert response.context["form"].errors[name] == [
            "Cannot change: a frozen baseline was measured with it."
        ]
    kpi.refresh_from_db()
    assert (kpi.better, kpi.window_days, kpi.aggregate) == ("lower", 7, "sum")
    renamed = {**data, "name": "Downtime", "unit": "hours", "description": "Unplanned stops."}
    assert client.post(url("kpi-edit", kpi.pk), renamed).status_code == 302
    kpi.refresh_from_db()
    assert (kpi.name, kpi.unit, kpi.better) == ("Downtime", "hours", "lower")
    summary = client.get(url("milestone-detail", measured.pk)).content.decode()
    assert "Benefit realised: Downtime −20 % over 7 days" in summary


def test_a_frozen_milestones_expected_change_is_fixed(measured, owner):
    client = client_for(owner)
    page = client.get(url("milestone-edit", measured.pk))
    assert page.context["form"].fields["expected_change"].disabled
    data = edit_data(measured, expected_change="-2", cost="18500", effort_days="12")
    client.post(url("milestone-edit", measured.pk), data)
    measured.refresh_from_db()
    assert measured.expected_change == -10


def exported(client, roadmap, kind):
    return client.get(url("roadmap-export", roadmap.pk, kind))


def test_the_roadmap_export_carries_each_outcome_as_the_pages_show_it(measured, member, roadmap):
    client = client_for(member)
    rows = list(csv.DictReader(io.StringIO(exported(client, roadmap, "csv").content.decode())))
    row = next(r for r in rows if r["Milestone"] == measured.title)
    interval = row["Interval"]
    assert {k: row[k] for k in list(row)[-10:] if k != "Interval"} == {
        "Outcome KPI": "Unplanned downtime",
        "KPI unit": "h",
        "Baseline mean": "5.00",
        "After mean": "4.00",
        "Change": "−20 %",
        "Expected change": "−10 %",
        "Outcome": SUMMARY,
        "Effort (person-days)": "12",
        "Cost estimate": "18500",
    }
    page = client.get(url("roadmap-detail", roadmap.pk)).content.decode()
    assert interval.startswith("95 % CI −") and f"· {interval}</span>" in page
    others = [r for r in rows if r["Milestone"] != measured.title]
    assert others and all(r["Outcome KPI"] == r["Outcome"] == r["Change"] == "" for r in others)

    sheet = load_workbook(io.BytesIO(exported(client, roadmap, "xlsx").content)).active
    header = [c.value for c in sheet[1]]
    line = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if measured.title in r)
    cells = dict(zip(header, line, strict=True))
    assert (cells["Baseline mean"], cells["After mean"]) == (5, 4)  # numbers in the workbook
    assert (cells["Change"], cells["Interval"], cells["Outcome"]) == ("−20 %", interval, SUMMARY)
    assert (cells["Effort (person-days)"], cells["Cost estimate"]) == (12, 18500)


def test_the_outcome_columns_never_hold_a_formula(measured, member, roadmap, kpi):
    kpi.name, kpi.unit = '=HYPERLINK("http://x","y")', "@h"
    kpi.save()
    client = client_for(member)
    text = exported(client, roadmap, "csv").content.decode()
    assert ',"\'=HYPERLINK(""http://x"",""y"")",\'@h,' in text
    sheet = load_workbook(io.BytesIO(exported(client, roadmap, "xlsx").content)).active
    kpi_cells = [c for c in sheet[get_column(sheet, "Outcome KPI")] if c.row > 1 and c.value]
    assert kpi_cells and all(c.data_type == "s" for c in kpi_cells)
    assert kpi_cells[0].value == kpi.name


def get_column(sheet, title):
    index = next(c.column for c in sheet[1] if c.value == title)
    return get_column_letter(index)
