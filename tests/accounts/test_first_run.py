import threading

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import Membership, Organization, Role, User
from accounts.onboarding import SetupClosed, first_run_setup
from audit.models import AuditEvent
from tests.conftest import PASSWORD, client_for, make_user

SETUP = {
    "first_name": "Olive",
    "last_name": "Owner",
    "email": "Olive@Acme.test",
    "password1": PASSWORD,
    "password2": PASSWORD,
    "org_name": "Acme Precision",
    "industry": "manufacturing",
}


def test_home_on_an_empty_install_leads_to_setup(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == reverse("setup")


def test_setup_creates_the_first_owner_and_organisation(client, db):
    response = client.post(reverse("setup"), SETUP)
    org = Organization.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("org-home", args=[org.slug])
    assert (org.name, org.slug, org.industry) == (
        "Acme Precision",
        "acme-precision",
        "manufacturing",
    )
    user = User.objects.get()
    assert user.email == "olive@acme.test" and user.check_password(PASSWORD)
    assert not user.is_staff  # the admin is no part of the owner's path
    assert Membership.objects.get(user=user, organization=org).role == Role.OWNER
    assert client.get(response.url).status_code == 200  # logged in, on the overview
    actions = set(AuditEvent.objects.filter(organization=org).values_list("action", flat=True))
    assert actions == {"created", "joined"}


def test_setup_checks_the_password_like_the_rest_of_the_app(client, db):
    weak = {**SETUP, "password1": "password", "password2": "password"}
    response = client.post(reverse("setup"), weak)
    assert response.status_code == 400
    assert "too common" in response.content.decode()
    assert not User.objects.exists() and not Organization.objects.exists()


def test_setup_refuses_mismatched_passwords(client, db):
    response = client.post(reverse("setup"), {**SETUP, "password2": PASSWORD + "x"})
    assert response.status_code == 400
    assert not User.objects.exists()


def test_setup_is_refused_once_a_user_exists(client, db):
    make_user("someone@acme.test")
    assert client.get(reverse("setup")).status_code == 403
    response = client.post(reverse("setup"), SETUP)
    assert response.status_code == 403
    assert "already set up" in response.content.decode()
    assert User.objects.count() == 1 and not Organization.objects.exists()


def test_home_no_longer_leads_to_setup_once_a_user_exists(client, owner):
    response = client.get("/")
    assert response.url.startswith(reverse("login"))
    assert client_for(owner).get("/").url == reverse("org-home", args=["acme"])


def test_the_service_refuses_a_second_first_run(db):
    first_run_setup(
        email="a@acme.test",
        password=PASSWORD,
        first_name="A",
        last_name="",
        org_name="A",
        industry="",
    )
    with pytest.raises(SetupClosed):
        first_run_setup(
            email="b@acme.test",
            password=PASSWORD,
            first_name="B",
            last_name="",
            org_name="B",
            industry="",
        )
    assert User.objects.count() == 1 and Organization.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_setups_at_once_make_one_owner():
    """Both threads pass the page's check; the service's lock and check let one through."""
    barrier = threading.Barrier(2)
    outcomes = []

    def run(n):
        try:
            barrier.wait()
            first_run_setup(
                email=f"o{n}@acme.test",
                password=PASSWORD,
                first_name="O",
                last_name="",
                org_name=f"Org {n}",
                industry="",
            )
            outcomes.append("made")
        except Exception as error:  # SetupClosed, or SQLite's "database is locked"
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("made") == 1
    assert User.objects.count() == 1 and Membership.objects.count() == 1
