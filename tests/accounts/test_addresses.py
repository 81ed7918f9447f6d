"""Email addresses are account names: one spelling per mailbox, and no look-alikes."""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.addresses import ascii_problem, normalise
from accounts.models import FailedLogin, Invitation, Membership, Organization, User
from tests.accounts.addresses import ADDRESS, LOOK_ALIKES, SAME_MAILBOX
from tests.conftest import PASSWORD, client_for, make_user


@pytest.mark.parametrize("spelling", SAME_MAILBOX.values(), ids=SAME_MAILBOX.keys())
def test_other_spellings_of_an_address_normalise_to_it(spelling):
    assert normalise(spelling) == ADDRESS


@pytest.mark.parametrize("look_alike", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
def test_a_look_alike_stays_a_different_address_and_is_not_plain_ascii(look_alike):
    assert normalise(look_alike) != ADDRESS
    assert "plain ASCII" in ascii_problem(normalise(look_alike))


def test_a_plain_address_has_no_problem():
    assert ascii_problem(ADDRESS) is None
    assert ascii_problem("someone@xn--bcher-kva.example") is None  # an IDNA-encoded domain


@given(st.text())
def test_normalising_twice_changes_nothing(text):
    assert normalise(normalise(text)) == normalise(text)


@given(st.lists(st.booleans(), min_size=len(ADDRESS), max_size=len(ADDRESS)))
def test_any_mix_of_upper_and_lower_case_is_the_same_address(uppers):
    spelling = "".join(c.upper() if up else c for c, up in zip(ADDRESS, uppers, strict=True))
    assert normalise(spelling) == ADDRESS


@given(st.sampled_from(list(SAME_MAILBOX.values())), st.sampled_from(["NFC", "NFD", "NFKD"]))
def test_a_compatibility_form_of_a_spelling_is_the_same_address(spelling, form):
    import unicodedata

    assert normalise(unicodedata.normalize(form, spelling)) == ADDRESS


# --- Where addresses are stored: invitations, sign-up, the admin, existing rows -----------------


def members_url(org):
    return reverse("accounts:members", args=[org.slug])


@pytest.mark.parametrize("look_alike", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
def test_an_invitation_to_a_look_alike_address_is_refused(org, owner, look_alike):
    make_user(ADDRESS)
    response = client_for(owner).post(members_url(org), {"email": look_alike, "role": "member"})
    assert response.status_code == 400
    assert "Enter the address in plain ASCII letters" in response.content.decode()
    assert not Invitation.objects.exists()


def test_another_spelling_of_a_members_address_is_already_a_member(org, owner, member):
    spelling = "\uff2dEMBER@acme.TEST."
    response = client_for(owner).post(members_url(org), {"email": spelling, "role": "member"})
    assert "This person is already a member." in response.content.decode()


def test_an_invitation_keeps_the_normalised_address(org, owner, mailoutbox):
    client_for(owner).post(members_url(org), {"email": " New.Person@ACME.test.", "role": "member"})
    assert Invitation.objects.get().email == "new.person@acme.test"
    assert mailoutbox[0].to == ["new.person@acme.test"]


def test_signing_up_from_an_old_look_alike_invitation_is_refused(client, org, owner):
    make_user(ADDRESS)
    invitation = Invitation.objects.create(organization=org, email=LOOK_ALIKES["dotless i"])
    url = reverse("invitation-accept", args=[invitation.token])
    data = {
        "first_name": "Kit",
        "new_password1": "ladder-pass-991",
        "new_password2": "ladder-pass-991",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Enter the address in plain ASCII letters" in response.content.decode()
    assert User.objects.count() == 2


def test_an_existing_account_accepts_an_invitation_to_another_spelling(client, org, owner):
    user = make_user(ADDRESS)
    invitation = Invitation.objects.create(organization=org, email=SAME_MAILBOX["sharp s"])
    url = reverse("invitation-accept", args=[invitation.token])
    assert "/accounts/login/" in client.post(url).url  # the account's, not a new one
    client_for(user).post(url)
    assert Membership.objects.filter(organization=org, user=user).exists()


def test_accounts_are_stored_under_the_normalised_address(db):
    assert make_user(SAME_MAILBOX["fullwidth letters"]).email == ADDRESS


@pytest.mark.parametrize("spelling", SAME_MAILBOX.values(), ids=SAME_MAILBOX.keys())
def test_a_new_account_with_another_spelling_of_an_address_is_refused(db, spelling):
    make_user(ADDRESS)
    with pytest.raises(ValidationError) as refused:
        User(email=spelling, password="x").full_clean()
    assert "already exists" in str(refused.value.message_dict["email"])


def test_the_admin_refuses_a_look_alike_account(db):
    make_user(ADDRESS)
    admin = make_user("admin@acme.test", is_staff=True, is_superuser=True)
    response = client_for(admin).post(
        reverse("admin:accounts_user_add"),
        {"email": LOOK_ALIKES["Cyrillic a"], "password1": PASSWORD, "password2": PASSWORD},
    )
    assert "Enter the address in plain ASCII letters" in response.content.decode()
    assert not User.objects.filter(email__startswith="kit.str\u0430").exists()


migration = importlib.import_module("accounts.migrations.0005_normalise_addresses")


def test_the_migration_normalises_stored_addresses(db):
    user = make_user("someone@acme.test")
    User.objects.filter(pk=user.pk).update(email="Kit.Stra\u00dfe@ACME.example.")
    invitation = Invitation.objects.create(
        organization=Organization.objects.create(name="A", slug="a"), email="x@acme.test"
    )
    Invitation.objects.filter(pk=invitation.pk).update(email="\uff38@acme.test")
    FailedLogin.objects.create(email="kit.stra\u00dfe@acme.example")
    migration.normalise_addresses(apps, None)
    assert User.objects.get(pk=user.pk).email == ADDRESS
    assert Invitation.objects.get().email == "x@acme.test"
    assert FailedLogin.objects.get().user == user


def test_the_migration_refuses_two_accounts_that_become_one(db):
    make_user(ADDRESS)
    other = make_user("other@acme.test")
    User.objects.filter(pk=other.pk).update(email="kit.stra\u00dfe@acme.example")
    with pytest.raises(migration.AddressClash, match="change or merge one"):
        migration.normalise_addresses(apps, None)
    assert User.objects.get(pk=other.pk).email == "kit.stra\u00dfe@acme.example"
