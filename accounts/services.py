"""Changes to who may do what in an organisation; each is written to the audit trail."""

import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

import audit.trail as audit
from accounts.addresses import normalise
from accounts.models import FailedLogin, Invitation, Membership, Organization, Role, User
from accounts.sso.models import Identity


class AuditArea(models.TextChoices):
    """The audit trail's area for what this module changes."""

    MEMBERS = "members", "Members"
    SETTINGS = "settings", "Organisation settings"


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
    identities = Identity.objects.filter(
        organization_id=membership.organization_id, user_id=membership.user_id
    )
    for identity in identities:  # a former member keeps no way in through the provider
        before["single sign-on"] = f"{identity.subject} at {identity.issuer}"
    subject = f"Membership of {membership.user.email}"
    _record(membership.organization, user, "removed", subject, membership, before, {})
    identities.delete()
    membership.delete()


class InvitationRefused(Exception):
    """The invitation cannot be sent: the person is a member, or already has an open one."""


def _require_owner(organization, user) -> None:
    """The service's own check, whatever the view did: only owners manage invitations."""
    if not Membership.objects.filter(
        organization=organization, user=user, role=Role.OWNER
    ).exists():
        raise PermissionDenied("Only the organisation's owners can do this.")


def invitation_refusal(*, organization, email: str, now, by_operator=False) -> str | None:
    """Why `email` cannot be invited to `organization` now, or None. With SIGNUP closed only
    the operator's invitations may name an address that has no account yet."""
    if Membership.objects.filter(organization=organization, user__email=email).exists():
        return "This person is already a member."
    for invitation in Invitation.objects.filter(
        organization=organization, email=email, accepted=None, revoked=None
    ):
        if invitation.is_open(now):
            return (
                f"There is already an open invitation for this address, until "
                f"{invitation.expires:%-d %b %Y}: resend it from the list of invitations."
            )
    closed = settings.SIGNUP == "closed" and not by_operator
    if closed and not User.objects.filter(email=email).exists():
        return (
            "Sign-up is closed on this install: only people who already have an account can "
            "be invited. The operator adds new accounts."
        )
    return None


def invitation_send(*, invitation: Invitation, user) -> None:
    """Store a new invitation and email it; raises InvitationRefused for a member or a second
    open invitation (the organisation row is locked, so two owners cannot both send one).
    The email goes after the commit, so a slow mail server holds no lock."""
    with transaction.atomic():
        _require_owner(invitation.organization, user)
        invitation_store(invitation=invitation, user=user)
    invitation_email(invitation=invitation)


@transaction.atomic
def invitation_store(*, invitation: Invitation, user) -> None:
    """Store a new invitation made by `user` (None: the operator, e.g. `create_org`), refused
    like any other; the caller has checked who may make it and sends the email."""
    Organization.objects.select_for_update().filter(pk=invitation.organization_id).first()
    invitation.email = normalise(invitation.email)
    now = timezone.now()
    refusal = invitation_refusal(
        organization=invitation.organization, email=invitation.email, now=now, by_operator=not user
    )
    if refusal:
        raise InvitationRefused(refusal)
    invitation.invited_by = user
    invitation.from_operator = user is None
    invitation.created = now
    invitation.save()
    after = {"email": invitation.email, "role": invitation.get_role_display()}
    if invitation.window:
        after["window"] = f"{invitation.observe_from} to {invitation.observe_to}"
    subject = f"Invitation to {invitation.email}"
    _record(invitation.organization, user, "invited", subject, invitation, {}, after)


def invitation_resend(*, invitation: Invitation, user) -> Invitation:
    """Send a pending or expired invitation again with a new token and expiry.

    The token is rotated, not reused: a link that went astray (a forwarded email, a shared
    screen) stops working, and only the newest email admits. Raises InvitationRefused when
    the person has joined since or the invitation is accepted or revoked.
    """
    invitation = _invitation_renew(invitation=invitation, user=user)
    invitation_email(invitation=invitation)
    return invitation


@transaction.atomic
def _invitation_renew(*, invitation: Invitation, user) -> Invitation:
    _require_owner(invitation.organization, user)
    Organization.objects.select_for_update().filter(pk=invitation.organization_id).first()
    invitation = Invitation.objects.get(pk=invitation.pk)
    if invitation.accepted or invitation.revoked:
        raise InvitationRefused("This invitation was accepted or revoked: invite them anew.")
    organization = invitation.organization
    if Membership.objects.filter(organization=organization, user__email=invitation.email).exists():
        raise InvitationRefused("This person is already a member.")
    now = timezone.now()
    others = Invitation.objects.filter(
        organization=organization, email=invitation.email, accepted=None, revoked=None
    ).exclude(pk=invitation.pk)
    if any(other.is_open(now) for other in others):
        raise InvitationRefused("A newer invitation for this address is still open.")
    before = {"expires": invitation.expires}
    invitation.renew(now)
    subject = f"Invitation to {invitation.email}"
    after = {"expires": invitation.expires}
    _record(organization, user, "invitation resent", subject, invitation, before, after)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, user) -> None:
    """Close an invitation: its link shows that it was withdrawn. Kept for the People page."""
    _require_owner(invitation.organization, user)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted or invitation.revoked:
        raise InvitationRefused("This invitation was already accepted or revoked.")
    invitation.revoke(timezone.now())
    before = {"email": invitation.email, "role": invitation.get_role_display()}
    subject = f"Invitation to {invitation.email}"
    _record(invitation.organization, user, "withdrawn", subject, invitation, before, {})


def invitation_link(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse("invitation-accept", args=[invitation.token])


# Backends that deliver nothing to the invitee: pages then show the link to pass on.
UNDELIVERED_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}


def email_delivered() -> bool:
    """Whether Ladder's emails reach people (without EMAIL_HOST they go to the console)."""
    return settings.EMAIL_BACKEND not in UNDELIVERED_BACKENDS


def invitation_email(*, invitation: Invitation) -> None:
    inviter, org = invitation.invited_by, invitation.organization
    role = invitation.get_role_display().lower()
    if inviter is None:  # made by the operator (create_org): no one to name
        subject, opening = f"You are invited to {org} on Ladder", "You are invited to join"
    else:
        subject = f"{inviter} invited you to {org} on Ladder"
        opening = f"{inviter} invited you to join"
    send_mail(
        " ".join(subject.split()),  # a name with a line break must not end the header
        f"{opening} {org} on Ladder as {role}.\n\nAccept the invitation: "
        f"{invitation_link(invitation)}\n\n"
        f"The link works until {invitation.expires:%-d %B %Y, %H:%M} UTC.",
        None,
        [invitation.email],
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> Membership:
    """Join; raises InvitationRefused if the invitation closed since the page was shown (the
    row is locked, so a revoke and an accept at once cannot both win)."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open():
        raise InvitationRefused("This invitation is no longer valid.")
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


def benchmark_opt_in_set(*, organization: Organization, user: User, opt_in: bool) -> None:
    """Share (or stop sharing) the organisation's anonymous figures in the install's
    benchmarks; audited. The first opt-in makes its random contributor id."""
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        before = {"benchmark_opt_in": organization.benchmark_opt_in}
        organization.benchmark_opt_in = opt_in
        if opt_in and not organization.benchmark_contributor:
            organization.benchmark_contributor = secrets.token_hex(16)
        organization.save(update_fields=["benchmark_opt_in", "benchmark_contributor"])
        audit.record(
            organization=organization,
            actor=user,
            area=AuditArea.SETTINGS,
            action="benchmarks opted in" if opt_in else "benchmarks opted out",
            subject="benchmarks",
            obj=organization,
            before=before,
            after={"benchmark_opt_in": opt_in},
        )
