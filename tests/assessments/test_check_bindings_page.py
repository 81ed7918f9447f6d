"""The check bindings page: members see each process's checks, facilitators bind one
integration to one check role on several processes at once (each binding audited)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from assessments.models import Process
from assessments.models.verification import CheckBinding, ProcessCheck
from assessments.verified.board import bind_many
from audit.models import AuditEvent
from integration.models import Integration
from tests.assessments.conftest import NOW, make_assessment, make_process
from tests.assessments.test_verified_evaluate import feed
from tests.conftest import client_for

CHECK = "mfg-2-machine-data-arrives"
DAY, HOUR = timedelta(days=1), timedelta(hours=1)


@pytest.fixture
def setup(org, framework):
    press = make_process(org, "Press line")
    paint = make_process(org, "Paint shop")
    store = make_process(org, "Store sales", area="retail")
    assessment = make_assessment(org, framework, [press, paint, store])
    line = Integration.objects.create(organization=org, name="Line historian")
    role = framework.definition.check(CHECK).roles[0]
    return {"processes": (press, paint, store), "line": line, "role": role, "a": assessment}


def url(org):
    return reverse("assessments:check-bindings", args=[org.slug])


def test_members_and_viewers_see_the_checks_but_no_form(org, setup, member, viewer):
    for user in (member, viewer):
        response = client_for(user).get(url(org))
        page = response.content.decode()
        assert response.status_code == 200
        assert "Press line" in page and "Store sales" in page
        assert "Machine data" in page and "not bound" in page and "unbound" in page
        assert 'id="bind"' not in page and 'class="table-scroll"' in page


def test_a_bound_check_names_its_role_and_integration_escaped(org, setup, owner, member):
    press = setup["processes"][0]
    Integration.objects.filter(pk=setup["line"].pk).update(name='<b hx-get="/x">Line</b>')
    setup["line"].refresh_from_db()
    bind_many(
        processes=[press],
        framework=setup["a"].framework,
        check_key=CHECK,
        role=setup["role"],
        integration=setup["line"],
        metric="",
        user=owner,
    )
    page = client_for(member).get(url(org)).content.decode()
    assert f"{setup['role']}: &lt;b hx-get=&quot;/x&quot;&gt;Line&lt;/b&gt;" in page
    assert '<b hx-get="/x">' not in page


def test_members_cannot_bind(org, setup, member, viewer):
    press = setup["processes"][0]
    data = {
        "check_role": f"{CHECK}::{setup['role']}",
        "integration": setup["line"].pk,
        "processes": [press.pk],
    }
    for user in (member, viewer):
        assert client_for(user).post(url(org), data).status_code == 403
    assert not CheckBinding.objects.exists()


def test_a_facilitator_binds_several_processes_at_once(org, setup, owner):
    press, paint, _ = setup["processes"]
    response = client_for(owner).post(
        url(org),
        {
            "check_role": f"{CHECK}::{setup['role']}",
            "integration": setup["line"].pk,
            "processes": [press.pk, paint.pk],
        },
    )
    assert response.status_code == 302
    bound = CheckBinding.objects.filter(integration=setup["line"], role=setup["role"])
    assert {b.process_check.process for b in bound} == {press, paint}
    assert AuditEvent.objects.filter(area="checks", action="bind").count() == 2
    page = client_for(owner).get(url(org)).content.decode()
    assert f"{setup['role']}: Line historian" in page
    assert "<title>Checks · Acme Precision · Ladder</title>" in page
    assert page.index('class="table-scroll"') < page.index('id="bind"')  # the board first


def test_errors_are_shown_next_to_the_field_and_nothing_is_bound(org, setup, owner, other_org):
    press, _, store = setup["processes"]
    client = client_for(owner)
    response = client.post(
        url(org),
        {
            "check_role": f"{CHECK}::{setup['role']}",
            "integration": setup["line"].pk,
            "processes": [press.pk, store.pk],
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_processes_error"' in page and "not one of these processes" in page
    assert "Store sales" in page.split('id="id_processes_error"')[1].split("</p>")[0]
    # A value check without its metric.
    response = client.post(
        url(org),
        {
            "check_role": "ret-2-sales-reach-stock::sales POS→inventory",
            "integration": setup["line"].pk,
            "processes": [store.pk],
        },
    )
    assert response.status_code == 400
    assert 'id="id_metric_error"' in response.content.decode()
    # Another organisation's integration is not a choice.
    theirs = Integration.objects.create(organization=other_org, name="Theirs")
    response = client.post(
        url(org),
        {
            "check_role": f"{CHECK}::{setup['role']}",
            "integration": theirs.pk,
            "processes": [press.pk],
        },
    )
    assert response.status_code == 400 and 'id="id_integration_error"' in response.content.decode()
    assert not CheckBinding.objects.exists()


def test_the_processes_page_links_to_it(org, setup, viewer):
    page = client_for(viewer).get(reverse("assessments:processes", args=[org.slug]))
    assert url(org) in page.content.decode()


def test_without_an_open_assessment_the_default_framework_and_all_processes(org, framework, member):
    make_process(org, "Press line")
    page = client_for(member).get(url(org)).content.decode()
    assert "Press line" in page and "Machine data" in page


def test_outsiders_get_a_404(org, setup, outsider):
    assert client_for(outsider).get(url(org)).status_code == 404


def test_preview_shows_each_processes_days_and_saves_nothing(org, setup, owner, frozen):
    """The press line's own threshold (tightened) is judged with it: its days differ."""
    press, paint, _ = setup["processes"]
    Integration.objects.filter(pk=setup["line"].pk).update(
        created=NOW - 30 * DAY, interval_seconds=300
    )
    # On 23 November the week's window holds 95.8 % of its intervals: enough for the
    # framework's 0.95, not for the press line's own 0.96.
    feed(setup["line"], start=NOW - 8 * DAY - 3 * HOUR, end=NOW)
    row = ProcessCheck.objects.create(
        process=press, framework=setup["a"].framework, check_key=CHECK, threshold=0.96
    )
    Process.objects.filter(pk=paint.pk).update(name='<b hx-get="/x">Paint</b>')
    data = {
        "check_role": f"{CHECK}::{setup['role']}",
        "integration": setup["line"].pk,
        "processes": [press.pk, paint.pk],
        "action": "preview",
    }
    response = client_for(owner).post(url(org), data)
    assert response.status_code == 200
    page = response.content.decode()
    shown = page[page.index('id="bulk-preview"') :]
    days = {
        pk: re.findall(r'class="preview-day day-([\w-]+)"', block.split("</ol>")[0])
        for pk, block in re.findall(r'id="preview-(\d+)"(.*?)</div>', shown, re.S)
    }
    assert set(days) == {str(press.pk), str(paint.pk)}
    assert [len(d) for d in days.values()] == [14, 14]
    assert days[str(paint.pk)][-1] == "passing" and "failing" in days[str(paint.pk)]
    assert days[str(press.pk)][-3:] == ["failing", "passing", "passing"]  # its own threshold
    assert days[str(paint.pk)][-3:] == ["passing"] * 3
    assert "&lt;b hx-get=&quot;/x&quot;&gt;Paint&lt;/b&gt;" in shown
    assert not CheckBinding.objects.exists() and not AuditEvent.objects.exists()
    assert ProcessCheck.objects.get() == row and row.state == "not tested"
    assert 'value="preview"' in page and 'value="bind"' in page  # the form stays, filled in
    ticked = re.findall(r'<input type="checkbox" name="processes" value="(\d+)"[^>]*checked', page)
    assert sorted(ticked) == sorted([str(press.pk), str(paint.pk)])


def test_a_refused_preview_shows_the_errors_and_no_days(org, setup, owner, frozen):
    _, _, store = setup["processes"]
    data = {
        "check_role": f"{CHECK}::{setup['role']}",
        "integration": setup["line"].pk,
        "processes": [store.pk],
        "action": "preview",
    }
    response = client_for(owner).post(url(org), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "not one of these processes" in page and 'id="bulk-preview"' not in page
    assert not ProcessCheck.objects.exists()


def test_bind_after_preview_saves(org, setup, owner):
    press, _, _ = setup["processes"]
    data = {
        "check_role": f"{CHECK}::{setup['role']}",
        "integration": setup["line"].pk,
        "processes": [press.pk],
        "action": "bind",
    }
    assert client_for(owner).post(url(org), data).status_code == 302
    assert CheckBinding.objects.get().process_check.process == press
