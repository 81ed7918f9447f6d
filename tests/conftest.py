import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import Membership, Organization, Role, Site, User
from tests.instances import PrivateBroker, need_mosquitto

PASSWORD = "a-long-test-password-42"


@pytest.fixture(autouse=True)
def _fast_test_settings(settings):
    # The manifest storage needs collectstatic; tests serve static files as they are.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()  # the ingest rate limits count in the cache: each test starts afresh


def make_user(email, org=None, role=None, **extra):
    user = User.objects.create_user(email=email, password=PASSWORD, **extra)
    if org:
        Membership.objects.create(user=user, organization=org, role=role)
    return user


@pytest.fixture
def org(db):
    org = Organization.objects.create(name="Acme Precision", slug="acme")
    Site.objects.create(organization=org, name="Riverside Plant", kind=Site.Kind.PLANT)
    return org


@pytest.fixture
def other_org(db):
    return Organization.objects.create(name="Globex Foods", slug="globex")


@pytest.fixture
def owner(org):
    return make_user("owner@acme.test", org, Role.OWNER, first_name="Olive")


@pytest.fixture
def consultant(org, other_org):
    user = make_user("consultant@advisory.test", org, Role.CONSULTANT, firm_name="Advisory")
    Membership.objects.create(user=user, organization=other_org, role=Role.CONSULTANT)
    return user


@pytest.fixture
def member(org):
    return make_user("member@acme.test", org, Role.MEMBER)


@pytest.fixture
def viewer(org):
    return make_user("viewer@acme.test", org, Role.VIEWER)


@pytest.fixture
def outsider(other_org):
    """Owner of another organisation: must never see the first one's data."""
    return make_user("owner@globex.test", other_org, Role.OWNER)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def private_broker(tmp_path):
    """A mosquitto of the test's own on a free port, for tests that stop or restart it."""
    need_mosquitto()
    broker = PrivateBroker(tmp_path / "broker")
    yield broker
    broker.stop()
