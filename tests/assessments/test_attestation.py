"""Attestations: who signs (a consultant or an auditor, never an owner), the window's rules,
the frozen history (never changes afterwards), and what an auditor sees of the history."""

from datetime import UTC, date, datetime, timedelta

import pytest

from accounts.models import Membership, Role
from assessments.models import Attestation
from assessments.models.verification import CheckBinding, CheckResult, ProcessCheck
from assessments.verified.attestation import (
    AttestationRefused,
    attestation_sign,
    window_history,
)
from audit.models import AuditEvent
from integration.models import Integration
from tests.assessments.conftest import NOW, make_process
from tests.conftest import client_for, make_user

CHECK = "mfg-2-machine-data-arrives"
DAY = timedelta(days=1)


def at(y, m, d, h=0):
    return datetime(y, m, d, h, tzinfo=UTC)


@pytest.fixture
def history(org, framework, owner):
    """A bound check with three runs: failing across the window's start, passing, failing
    after the window's end (window: 1 Mar to 31 Mar 2026)."""
    process = make_process(org)
    line = Integration.objects.create(organization=org, name="Press line")
    check = ProcessCheck.objects.create(process=process, framework=framework, check_key=CHECK)
    CheckBinding.objects.create(process_check=check, role="machine", integration=line)
    ProcessCheck.objects.create(process=process, framework=framework, check_key="unbound")
    runs = [
        ("failing", at(2026, 2, 20), at(2026, 3, 6), "too few points"),
        ("passing", at(2026, 3, 6), at(2026, 3, 30), ""),
        ("failing", at(2026, 4, 3), at(2026, 4, 20), "gap"),
    ]
    for state, first, last, reason in runs:
        CheckResult.objects.create(
            process_check=check,
            state=state,
            threshold=0.95,
            reason=reason,
            first=first,
            last=last,
            measured=0.5 if state == "failing" else 0.99,
        )
    return check


def make_auditor(org, start=date(2026, 1, 1), end=date(2026, 12, 31)):
    user = make_user("auditor@audit.test")
    Membership.objects.create(
        user=user, organization=org, role=Role.AUDITOR, observe_from=start, observe_to=end
    )
    return user


def sign(org, user, start=date(2026, 3, 1), end=date(2026, 3, 31), **extra):
    return attestation_sign(
        organization=org,
        user=user,
        start=start,
        end=end,
        statement="Checks ran as shown.",
        now=NOW,
        **extra,
    )


def test_the_windows_history_is_clipped_to_the_window(org, history):
    data = window_history(org, date(2026, 3, 1), date(2026, 3, 31))
    (check,) = data["checks"]  # the check never judged is not attested
    assert (check["key"], check["process"]) == (CHECK, history.process.name)
    assert check["bindings"] == [{"role": "machine", "integration": "Press line", "metric": ""}]
    assert [(r["state"], r["first"][:10], r["last"][:10]) for r in check["runs"]] == [
        ("failing", "2026-03-01", "2026-03-06"),
        ("passing", "2026-03-06", "2026-03-30"),
    ]
    # A run stands until the next begins, at most an hour past its last evaluation: the
    # passing run covers 24 days and an hour, the failing one its 5 days in the window.
    assert check["pass_share"] == pytest.approx((24 * 24 + 1) / (29 * 24 + 1), abs=1e-4)
    assert data["summary"] == {"checks": 1, "runs": 2, "pass_share": check["pass_share"]}


def test_an_owner_cannot_attest(org, owner, history):
    with pytest.raises(AttestationRefused, match="An owner cannot sign"):
        sign(org, owner)
    response = client_for(owner).get(f"/o/{org.slug}/reports/attest/")
    assert response.status_code == 403
    assert b"An owner cannot sign an attestation" in response.content
    assert not Attestation.objects.exists()


def test_members_and_viewers_cannot_attest(org, member, viewer):
    for user in (member, viewer):
        with pytest.raises(AttestationRefused, match="Only consultants and auditors"):
            sign(org, user)
        assert client_for(user).post(f"/o/{org.slug}/reports/attest/").status_code == 403


def test_a_consultant_signs_and_the_figures_are_frozen(org, consultant, history, frozen):
    attestation = sign(org, consultant)
    assert (attestation.signed_as, attestation.signed_by) == ("consultant", consultant)
    before = attestation.data
    # Later: the check's history grows, its binding goes, the check itself goes.
    CheckResult.objects.filter(process_check=history).update(state="failing", reason="changed")
    CheckBinding.objects.all().delete()
    history.delete()
    attestation.refresh_from_db()
    assert attestation.data == before
    assert attestation.data["checks"][0]["runs"][1]["state"] == "passing"
    page = client_for(consultant).get(f"/o/{org.slug}/reports/attestations/{attestation.pk}/")
    assert page.status_code == 200
    assert b"82.8%" in page.content  # 24 of 29 days, as frozen
    with pytest.raises(ValueError, match="never changes"):
        attestation.save()
    event = AuditEvent.objects.get(action="attested")
    assert (event.area, event.actor) == ("checks", consultant)


def test_an_auditor_signs_within_their_window_only(org, history):
    auditor = make_auditor(org, date(2026, 2, 1), date(2026, 7, 31))
    assert sign(org, auditor).signed_as == "auditor"
    with pytest.raises(AttestationRefused, match="attest a window inside it"):
        sign(org, auditor, start=date(2026, 1, 15), end=date(2026, 3, 31))


@pytest.mark.parametrize(
    "start,end,error",
    [
        (date(2025, 3, 1), date(2026, 3, 1), "at most 12 months"),
        (date(2026, 11, 1), NOW.date() + DAY, "cannot end in the future"),
        (date(2026, 3, 31), date(2026, 3, 1), "comes before"),
    ],
)
def test_a_refused_window(org, consultant, start, end, error):
    with pytest.raises(AttestationRefused, match=error):
        sign(org, consultant, start=start, end=end)


def test_the_attest_page_previews_then_signs(org, consultant, history, frozen):
    client = client_for(consultant)
    url = f"/o/{org.slug}/reports/attest/"
    blank = client.get(url).content.decode()  # dates as a date input reads them (ISO)
    assert 'value="2025-11-25"' in blank and 'value="2026-11-24"' in blank
    form = {
        "window_start": "2026-03-01",
        "window_end": "2026-03-31",
        "statement": "<script>alert(1)</script> ran as shown",
    }
    preview = client.post(url, {**form, "action": "preview"})
    assert preview.status_code == 200 and b"82.8%" in preview.content
    assert not Attestation.objects.exists()
    too_long = client.post(url, {**form, "window_start": "2025-01-01", "action": "sign"})
    assert too_long.status_code == 400 and b"at most 12 months" in too_long.content
    signed = client.post(url, {**form, "action": "sign"})
    attestation = Attestation.objects.get()
    assert signed.url == f"/o/{org.slug}/reports/attestations/{attestation.pk}/"
    page = client.get(signed.url)
    assert b"<script>alert(1)" not in page.content and b"&lt;script&gt;" in page.content
    listed = client.get(f"/o/{org.slug}/reports/")
    assert f"/reports/attestations/{attestation.pk}/".encode() in listed.content


def test_an_auditor_sees_exactly_the_windows_attestations_and_history(org, consultant, history):
    inside = sign(org, consultant)
    outside = sign(org, consultant, start=date(2025, 6, 1), end=date(2025, 12, 31))
    auditor = make_auditor(org, date(2026, 3, 1), date(2026, 7, 31))
    client = client_for(auditor)
    base = f"/o/{org.slug}/reports/attestations/"
    assert client.get(f"{base}{inside.pk}/").status_code == 200
    assert client.get(f"{base}{outside.pk}/").status_code == 404
    listed = client.get(f"/o/{org.slug}/reports/").content
    assert (
        f"{base}{inside.pk}/".encode() in listed and f"{base}{outside.pk}/".encode() not in listed
    )
    # The attest page shows the auditor's window, clipped to it, nothing earlier.
    preview = client.post(
        f"/o/{org.slug}/reports/attest/",
        {
            "window_start": "2026-03-01",
            "window_end": "2026-07-31",
            "statement": "s",
            "action": "preview",
        },
    )
    assert preview.status_code == 200
    runs = preview.context["preview"]["checks"][0]["runs"]
    assert runs[0]["first"] == at(2026, 3, 1) and runs[-1]["last"] == at(2026, 4, 20)
    assert len(runs) == 3
    wider = client.post(
        f"/o/{org.slug}/reports/attest/",
        {
            "window_start": "2026-02-01",
            "window_end": "2026-07-31",
            "statement": "s",
            "action": "preview",
        },
    )
    assert wider.status_code == 400 and wider.context["preview"] is None


def test_another_organisations_attestation_is_404(org, other_org, consultant, outsider, history):
    attestation = sign(org, consultant)
    url = f"/o/{other_org.slug}/reports/attestations/{attestation.pk}/"
    assert client_for(outsider).get(url).status_code == 404


def test_a_short_failure_between_evaluations_counts_in_the_pass_share(org, framework):
    """Evaluations every 5 minutes: 11 pass, 1 fails, over and over. The failing runs have one
    evaluation each, yet cover their 5 minutes: the share is 55 of 60 minutes, not 100 %."""
    process = make_process(org)
    check = ProcessCheck.objects.create(process=process, framework=framework, check_key=CHECK)
    start, step = at(2026, 3, 2), timedelta(minutes=5)
    for hour in range(6):
        base = start + hour * 12 * step
        for state, first, last in (
            ("passing", base, base + 10 * step),
            ("failing", base + 11 * step, base + 11 * step),
        ):
            CheckResult.objects.create(
                process_check=check, state=state, threshold=0.95, first=first, last=last
            )
    (row,) = window_history(org, date(2026, 3, 1), date(2026, 3, 31))["checks"]
    # The last failing run stands an hour (nothing follows it): 5 x 55 min of 5 x 60 + 55 + 60.
    assert row["pass_share"] == pytest.approx(6 * 55 / (5 * 60 + 55 + 60), abs=1e-4)
