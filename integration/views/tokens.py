"""Ingest tokens: create one (its plain text shown once) and revoke one. Owners and consultants."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.access import get_object_for_member, org_view
from integration import services
from integration.forms import TokenForm
from integration.views.integrations import (
    DETAIL,
    detail_context,
    get_integration,
    integration_url,
    token_page,
)


@org_view(facilitate=True, methods=("POST",), lookup=get_integration)
def token_create(request, integration_id):
    integration = get_integration(request, integration_id)
    form = TokenForm(request.POST)
    if not form.is_valid():
        context = detail_context(request, integration, timezone.now(), token_form=form)
        return render(request, DETAIL, context, status=400)
    name = form.cleaned_data["name"]
    _, raw = services.token_issue(integration=integration, name=name, user=request.user)
    return token_page(request, {"integration": integration, "raw_token": raw})


def _token(request, integration_id, token_id):
    integration = get_integration(request, integration_id)
    return integration, get_object_for_member(request, integration.tokens.all(), pk=token_id)


@org_view(facilitate=True, methods=("GET", "HEAD", "POST"), lookup=_token)
def token_revoke(request, integration_id, token_id):
    """GET asks to confirm (devices using the token stop at once); POST revokes."""
    integration, token = _token(request, integration_id, token_id)
    if request.method == "POST":
        services.token_revoke(token=token, user=request.user, now=timezone.now())
        messages.success(request, f"Token {token} revoked: it is refused from now on.")
        return redirect(integration_url(integration) + "#tokens")
    others = integration.tokens.filter(revoked__isnull=True).exclude(pk=token.pk).count()
    context = {"integration": integration, "token": token, "other_active": others}
    return render(request, "integration/token_revoke.html", context)
