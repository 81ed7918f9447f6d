"""Role changes and removals keep at least one owner, also when two owners act at once."""

import contextlib
import threading
from unittest import mock

import pytest
from django.db import connection

import audit.trail
from accounts import services
from accounts.models import Membership, Role
from tests.conftest import make_user
from tests.services import need_postgresql


def demote(membership, user):
    services.membership_role_set(membership=membership, role=Role.MEMBER, user=user)


def remove(membership, user):
    services.membership_remove(membership=membership, user=user)


@pytest.mark.parametrize("change", [demote, remove])
def test_the_last_owner_cannot_be_demoted_or_removed(change, org, owner):
    membership = Membership.objects.get(user=owner)
    with pytest.raises(services.LastOwner):
        change(membership, owner)
    assert Membership.objects.get(pk=membership.pk).role == Role.OWNER


@pytest.mark.parametrize("change", [demote, remove])
def test_one_of_two_owners_can_be_demoted_or_removed(change, org, owner):
    second = make_user("second@acme.test", org, Role.OWNER)
    change(Membership.objects.get(user=second), owner)
    assert list(Membership.objects.filter(role=Role.OWNER).values_list("user", flat=True)) == [
        owner.pk
    ]


def test_a_stale_membership_object_is_checked_against_the_database(org, owner):
    """The rule reads the owners as they are now, not as the caller loaded them."""
    second = make_user("second@acme.test", org, Role.OWNER)
    stale = Membership.objects.get(user=owner)
    demote(Membership.objects.get(user=second), owner)
    with pytest.raises(services.LastOwner):
        demote(stale, second)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", [demote, remove])
def test_two_owners_demoting_each_other_at_once_leave_one_owner(change, org, owner):
    """Each transaction waits after its write until the other has written too, or until a
    second has passed: without a lock on the owners both write and no owner is left."""
    need_postgresql()
    second = make_user("second@acme.test", org, Role.OWNER)
    start, written = threading.Barrier(2), threading.Barrier(2, timeout=1)
    record = audit.trail.record
    refused, errors = [], []

    def after_the_write(**kwargs):
        # A broken barrier: the other one is waiting for our lock, as it should.
        with contextlib.suppress(threading.BrokenBarrierError):
            written.wait()
        record(**kwargs)

    def run(actor, target):
        try:
            start.wait()
            change(Membership.objects.get(user=target), actor)
        except services.LastOwner:
            refused.append(actor)
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    with mock.patch("audit.trail.record", after_the_write):
        threads = [
            threading.Thread(target=run, args=(owner, second)),
            threading.Thread(target=run, args=(second, owner)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len(refused) == 1
    assert Membership.objects.filter(organization=org, role=Role.OWNER).count() == 1
