"""The auditor role: read-only, one organisation, one observation window of up to 12 months.

Every write is a 403 (as for viewers); an assessment, report or audit event outside the window
is a 404 or left out of the lists; the window is required and at most 12 months, for a
membership, an invitation and a role change alike."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from accounts.forms import InvitationForm, RoleForm
from accounts.models import Invitation, Membership, Role
from assessments.models import Assessment, FrameworkVersion, Report
from audit.models import AuditEvent
from tests.conftest import client_for, make_user
from tests.test_tenancy import fill, org_scoped_routes

WINDOW = (date(2026, 1, 1), date(2026, 12, 31))


def make_auditor(org, window=WINDOW, email="auditor@audit.test"):
    user = make_user(email)
    Membership.objects.create(
        user=user,
        organization=org,
        role=Role.AUDITOR,
        observe_from=window[0],
        observe_to=window[1],
    )
    return user


@pytest.fixture
def auditor(org):
    return make_auditor(org)


def assessment_on(org, day, title):
    framework = FrameworkVersion.objects.shipped()
    return Assessment.objects.create(
        organization=org, framework=framework, title=title, assessed_on=day
    )


def test_an_auditor_reads_but_never_writes_nor_facilitates(org, owner, auditor):
    membership = Membership.objects.get(user=auditor)
    assert (membership.can_write, membership.can_facilitate, membership.can_manage) == (
        False,
        False,
        False,
    )
    assert membership.can_attest and membership.can_audit
    assert membership.window == WINDOW
    assert Membership.objects.get(organization=org, user__email="owner@acme.test").window is None


def test_every_write_view_is_403_for_an_auditor(org, owner, auditor):
    """Each organisation URL, posted by an auditor, is refused: only the attest page (their
    own signature) and the calendar key (their own) accept an auditor's POST."""
    own = {"attest", "feed-reset"}
    client = client_for(auditor)
    checked = 0
    for route, name in org_scoped_routes():
        if name in own:
            continue
        url = fill(route, org, owner)
        status = client.post(url, {"role": "owner", "name": "x"}).status_code
        assert status in (403, 404), (url, status)  # 404: an object outside the window
        checked += 1
    assert checked > 40


def test_pages_an_auditor_never_uses(org, owner, auditor):
    client = client_for(auditor)
    for name in ("members", "settings"):
        assert client.get(f"/o/{org.slug}/{name}/").status_code == 403, name
    assert client.get(f"/o/{org.slug}/processes/new/").status_code == 403


def test_an_auditor_sees_only_the_windows_assessments(org, auditor):
    inside = assessment_on(org, date(2026, 3, 1), "Spring audit")
    outside = assessment_on(org, date(2025, 11, 1), "Last autumn")
    client = client_for(auditor)
    assert client.get(f"/o/{org.slug}/assessments/{inside.pk}/").status_code == 200
    assert client.get(f"/o/{org.slug}/assessments/{outside.pk}/").status_code == 404
    listed = client.get(f"/o/{org.slug}/assessments/")
    assert b"Spring audit" in listed.content and b"Last autumn" not in listed.content


def test_an_auditor_of_one_organisation_sees_nothing_of_another(org, other_org, auditor):
    theirs = assessment_on(other_org, date(2026, 3, 1), "Theirs")
    client = client_for(auditor)
    assert client.get(f"/o/{other_org.slug}/assessments/{theirs.pk}/").status_code == 404
    assert client.get(f"/o/{org.slug}/assessments/{theirs.pk}/").status_code == 404


def test_reports_and_audit_events_are_cut_to_the_window(org, owner, auditor):
    inside = assessment_on(org, date(2026, 3, 1), "Spring audit")
    outside = assessment_on(org, date(2025, 11, 1), "Last autumn")
    made = {
        "in": Report.objects.create(organization=org, assessment=inside, created=_at(2026, 3, 2)),
        "old": Report.objects.create(organization=org, assessment=outside, created=_at(2026, 3, 2)),
        "late": Report.objects.create(organization=org, assessment=inside, created=_at(2027, 1, 2)),
        "compared to old": Report.objects.create(
            organization=org,
            assessment=inside,
            compared_to=outside,
            kind=Report.Kind.COMPARISON,
            created=_at(2026, 3, 2),
        ),
    }
    client = client_for(auditor)
    for key, report in made.items():
        status = client.get(f"/o/{org.slug}/reports/{report.pk}/").status_code
        assert status == (200 if key == "in" else 404), key
    for day, subject in ((_at(2026, 5, 1), "Inside event"), (_at(2025, 5, 1), "Old event")):
        AuditEvent.objects.create(
            organization=org, at=day, area="members", action="x", subject=subject
        )
    page = client.get(f"/o/{org.slug}/audit/")
    assert page.status_code == 200
    assert b"Inside event" in page.content and b"Old event" not in page.content


def _at(year, month, day):
    from datetime import datetime

    from django.utils import timezone

    return timezone.make_aware(datetime(year, month, day, 12))


@pytest.mark.parametrize(
    "start,end,error",
    [
        (None, date(2026, 6, 30), "first and last day"),
        (date(2026, 6, 30), date(2026, 1, 1), "comes before"),
        (date(2026, 1, 1), date(2027, 1, 1), "at most 12 months"),
        (date(2024, 2, 29), date(2025, 2, 28), "at most 12 months"),
    ],
)
def test_a_window_is_required_and_at_most_12_months(org, start, end, error):
    membership = Membership(
        organization=org,
        user=make_user("a@x.test"),
        role=Role.AUDITOR,
        observe_from=start,
        observe_to=end,
    )
    with pytest.raises(ValidationError, match=error):
        membership.full_clean()


def test_12_months_exactly_is_accepted_and_others_lose_a_window(org):
    membership = Membership(
        organization=org,
        user=make_user("a@x.test"),
        role=Role.AUDITOR,
        observe_from=date(2026, 1, 1),
        observe_to=date(2026, 12, 31),
    )
    membership.full_clean()
    membership.role = Role.VIEWER
    membership.full_clean()
    assert (membership.observe_from, membership.observe_to, membership.window) == (None, None, None)


def test_an_auditors_invitation_carries_the_window(org, owner):
    data = {"email": "ext@audit.test", "role": "auditor", "observe_from": "2026-01-01"}
    form = InvitationForm(data, organization=org)
    assert not form.is_valid()
    assert "first and last day" in str(form.errors["observe_to"])
    form = InvitationForm({**data, "observe_to": "2027-03-01"}, organization=org)
    assert "at most 12 months" in str(form.errors["observe_to"])
    form = InvitationForm({**data, "observe_to": "2026-09-30"}, organization=org)
    assert form.is_valid(), form.errors
    invitation = form.save(commit=False)
    invitation.organization, invitation.invited_by = org, owner
    invitation.save()
    membership = Invitation.objects.get().accept(make_user("ext@audit.test"))
    assert membership.window == (date(2026, 1, 1), date(2026, 9, 30))
    assert not membership.can_write


def test_the_invite_page_refuses_an_auditor_without_a_window(org, owner):
    client = client_for(owner)
    response = client.post(
        f"/o/{org.slug}/members/", {"email": "ext@audit.test", "role": "auditor"}
    )
    assert response.status_code == 400
    assert b"first and last day" in response.content
    assert not Invitation.objects.exists()


def test_making_a_member_an_auditor_needs_a_window(org, owner, member):
    membership = Membership.objects.get(user=member)
    form = RoleForm({"role": "auditor"}, instance=membership)
    assert not form.is_valid()
    assert "observation window" in str(form.errors["role"])
    response = client_for(owner).post(
        f"/o/{org.slug}/members/{membership.pk}/role/", {"role": "auditor"}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER


def test_role_choices_list_the_auditor(org, owner):
    page = client_for(owner).get(f"/o/{org.slug}/members/")
    assert b'<option value="auditor">Auditor</option>' in page.content
    assert b"<dt>Auditor</dt>" in page.content


def test_the_overview_shows_an_auditor_only_the_windows_assessments(org, owner, auditor):
    assessment_on(org, date(2026, 3, 1), "Spring audit")
    assessment_on(org, date(2027, 2, 1), "After the window")
    page = client_for(auditor).get(f"/o/{org.slug}/")
    assert page.status_code == 200
    assert b"Spring audit" in page.content and b"After the window" not in page.content
    assert b"After the window" in client_for(owner).get(f"/o/{org.slug}/").content


def test_the_portfolio_shows_an_auditor_only_the_windows_assessments(org, owner, auditor):
    assessment_on(org, date(2026, 3, 1), "Spring audit")
    assessment_on(org, date(2027, 2, 1), "After the window")
    page = client_for(auditor).get("/portfolio/")
    assert page.status_code == 200
    assert b"Spring audit" in page.content and b"After the window" not in page.content
    assert b"After the window" in client_for(owner).get("/portfolio/").content


def test_an_auditor_sees_the_checks_history_of_the_window_only(org, owner):
    """The process page's 30-day strip shows results only on the window's days (days after it
    are blank, however the check went on), and the Checks page of today is not theirs."""
    from datetime import UTC, datetime

    import time_machine

    from assessments.models import Process, ProcessScore
    from assessments.models.verification import CheckBinding, CheckResult, ProcessCheck
    from integration.models import Integration

    auditor = make_auditor(org, window=(date(2026, 10, 1), date(2026, 11, 15)))
    process = Process.objects.create(organization=org, name="Press line", area="manufacturing")
    assessment = assessment_on(org, date(2026, 11, 1), "Autumn")
    score = ProcessScore.objects.create(assessment=assessment, process=process)
    check = ProcessCheck.objects.create(
        process=process, framework=assessment.framework, check_key="mfg-2-machine-data-arrives"
    )
    line = Integration.objects.create(organization=org, name="Press feed")
    CheckBinding.objects.create(process_check=check, role="machine data PLC→MES", integration=line)
    for day in range(1, 30):  # passing every day of November
        at = datetime(2026, 11, day, 12, tzinfo=UTC)
        CheckResult.objects.create(
            process_check=check, state="passing", threshold=0.95, first=at, last=at
        )
    url = f"/o/{org.slug}/assessments/{assessment.pk}/processes/{score.pk}/"
    with time_machine.travel(datetime(2026, 11, 29, 18, tzinfo=UTC), tick=False):
        auditor_page = client_for(auditor).get(url).content.decode()
        owner_page = client_for(owner).get(url).content.decode()
        checks_page = client_for(auditor).get(f"/o/{org.slug}/checks/")

    def passing_days(html):
        block = html[html.index('id="check-mfg-2-machine-data-arrives"') :]
        return block[: block.index("</ol>")].count('class="day day-passing"')

    assert passing_days(owner_page) == 29  # every day of November up to today
    assert passing_days(auditor_page) == 15  # 1 to 15 November: the window's days only
    assert checks_page.status_code == 403
