"""Sign-up modes (SIGNUP) and open sign-up's email verification."""

import re

import pytest
from django.core import signing
from django.urls import reverse

from accounts import signup
from accounts.models import Membership, Organization, Role, User
from audit.models import AuditEvent
from tests.conftest import client_for

DATA = {
    "first_name": "Nia",
    "email": "Nia@NewCo.test",
    "organization_name": "NewCo Foods",
    "password1": "ladder-pass-991",
    "password2": "ladder-pass-991",
}


def link_in(mail) -> str:
    return re.search(r"http://\S+(/accounts/verify/\S+/)", mail.body).group(1)


@pytest.mark.parametrize("mode", ["closed", "invite"])
def test_without_open_signup_the_page_is_404_and_the_login_page_has_no_link(
    mode, client, settings, db
):
    settings.SIGNUP = mode
    assert client.get(reverse("signup")).status_code == 404
    assert client.post(reverse("signup"), DATA).status_code == 404
    assert client.get(reverse("signup-sent")).status_code == 404
    assert reverse("signup") not in client.get(reverse("login")).text
    assert not User.objects.exists()


def test_invite_is_the_default(settings):
    assert settings.SIGNUP == "invite"


def test_open_signup_is_linked_from_the_login_page(client, settings, db):
    settings.SIGNUP = "open"
    assert reverse("signup") in client.get(reverse("login")).text
    assert client.get(reverse("signup")).status_code == 200


@pytest.fixture
def open_signup(settings, db):
    settings.SIGNUP = "open"


def test_open_signup_makes_an_owner_and_an_organisation_awaiting_verification(
    client, open_signup, mailoutbox
):
    response = client.post(reverse("signup"), DATA)
    assert response.url == reverse("signup-sent")
    user = User.objects.get(email="nia@newco.test")
    assert user.check_password("ladder-pass-991") and user.first_name == "Nia"
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.OWNER
    assert membership.organization.name == "NewCo Foods"
    assert membership.organization.slug == "newco-foods"
    assert membership.organization.awaiting_verification
    assert mailoutbox[0].to == ["nia@newco.test"] and "/accounts/verify/" in mailoutbox[0].body
    assert AuditEvent.objects.filter(action="signed up").exists()


def test_the_organisation_shows_only_verify_your_email_until_verified(
    client, open_signup, mailoutbox
):
    client.post(reverse("signup"), DATA)
    org = Organization.objects.get(slug="newco-foods")
    assert client.post(reverse("login"), {"username": DATA["email"], "password": "ladder-pass-991"})
    for name in ("org-home", "accounts:members", "assessments:assessment-list"):
        response = client.get(reverse(name, args=[org.slug]))
        assert response.status_code == 403
        assert "Verify your email" in response.text
        assert reverse("accounts:members", args=[org.slug]) not in response.text
    link = link_in(mailoutbox[0])
    assert client.get(link).status_code == 200  # a button: a link scanner verifies nothing
    org.refresh_from_db()
    assert org.awaiting_verification
    assert client.post(link).status_code == 302
    org.refresh_from_db()
    assert not org.awaiting_verification
    assert client.get(reverse("org-home", args=[org.slug])).status_code == 200
    assert AuditEvent.objects.filter(organization=org, action="email verified").exists()


def test_an_address_with_an_account_gets_the_same_answer_and_nothing_changes(
    client, open_signup, owner, mailoutbox
):
    new = client.post(reverse("signup"), {**DATA, "email": "someone@else.test"})
    taken = client.post(reverse("signup"), {**DATA, "email": "OWNER@acme.test"})
    assert (taken.status_code, taken.url) == (new.status_code, new.url)
    assert Organization.objects.filter(name="NewCo Foods").count() == 1  # only the new one
    owner.refresh_from_db()
    assert owner.check_password("a-long-test-password-42")
    assert mailoutbox[1].to == ["owner@acme.test"]
    assert "already has an account" in mailoutbox[1].body
    assert "/accounts/verify/" not in mailoutbox[1].body
    client.post(reverse("signup"), {**DATA, "email": "owner@acme.test"})
    assert len(mailoutbox) == 2  # one such note per address in ten minutes


def test_bad_and_tampered_verification_links_are_refused(client, open_signup, mailoutbox):
    client.post(reverse("signup"), DATA)
    link = link_in(mailoutbox[0])
    for bad in ("/accounts/verify/nonsense/", link[:-3] + "xx/"):
        response = client.post(bad)
        assert response.status_code == 400 and "does not work" in response.text
    assert Organization.objects.get(slug="newco-foods").awaiting_verification


def test_an_expired_verification_link_is_refused(client, open_signup, mailoutbox, time_machine):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    client.post(reverse("signup"), DATA)
    time_machine.shift(signup.VERIFY_FOR_SECONDS + 1)
    assert client.post(link_in(mailoutbox[0])).status_code == 400
    assert Organization.objects.get(slug="newco-foods").awaiting_verification


def test_a_link_for_an_address_the_account_no_longer_has_is_refused(
    client, open_signup, mailoutbox
):
    client.post(reverse("signup"), DATA)
    User.objects.filter(email="nia@newco.test").update(email="other@newco.test")
    assert client.post(link_in(mailoutbox[0])).status_code == 400


def test_a_token_signed_for_something_else_is_refused(client, open_signup, member):
    forged = signing.TimestampSigner().sign_object({"u": member.pk, "e": member.email})
    assert client.post(reverse("email-verify", args=[forged])).status_code == 400


def test_resend_sends_a_new_link_at_most_once_a_minute(client, open_signup, mailoutbox):
    client.post(reverse("signup"), DATA)
    user = User.objects.get(email="nia@newco.test")
    client = client_for(user)
    client.post(reverse("verification-resend"))
    client.post(reverse("verification-resend"))
    assert len(mailoutbox) == 2
    assert client.post(link_in(mailoutbox[1])).status_code == 302
    assert not Organization.objects.get(slug="newco-foods").awaiting_verification


def test_resend_for_a_verified_account_sends_nothing(open_signup, owner, mailoutbox):
    assert client_for(owner).get(reverse("verification-resend")).status_code == 405
    client_for(owner).post(reverse("verification-resend"))
    assert not mailoutbox


def test_signup_refuses_bad_input_next_to_the_fields(client, open_signup):
    too_long = {**DATA, "organization_name": "x" * 121, "password2": "other-pass-000"}
    response = client.post(reverse("signup"), too_long)
    assert response.status_code == 400
    assert "at most 120 characters" in response.text
    assert "The two passwords differ" in response.text
    weak = client.post(reverse("signup"), {**DATA, "password1": "123", "password2": "123"})
    assert weak.status_code == 400 and "too short" in weak.text
    assert not User.objects.exists()


def test_a_second_organisation_of_the_same_name_gets_its_own_slug(client, open_signup, org):
    client.post(reverse("signup"), {**DATA, "organization_name": "Acme"})
    assert Organization.objects.filter(slug="acme-2", awaiting_verification=True).exists()


def test_a_logged_in_person_is_sent_home(open_signup, owner):
    assert client_for(owner).get(reverse("signup")).url == reverse("home")


def test_others_organisations_are_not_held_back_by_one_awaiting_verification(
    open_signup, org, owner
):
    waiting = Organization.objects.create(name="W", slug="w", awaiting_verification=True)
    Membership.objects.create(user=owner, organization=waiting, role=Role.OWNER)
    assert client_for(owner).get(reverse("org-home", args=[org.slug])).status_code == 200


def test_open_signup_without_an_email_server_is_a_system_check_warning(settings):
    settings.SIGNUP = "open"
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert [w.id for w in signup.check_signup_can_verify()] == ["accounts.W001"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert signup.check_signup_can_verify() == []
    settings.SIGNUP = "invite"
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert signup.check_signup_can_verify() == []


def test_an_unknown_signup_mode_stops_the_install_with_its_name():
    from tests.test_settings import run_manage

    result = run_manage("check", env={"DEBUG": "1", "SIGNUP": "public"})
    assert result.returncode != 0
    assert "SIGNUP must be closed, invite or open" in result.stderr
    assert run_manage("check", env={"DEBUG": "1", "SIGNUP": "Open"}).returncode == 0
