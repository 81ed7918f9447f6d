"""Which sessions may open an organisation's pages, as far as single sign-on goes.

A session signed in through organisation A's provider counts for A only: A's provider must
never open B's data, even for a person who is a member of both (a consultant). A session
signed in with a password opens every organisation of the user except those that require
single sign-on. org_view asks `refusal` on every organisation page.
"""

from django.contrib.auth import BACKEND_SESSION_KEY
from django.core.exceptions import ObjectDoesNotExist
from django.shortcuts import render

from accounts.sso.backends import PATH as BACKEND

SESSION_KEY = "ladder_sso"  # {"org": organisation id, "issuer": the provider's issuer}

OTHER_PROVIDER = "other-provider"
REQUIRED = "required"


def configuration(organization):
    """The organisation's single sign-on, or None (no query once select_related)."""
    try:
        return organization.single_sign_on
    except ObjectDoesNotExist:
        return None


def mark(session, config) -> None:
    """Note that this session signed in through `config`'s provider (after login())."""
    session[SESSION_KEY] = {"org": config.organization_id, "issuer": config.issuer}


def signed_in_via(session) -> dict | None:
    """{"org", "issuer"} of the provider this session signed in through, or None."""
    if session.get(BACKEND_SESSION_KEY) != BACKEND:
        return None
    return session.get(SESSION_KEY) or {}


def refusal(request, organization) -> str | None:
    """Why this session may not open `organization`'s pages (OTHER_PROVIDER, REQUIRED), or
    None when it may."""
    config = configuration(organization)
    via = signed_in_via(request.session)
    if via is not None:
        if config and via.get("org") == organization.pk and via.get("issuer") == config.issuer:
            return None
        return OTHER_PROVIDER
    if config is not None and config.required:
        return REQUIRED
    return None


def refused(request, organization, reason):
    """The page org_view answers with when `refusal` names a reason: it says why and offers
    the organisation's single sign-on."""
    context = {
        "organization": organization,
        "reason": reason,
        "config": configuration(organization),
    }
    return render(request, "accounts/sso/refused.html", context, status=403)
