"""Changes to who may do what in an organisation; each is written to the audit trail."""

from django.db import models, transaction

import audit.trail as audit
from accounts.addresses import normalise
from accounts.models import FailedLogin, Invitation, Membership, Role


class AuditArea(models.TextChoices):
    """The audit trail's area for what this module changes."""

    MEMBERS = "members", "Members"


MEMBERS = AuditArea.MEMBERS


def _record(organization, user, action, subject, obj, before, after):
    audit.record(
        organization=organization,
        actor=user,
        area=MEMBERS,
        action=action,
        subject=subject,
        obj=obj,
        before=before,
        after=after,
    )


class LastOwner(Exception):
    """The change would leave the organisation without an owner."""

    def __init__(self):
        super().__init__(
            "The organisation needs at least one owner: make someone else an owner first."
        )


def _keep_an_owner(membership: Membership) -> None:
    """Refuse to take away `membership`'s ownership if it is the organisation's last.

    Locks the organisation's owner memberships until the transaction ends, so two owners
    demoting or removing each other at once are serialised: the second one sees the first
    one's change and is refused. The rows are read as they are now, not as the caller
    loaded them.
    """
    owners = list(
        Membership.objects.select_for_update()
        .filter(organization_id=membership.organization_id, role=Role.OWNER)
        .values_list("pk", flat=True)
    )
    if owners == [membership.pk]:
        raise LastOwner


@transaction.atomic
def membership_role_set(*, membership: Membership, role: str, user) -> None:
    """Give `membership` a new role; raises LastOwner rather than leave no owner."""
    if role != Role.OWNER:
        _keep_an_owner(membership)
    membership.refresh_from_db(fields=["role"])
    before = {"role": membership.get_role_display()}
    membership.role = role
    if role != Role.AUDITOR:
        membership.observe_from = membership.observe_to = None
    membership.save(update_fields=["role", "observe_from", "observe_to"])
    after = {"role": membership.get_role_display()}
    subject = f"Membership of {membership.user.email}"
    _record(membership.organization, user, "role changed", subject, membership, before, after)


@transaction.atomic
def membership_remove(*, membership: Membership, user) -> None:
    """Take `membership`'s access away; raises LastOwner rather than leave no owner."""
    _keep_an_owner(membership)
    membership.refresh_from_db(fields=["role"])
    before = {"role": membership.get_role_display()}
    subject = f"Membership of {membership.user.email}"
    _record(membership.organization, user, "removed", subject, membership, before, {})
    membership.delete()


@transaction.atomic
def invitation_send(*, invitation: Invitation, user) -> None:
    """Store a new invitation (sending the email is the caller's)."""
    invitation.email = normalise(invitation.email)
    invitation.invited_by = user
    invitation.save()
    after = {"email": invitation.email, "role": invitation.get_role_display()}
    if invitation.window:
        after["window"] = f"{invitation.observe_from} to {invitation.observe_to}"
    subject = f"Invitation to {invitation.email}"
    _record(invitation.organization, user, "invited", subject, invitation, {}, after)


@transaction.atomic
def invitation_cancel(*, invitation: Invitation, user) -> None:
    before = {"email": invitation.email, "role": invitation.get_role_display()}
    subject = f"Invitation to {invitation.email}"
    _record(invitation.organization, user, "withdrawn", subject, invitation, before, {})
    invitation.delete()


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> Membership:
    membership = invitation.accept(user)
    after = {"role": membership.get_role_display()}
    subject = f"Membership of {user.email}"
    _record(invitation.organization, user, "joined", subject, membership, {}, after)
    return membership


class UnlockRefused(Exception):
    """The locked-out account reaches more than the unlocking owner manages."""


@transaction.atomic
def login_unlock(*, membership: Membership, user) -> None:
    """An owner lets a member locked out after wrong passwords try again.

    Only when the owner already manages everything the account reaches: every organisation it
    is a member of is one where `user` is an owner, and it is not staff (the admin site). The
    lockout is one for the whole account, so otherwise an owner of one shared organisation
    could give an attacker unlimited guesses at, say, a consultant who reaches every client.
    Such an account unlocks by itself after the window, or by a password reset.
    """
    person = membership.user
    managed = Membership.objects.filter(user=user, role=Role.OWNER).values("organization")
    elsewhere = Membership.objects.filter(user=person).exclude(organization__in=managed)
    staff = person.is_staff or person.is_superuser
    if staff or elsewhere.exists():
        reach = "has staff access" if staff else "is also in other organisations"
        minutes = int(FailedLogin.WINDOW.total_seconds() // 60)
        raise UnlockRefused(
            f"This account {reach}, so you cannot unlock it: it unlocks by itself after "
            f"{minutes} minutes or by a password reset."
        )
    FailedLogin.objects.clear(user=person)
    subject = f"Login of {membership.user.email}"
    after = {"login": "unlocked"}
    _record(membership.organization, user, "unlocked", subject, membership, {}, after)
