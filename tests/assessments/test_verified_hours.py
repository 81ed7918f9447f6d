"""Checks that count only operating hours read the process's site's hours and time zone."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from assessments.models.verification import ProcessCheck
from assessments.verified.bindings import check_bind, check_preview
from assessments.verified.evaluate import NO_HOURS, evaluate_round
from integration.lineprotocol import Point
from integration.models import Integration
from integration.services import telemetry_ingest
from tests.assessments.conftest import NOW, make_process

CHECK = "ret-2-sales-reach-stock"  # max of the delay <= 900 s over 7 days, operating hours only
BERLIN = ZoneInfo("Europe/Berlin")
STEP = timedelta(minutes=5)


def open_hours(ts):
    local = ts.astimezone(BERLIN)
    return local.weekday() < 5 and 6 <= local.hour < 22


@pytest.fixture
def sales(org, framework, owner):
    """A store process whose sales delay is short in Berlin's opening hours (Mon-Fri 06-22)
    and long at night, when nobody sells; posted as it happens."""
    pos = Integration.objects.create(
        organization=org, name="POS", created=NOW - timedelta(days=30), interval_seconds=300
    )
    process = make_process(org, "Store sales", area="retail")
    check = framework.definition.check(CHECK)
    check_bind(
        process=process,
        framework=framework,
        check_key=CHECK,
        role=check.roles[0],
        integration=pos,
        metric="delay",
        user=owner,
    )
    ts, i, batch = NOW - timedelta(days=8), 0, []
    while ts < NOW:
        value = 100.0 + (i % 7) * 10 if open_hours(ts) else 5000.0 + i % 7
        batch.append(Point("delay", (), ts, value))
        ts, i = ts + STEP, i + 1
        if len(batch) == 4 or ts >= NOW:
            telemetry_ingest(integration=pos, points=batch, now=ts)
            batch = []
    return ProcessCheck.objects.get(process=process)


def test_no_site_means_not_tested(sales):
    evaluate_round(now=NOW)
    sales.refresh_from_db()
    assert (sales.state, sales.reason) == ("not tested", NO_HOURS)


def test_a_site_without_hours_means_not_tested(sales, org):
    sales.process.site = org.sites.get()
    sales.process.save()
    evaluate_round(now=NOW)
    sales.refresh_from_db()
    assert (sales.state, sales.reason) == ("not tested", NO_HOURS)


@pytest.mark.parametrize(
    "zone,state",
    [("Europe/Berlin", "passing"), ("UTC", "failing")],  # UTC's 06-22 takes in Berlin's nights
)
def test_the_sites_hours_in_its_time_zone_are_judged(sales, org, zone, state):
    site = org.sites.get()
    site.timezone, site.operating_hours = zone, "Mon-Fri 06:00-22:00"
    site.save()
    sales.process.site = site
    sales.process.save()
    evaluate_round(now=NOW)
    sales.refresh_from_db()
    assert sales.state == state, sales.reason
    if state == "passing":
        assert sales.measured == pytest.approx(160.0)


def test_the_binding_preview_judges_the_same_hours_as_the_evaluator(sales, org, framework):
    """The 14-day preview reads the site's hours too: without them it says why it cannot
    judge; with Berlin's it passes the days the evaluator passes."""
    check = framework.definition.check(CHECK)
    pos = sales.bindings.get().integration
    bound = {check.roles[0]: (pos, "delay")}
    days = check_preview(check=check, bound=bound, threshold=None, now=NOW, site=None)
    assert [(d.passed, d.reason) for d in days] == [(None, NO_HOURS)]
    site = org.sites.get()
    site.timezone, site.operating_hours = "Europe/Berlin", "Mon-Fri 06:00-22:00"
    site.save()
    days = check_preview(check=check, bound=bound, threshold=None, now=NOW, site=site)
    assert days[-1].passed is True and days[-1].measured == pytest.approx(160.0)
