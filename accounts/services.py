"""Changes to who may do what in an organisation; each is written to the audit trail."""

from django.db import transaction

import audit.trail as audit
from accounts.models import FailedLogin, Invitation, Membership
from audit.models import AuditEvent

MEMBERS = AuditEvent.Area.MEMBERS


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


@transaction.atomic
def membership_role_set(*, membership: Membership, role: str, user) -> None:
    before = {"role": membership.get_role_display()}
    membership.role = role
    membership.save(update_fields=["role"])
    after = {"role": membership.get_role_display()}
    subject = f"Membership of {membership.user.email}"
    _record(membership.organization, user, "role changed", subject, membership, before, after)


@transaction.atomic
def membership_remove(*, membership: Membership, user) -> None:
    before = {"role": membership.get_role_display()}
    subject = f"Membership of {membership.user.email}"
    _record(membership.organization, user, "removed", subject, membership, before, {})
    membership.delete()


@transaction.atomic
def invitation_send(*, invitation: Invitation, user) -> None:
    """Store a new invitation (sending the email is the caller's)."""
    invitation.invited_by = user
    invitation.save()
    after = {"email": invitation.email, "role": invitation.get_role_display()}
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


@transaction.atomic
def login_unlock(*, membership: Membership, user) -> None:
    """An owner lets a member locked out after wrong passwords try again."""
    FailedLogin.objects.clear(membership.user.email)
    subject = f"Login of {membership.user.email}"
    after = {"login": "unlocked"}
    _record(membership.organization, user, "unlocked", subject, membership, {}, after)
