"""Single sign-on's changes: an owner's configuration, identities linked and unlinked, and
who a provider's sign-in is. Each is written to the organisation's audit trail, and so is
every refused sign-in."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

import audit.trail as audit
from accounts.addresses import normalise
from accounts.models import Invitation, Membership, Role, User
from accounts.services import MEMBERS, invitation_accept
from accounts.sso.flows import LINK
from accounts.sso.models import Identity, SingleSignOn

SETTINGS_FIELDS = ("issuer", "client_id", "required")


# The admin site shows every organisation: a provider of one must never open it.
STAFF = "Accounts with access to the admin site log in with their password only."


class Refused(Exception):
    """The sign-in is refused; the message says why, to the person."""


def _record(config, actor, action, subject, obj, before=None, after=None):
    audit.record(
        organization=config.organization,
        actor=actor,
        area=MEMBERS,
        action=action,
        subject=subject,
        obj=obj,
        before=before,
        after=after,
    )


@transaction.atomic
def sso_configure(*, config: SingleSignOn, secret: str, user) -> None:
    """Save an owner's settings; an empty `secret` keeps the stored one. The secret is never
    written to the trail, only that it changed."""
    before = {}
    if config.pk:
        before = audit.snapshot(SingleSignOn.objects.get(pk=config.pk), *SETTINGS_FIELDS)
    after = audit.snapshot(config, *SETTINGS_FIELDS)
    if secret:
        config.set_secret(secret)
        before["client secret"], after["client secret"] = "(kept)", "(changed)"
    config.updated = timezone.now()
    config.full_clean()
    config.save()
    _record(config, user, "single sign-on set", "Single sign-on", config, before, after)


@transaction.atomic
def sso_remove(*, config: SingleSignOn, user) -> None:
    """Stop single sign-on for the organisation; its linked identities go with it."""
    before = audit.snapshot(config, *SETTINGS_FIELDS)
    _record(config, user, "single sign-on removed", "Single sign-on", config, before, {})
    Identity.objects.filter(organization_id=config.organization_id).delete()
    config.delete()


def _link(config, user, subject, via) -> Identity:
    if user.is_staff or user.is_superuser:
        raise Refused(STAFF)
    if Identity.objects.filter(organization=config.organization, user=user).exists():
        raise Refused(
            f"Your account is already linked to another account at {config.organization}'s "
            "provider: unlink it on your profile first."
        )
    identity = Identity.objects.create(
        organization=config.organization, user=user, issuer=config.issuer, subject=subject
    )
    after = {"issuer": config.issuer, "subject": subject, "through": via}
    _record(config, user, "identity linked", f"Single sign-on of {user.email}", identity, {}, after)
    return identity


@transaction.atomic
def sign_in(*, config: SingleSignOn, subject: str, flow: dict, current_user) -> User:
    """The account the provider's `subject` signs in as, linking it first when the flow is an
    invitation's or a logged-in person's link; raises Refused otherwise. Never by email."""
    org = config.organization
    identity = (
        Identity.objects.select_related("user")
        .filter(organization=org, issuer=config.issuer, subject=subject)
        .first()
    )
    if flow["purpose"] == LINK:
        if not current_user.is_authenticated or current_user.pk != flow["user"]:
            raise Refused("Log in with your password again, then link your account.")
        if identity is not None and identity.user_id != current_user.pk:
            raise Refused("This account at the provider is linked to someone else in Ladder.")
        if not Membership.objects.filter(user=current_user, organization=org).exists():
            raise Refused(f"You are not a member of {org}.")
        return identity.user if identity else _link(config, current_user, subject, "profile").user
    if identity is not None:
        user = identity.user
        if user.is_staff or user.is_superuser:
            raise Refused(STAFF)
        if (
            not user.is_active
            or not Membership.objects.filter(user=user, organization=org).exists()
        ):
            raise Refused(f"This account no longer has access to {org}.")
        identity.last_login = timezone.now()
        identity.save(update_fields=["last_login"])
        return user
    if flow["invitation"]:
        return _join(config, subject, flow["invitation"], current_user)
    raise Refused(
        f"This account at {org}'s provider is not linked to anyone in Ladder. Open your "
        "invitation link and join with single sign-on, or log in with your password and "
        "link it from your profile."
    )


def _join(config, subject, token, current_user) -> User:
    """An invitation to the provider's organisation links the subject to the invited account:
    a new one, or the existing one if its owner is the one logged in."""
    invitation = (
        Invitation.objects.select_for_update()
        .filter(token=token, organization=config.organization)
        .first()
    )
    if invitation is None or not invitation.is_open():
        raise Refused(
            f"The invitation is used, expired or not one to {config.organization}: ask its "
            "owner for a new one."
        )
    user = User.objects.filter(email=normalise(invitation.email)).first()
    if user is None:
        user = User.objects.create_user(email=invitation.email)  # no password: unusable
    elif current_user != user:
        raise Refused(
            f"There is already a Ladder account for {invitation.email}: log in with its "
            "password, then open the invitation again to join with single sign-on."
        )
    _link(config, user, subject, "invitation")
    invitation_accept(invitation=invitation, user=user)
    return user


def sign_in_refused(*, config: SingleSignOn, subject: str, reason: str) -> None:
    """Note a refused sign-in in the organisation's trail (Ladder is the actor)."""
    after = {"subject": subject or "(none)", "reason": reason}
    _record(config, None, "sign-in refused", "Single sign-on", config, {}, after)


@transaction.atomic
def identity_unlink(*, identity: Identity, user) -> None:
    """Unlink `identity`: by its own person, or by an owner of its organisation."""
    if (
        identity.user_id != user.pk
        and not Membership.objects.filter(
            organization_id=identity.organization_id, user=user, role=Role.OWNER
        ).exists()
    ):
        raise PermissionDenied("Only the person or an owner can unlink this account.")
    config = identity.organization.single_sign_on
    before = {"issuer": identity.issuer, "subject": identity.subject}
    subject = f"Single sign-on of {identity.user.email}"
    _record(config, user, "identity unlinked", subject, identity, before, {})
    identity.delete()
