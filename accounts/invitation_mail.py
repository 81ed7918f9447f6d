"""The invitation email, sent by the People page, client organisations and `create_org`."""

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from accounts.models import Invitation


def invitation_url(invitation: Invitation) -> str:
    """The absolute link that accepts `invitation` (SITE_URL: emails have no request)."""
    return settings.SITE_URL + reverse("invitation-accept", args=[invitation.token])


def invitation_mail_send(*, invitation: Invitation) -> None:
    """Email the invited address its link; an invitation made by a command names no inviter."""
    link = invitation_url(invitation)
    inviter = invitation.invited_by
    role = invitation.get_role_display().lower()
    if inviter is None:
        subject = f"You are invited to {invitation.organization} on Ladder"
        opening = f"You are invited to join {invitation.organization} on Ladder as {role}."
    else:
        subject = f"{inviter} invited you to {invitation.organization} on Ladder"
        opening = f"{inviter} invited you to join {invitation.organization} on Ladder as {role}."
    send_mail(
        subject,
        f"{opening}\n\nAccept the invitation: {link}\n\n"
        f"The link works for {Invitation.VALID_FOR.days} days.",
        None,
        [invitation.email],
    )
