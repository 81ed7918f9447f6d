"""An owner's invitations on the People page: their states, resend and revoke."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.access import get_object_for_member, org_view
from accounts.models import Invitation

SHOWN = 50  # the most recent invitations the People page lists


def invitation_rows(request) -> list[Invitation]:
    """The organisation's recent invitations, each with its `current` state; owners also get
    the `link` of pending ones when Ladder's emails reach nobody, to pass it on themselves."""
    now = timezone.now()
    show_links = request.membership.can_manage and not services.email_delivered()
    # Like the integrations' commands: SITE_URL when set, else the address the browser is on.
    base = settings.SITE_URL if settings.SITE_URL_SET else request.build_absolute_uri("/")[:-1]
    rows = list(request.org.invitations.select_related("invited_by")[:SHOWN])
    for invitation in rows:
        invitation.current = invitation.state(now)
        pending = invitation.current == Invitation.State.PENDING
        path = reverse("invitation-accept", args=[invitation.token])
        invitation.link = base + path if show_links and pending else ""
    return rows


def _back(request, invitation):
    url = reverse("accounts:members", args=[request.org.slug])
    return redirect(f"{url}#invitation-{invitation.pk}")


@org_view(manage=True, methods=("POST",))
def invitation_resend(request, invitation_id):
    invitation = get_object_for_member(request, Invitation, pk=invitation_id)
    try:
        services.invitation_resend(invitation=invitation, user=request.user)
    except services.InvitationRefused as refusal:
        messages.error(request, str(refusal))
    else:
        sent = "sent again to" if services.email_delivered() else "renewed for"
        messages.success(request, f"Invitation {sent} {invitation.email}; the old link is void.")
    return _back(request, invitation)


@org_view(manage=True, methods=("POST",))
def invitation_revoke(request, invitation_id):
    invitation = get_object_for_member(request, Invitation, pk=invitation_id)
    try:
        services.invitation_revoke(invitation=invitation, user=request.user)
    except services.InvitationRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"Invitation to {invitation.email} revoked.")
    return _back(request, invitation)
