"""Open sign-up (SIGNUP=open): a new account with its own organisation, unusable until the
address is verified.

The answer to a sign-up never says whether the address has an account already: both cases
show the same "check your inbox" page, and the mailbox gets either the verification link or
a note that it has an account. The verification link is a signed, timestamped token of the
user and the address (so it dies when the address changes), confirmed by a POST: a mail
scanner that opens links does not verify an address for someone who typed it in.
"""

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import checks, signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

import audit.trail as audit
from accounts.models import Membership, Organization, Role, User
from accounts.onboarding import free_slug
from accounts.services import MEMBERS, email_delivered

VERIFY_FOR_SECONDS = 3 * 24 * 3600
_SALT = "ladder.accounts.verify-email"


class VerificationRefused(Exception):
    """The verification link is forged, expired, or for an address the account no longer has."""


def signup_allowed() -> bool:
    return settings.SIGNUP == "open"


def check_signup_can_verify(app_configs=None, **kwargs):
    """System check: open sign-up with no email server leaves every new account unverifiable."""
    if signup_allowed() and not email_delivered():
        return [
            checks.Warning(
                "SIGNUP=open but emails are not delivered (no EMAIL_HOST): nobody who signs "
                "up can verify their address.",
                hint="Set EMAIL_HOST, or SIGNUP=invite.",
                id="accounts.W001",
            )
        ]
    return []


def signup_create(*, email: str, password: str, first_name: str, organization_name: str):
    """Make the account, its organisation (awaiting verification) and send the link; for an
    address that has an account, only tell its mailbox. Returns the new user or None."""
    if User.objects.filter(email=email).exists():
        make_password(password)  # the same work as a new account, so timing tells nothing
        # At most one such note per address in ten minutes: sign-ups must not flood a mailbox.
        if cache.add(f"ladder-signup-exists:{email}", 1, timeout=600):
            _send(email, "You already have a Ladder account", _EXISTS.format(login=_url("login")))
        return None
    with transaction.atomic():
        user = User.objects.create_user(email=email, password=password, first_name=first_name)
        organization = Organization.objects.create(
            name=organization_name,
            slug=free_slug(organization_name),
            awaiting_verification=True,
        )
        membership = Membership.objects.create(
            user=user, organization=organization, role=Role.OWNER
        )
        audit.record(
            organization=organization,
            actor=user,
            area=MEMBERS,
            action="signed up",
            subject=f"Membership of {user.email}",
            obj=membership,
            after={"role": membership.get_role_display(), "email": "not verified"},
        )
    verification_send(user=user)
    return user


def verification_token(user) -> str:
    return signing.TimestampSigner(salt=_SALT).sign_object({"u": user.pk, "e": user.email})


def verification_send(*, user) -> None:
    link = _url("email-verify", verification_token(user))
    hours = VERIFY_FOR_SECONDS // 3600
    body = _VERIFY.format(link=link, hours=hours)
    _send(user.email, "Verify your email address for Ladder", body)


def email_verify(*, token: str) -> User:
    """Make the organisations the token's user owns usable; raises VerificationRefused."""
    try:
        value = signing.TimestampSigner(salt=_SALT).unsign_object(token, max_age=VERIFY_FOR_SECONDS)
    except signing.BadSignature as error:  # SignatureExpired is one too
        raise VerificationRefused from error
    user = User.objects.filter(pk=value.get("u"), email=value.get("e")).first()
    if user is None:
        raise VerificationRefused
    with transaction.atomic():
        waiting = Organization.objects.filter(
            awaiting_verification=True, memberships__user=user, memberships__role=Role.OWNER
        )
        for organization in waiting:
            organization.awaiting_verification = False
            organization.save(update_fields=["awaiting_verification"])
            audit.record(
                organization=organization,
                actor=user,
                area=MEMBERS,
                action="email verified",
                subject=f"Membership of {user.email}",
                obj=organization,
                before={"email": "not verified"},
                after={"email": "verified"},
            )
    return user


def _url(name, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def _send(to: str, subject: str, body: str) -> None:
    send_mail(" ".join(subject.split()), body, None, [to])  # one header line, whatever the name


_VERIFY = (
    "Welcome to Ladder.\n\nConfirm that this is your address to start using your "
    "organisation: {link}\n\nThe link works for {hours} hours. If you did not sign up, "
    "ignore this email: nothing happens without it."
)
_EXISTS = (
    "Someone, probably you, tried to sign up to Ladder with this address, which already has "
    "an account. Log in instead: {login}\n\nForgotten your password? The login page has a "
    "link to reset it. If it was not you, you need do nothing."
)
