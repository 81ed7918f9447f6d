import contextlib
import io
import json

import pytest
from django.core.management import CommandError, ManagementUtility, call_command

from accounts.models import Invitation, Organization, Role
from audit.models import AuditEvent


def run(*args):
    out = io.StringIO()
    call_command("create_org", *args, stdout=out)
    return out.getvalue()


def test_it_creates_the_organisation_and_prints_one_json_line(
    db, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://ladder.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        out = run("acme", "Acme Precision", "--owner", "Olive@Acme.test")
    lines = out.splitlines()
    assert len(lines) == 1
    invitation = Invitation.objects.get()
    assert json.loads(lines[0]) == {
        "organization": "acme",
        "invitation_url": f"https://ladder.example.com/invitations/{invitation.token}/",
    }
    org = Organization.objects.get()
    assert (org.slug, org.name) == ("acme", "Acme Precision")
    assert (invitation.organization, invitation.email, invitation.role) == (
        org,
        "olive@acme.test",
        Role.OWNER,
    )
    assert invitation.invited_by is None
    assert mailoutbox[0].to == ["olive@acme.test"]
    assert invitation.token in mailoutbox[0].body
    assert mailoutbox[0].subject == "You are invited to Acme Precision on Ladder"
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {"created", "invited"}


def test_a_taken_slug_is_refused(org):
    with pytest.raises(CommandError, match="slug acme exists already"):
        run("acme", "Another Acme", "--owner", "x@acme.test")
    assert Organization.objects.count() == 1 and not Invitation.objects.exists()


@pytest.mark.parametrize("email", ["not-an-address", "olive@acmé.test"])
def test_a_bad_email_is_refused(db, email):
    with pytest.raises(CommandError, match="owner"):
        run("acme", "Acme", "--owner", email)
    assert not Organization.objects.exists()


def test_a_bad_slug_is_refused(db):
    with pytest.raises(CommandError, match="slug"):
        run("Acme Precision!", "Acme", "--owner", "x@acme.test")


def test_errors_exit_non_zero_with_the_reason_on_stderr(org):
    utility = ManagementUtility(["manage.py", "create_org", "acme", "A", "--owner", "x@acme.test"])
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exited:
        utility.execute()
    assert exited.value.code == 1
    assert "exists already" in err.getvalue()


def test_a_name_with_a_line_break_still_sends_one_subject_line(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    from accounts.onboarding import invite_owner

    org = Organization.objects.create(name="Acme\nBcc: victim@example.com", slug="acme-x")
    with django_capture_on_commit_callbacks(execute=True):
        invite_owner(org=org, email="olive@acme.test")
    message = mailoutbox[0].message()  # raised BadHeaderError before
    assert message["Subject"] == "You are invited to Acme Bcc: victim@example.com on Ladder"
    assert message["Bcc"] is None


def test_with_signup_closed_the_operators_invitation_makes_the_owners_account(db, settings, client):
    settings.SIGNUP = "closed"
    run("acme", "Acme Precision", "--owner", "new.owner@acme.test")  # refused before
    invitation = Invitation.objects.get()
    assert invitation.from_operator
    data = {
        "first_name": "N",
        "new_password1": "ladder-pass-991",
        "new_password2": "ladder-pass-991",
    }
    response = client.post(f"/invitations/{invitation.token}/", data)
    assert response.status_code == 302
    assert Organization.objects.get().memberships.get().user.email == "new.owner@acme.test"
