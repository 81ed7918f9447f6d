"""Five wrong passwords for one address lock it for 15 minutes; time or an owner unlocks it."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.urls import reverse

from accounts.models import FailedLogin, Membership, Role
from tests.accounts.addresses import ADDRESS, LOOK_ALIKES, SAME_MAILBOX
from tests.conftest import PASSWORD, client_for, make_user

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def attempt(client, email, password):
    return client.post(reverse("login"), {"username": email, "password": password})


def fail_five_times(client, email):
    for _ in range(FailedLogin.LIMIT):
        response = attempt(client, email, "wrong")
        assert "enter a correct email address and password" in response.content.decode().lower()


def unlock_url(org, membership):
    return reverse("accounts:member-unlock", args=[org.slug, membership.pk])


def test_it_locks_after_five_failures_without_checking_the_password(client, frozen, member):
    fail_five_times(client, member.email)
    response = attempt(client, member.email, PASSWORD)
    assert response.status_code == 200
    body = response.content.decode()
    assert (
        "Too many failed attempts; try again in 15 minutes, reset your password, "
        "or ask an owner to unlock it."
    ) in body
    assert "_auth_user_id" not in client.session


def test_refused_attempts_are_not_checked_against_the_password(client, frozen, member):
    fail_five_times(client, member.email)
    with mock.patch("django.contrib.auth.forms.authenticate") as authenticate:
        attempt(client, member.email, PASSWORD)
    authenticate.assert_not_called()


def test_the_lock_is_per_address_and_ignores_case(client, frozen, member, owner):
    fail_five_times(client, member.email.upper())
    assert "Too many failed" in attempt(client, member.email, PASSWORD).content.decode()
    assert attempt(client, owner.email, PASSWORD).status_code == 302


def test_the_message_counts_down_the_minutes(client, frozen, member):
    fail_five_times(client, member.email)
    frozen.shift(timedelta(minutes=14, seconds=10))
    assert "try again in 1 minute," in attempt(client, member.email, PASSWORD).content.decode()


def test_it_unlocks_by_itself_after_fifteen_minutes(client, frozen, member):
    fail_five_times(client, member.email)
    frozen.shift(FailedLogin.WINDOW + timedelta(seconds=1))
    assert attempt(client, member.email, PASSWORD).status_code == 302


def test_failures_spread_beyond_the_window_do_not_lock(client, frozen, member):
    for _ in range(FailedLogin.LIMIT):
        attempt(client, member.email, "wrong")
        frozen.shift(timedelta(minutes=4))
    assert attempt(client, member.email, PASSWORD).status_code == 302


def test_a_successful_login_resets_the_count(client, frozen, member):
    for _ in range(FailedLogin.LIMIT - 1):
        attempt(client, member.email, "wrong")
    assert attempt(client, member.email, PASSWORD).status_code == 302
    client.logout()
    for _ in range(FailedLogin.LIMIT - 1):
        attempt(client, member.email, "wrong")
    assert attempt(client, member.email, PASSWORD).status_code == 302


def test_unknown_addresses_are_locked_too(client, frozen, db):
    fail_five_times(client, "nobody@acme.test")
    assert "Too many failed" in attempt(client, "nobody@acme.test", "x").content.decode()


def test_owner_sees_and_unlocks_a_locked_member(client, frozen, org, owner, member):
    fail_five_times(client, member.email)
    owner_client = client_for(owner)
    page = owner_client.get(reverse("accounts:members", args=[org.slug])).content.decode()
    membership = member.memberships.get()
    assert unlock_url(org, membership) in page
    assert "Locked out after failed logins" in page
    response = owner_client.post(unlock_url(org, membership))
    assert response.status_code == 302
    assert attempt(client, member.email, PASSWORD).status_code == 302


def test_unlock_button_shows_only_for_locked_members(frozen, org, owner, member):
    page = client_for(owner).get(reverse("accounts:members", args=[org.slug])).content.decode()
    assert "/unlock/" not in page


def test_unlock_is_for_owners_only(client, frozen, org, consultant, member):
    fail_five_times(client, member.email)
    response = client_for(consultant).post(unlock_url(org, member.memberships.get()))
    assert response.status_code == 403
    assert (
        FailedLogin.objects.lockout_remaining(user=member, email=member.email, now=NOW) is not None
    )


def test_unlock_needs_post(frozen, org, owner, member):
    response = client_for(owner).get(unlock_url(org, member.memberships.get()))
    assert response.status_code == 405


def test_outsider_cannot_unlock_a_member_of_another_organisation(frozen, org, outsider, member):
    response = client_for(outsider).post(unlock_url(org, member.memberships.get()))
    assert response.status_code == 404


def test_owner_cannot_unlock_someone_outside_the_organisation(
    client, frozen, org, other_org, owner, outsider
):
    fail_five_times(client, outsider.email)
    other_membership = outsider.memberships.get()
    response = client_for(owner).post(unlock_url(org, other_membership))
    assert response.status_code == 404
    assert (
        FailedLogin.objects.lockout_remaining(user=outsider, email=outsider.email, now=NOW)
        is not None
    )


def test_the_admin_login_is_throttled_too(client, frozen, db):
    admin_user = make_user("admin@acme.test", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(FailedLogin.LIMIT):
        client.post(url, {"username": admin_user.email, "password": "wrong"})
    response = client.post(url, {"username": admin_user.email, "password": PASSWORD})
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_owner_cannot_unlock_someone_who_is_also_in_another_organisation(
    client, frozen, org, owner, consultant
):
    """Unlocking a consultant would give an attacker fresh guesses at every client's data."""
    fail_five_times(client, consultant.email)
    membership = consultant.memberships.get(organization=org)
    response = client_for(owner).post(unlock_url(org, membership), follow=True)
    assert "is also in other organisations" in response.content.decode()
    assert "unlocks by itself after 15 minutes or by a password reset" in response.content.decode()
    assert "Too many failed" in attempt(client, consultant.email, PASSWORD).content.decode()


def test_owner_of_every_organisation_of_the_person_unlocks_them(
    client, frozen, org, other_org, owner, consultant
):
    Membership.objects.create(user=owner, organization=other_org, role=Role.OWNER)
    fail_five_times(client, consultant.email)
    response = client_for(owner).post(unlock_url(org, consultant.memberships.get(organization=org)))
    assert response.status_code == 302
    assert attempt(client, consultant.email, PASSWORD).status_code == 302


def test_owner_cannot_unlock_a_staff_account(client, frozen, org, owner, member):
    """Staff reach the admin site, which no organisation's owner manages."""
    member.is_staff = True
    member.save(update_fields=["is_staff"])
    fail_five_times(client, member.email)
    client_for(owner).post(unlock_url(org, member.memberships.get()))
    assert "Too many failed" in attempt(client, member.email, PASSWORD).content.decode()


def test_a_password_reset_lifts_the_lockout(client, frozen, member, mailoutbox):
    fail_five_times(client, member.email)
    client.post(reverse("password_reset"), {"email": member.email})
    link = next(line for line in mailoutbox[0].body.splitlines() if "/reset/" in line)
    form = client.get(link, follow=True)
    new = "a-new-long-password-77"
    client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    member.refresh_from_db()
    assert member.check_password(new)
    assert attempt(client, member.email, new).status_code == 302


# --- One account, whatever the spelling of its address (see tests/accounts/addresses.py) -------


@pytest.mark.parametrize("spelling", SAME_MAILBOX.values(), ids=SAME_MAILBOX.keys())
def test_every_spelling_of_an_address_counts_against_its_account(client, frozen, db, spelling):
    make_user(ADDRESS)
    fail_five_times(client, spelling)
    assert "Too many failed" in attempt(client, ADDRESS, PASSWORD).content.decode()
    assert "Too many failed" in attempt(client, ADDRESS.upper(), PASSWORD).content.decode()


@pytest.mark.parametrize("spelling", SAME_MAILBOX.values(), ids=SAME_MAILBOX.keys())
def test_every_spelling_of_an_address_logs_in(client, frozen, db, spelling):
    user = make_user(ADDRESS)
    assert attempt(client, spelling, PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.parametrize("look_alike", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
def test_a_look_alike_address_never_logs_in_as_the_account(client, frozen, db, look_alike):
    """On PostgreSQL `iexact` is UPPER(), and UPPER('ı') is 'I': this once logged in with a
    fresh throttle counter, five more guesses per look-alike."""
    make_user(ADDRESS)
    fail_five_times(client, ADDRESS)
    assert attempt(client, look_alike, PASSWORD).status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Too many failed" in attempt(client, ADDRESS, PASSWORD).content.decode()


def test_the_count_is_kept_by_account_for_known_addresses_and_by_address_otherwise(
    client, frozen, member
):
    attempt(client, member.email.upper(), "wrong")
    attempt(client, "NoBody@Acme.Test", "wrong")
    rows = FailedLogin.objects.values_list("user", "email")
    assert sorted(rows, key=str) == sorted(
        [(member.pk, member.email), (None, "nobody@acme.test")], key=str
    )
