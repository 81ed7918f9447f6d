"""Ingest and read tokens: create one (its plain text shown once, after a redirect) and revoke
one. Owners and consultants."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.access import get_object_for_member, org_view
from integration import services
from integration.forms import ReadTokenForm, TokenForm
from integration.views.integrations import (
    DETAIL,
    NEW_TOKEN_SESSION_KEY,
    detail_context,
    examples_context,
    get_integration,
    integration_url,
    show_token_once,
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
    return show_token_once(request, integration, raw, mqtt=form.cleaned_data["mqtt"])


@org_view(facilitate=True, methods=("GET",), lookup=get_integration)
def token_created(request, integration_id):
    """The one page that shows a token's plain text: the session gives it up to this GET only,
    and the page is never cached."""
    integration = get_integration(request, integration_id)
    kept = request.session.get(NEW_TOKEN_SESSION_KEY)
    if not kept or kept["integration"] != str(integration.pk):
        messages.info(
            request,
            "A token's text is shown once, right after it is created. "
            "If it was not copied, create another and revoke the lost one.",
        )
        return redirect(integration_url(integration))  # the message shows at the top
    del request.session[NEW_TOKEN_SESSION_KEY]
    context = {
        "integration": integration,
        "new_integration": kept["new_integration"],
        "read": kept.get("read", False),
        "mqtt": kept.get("mqtt", ""),
        **examples_context(request, integration, raw_token=kept["raw"]),
    }
    response = render(request, "integration/token_created.html", context)
    response["Cache-Control"] = "no-store"
    return response


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


@org_view(facilitate=True, methods=("POST",), lookup=get_integration)
def read_token_create(request, integration_id):
    integration = get_integration(request, integration_id)
    form = ReadTokenForm(request.POST)
    if not form.is_valid():
        context = detail_context(request, integration, timezone.now(), read_token_form=form)
        return render(request, DETAIL, context, status=400)
    name = form.cleaned_data["name"]
    _, raw = services.read_token_issue(integration=integration, name=name, user=request.user)
    return show_token_once(request, integration, raw, read=True)


def _read_token(request, integration_id, read_token_id):
    integration = get_integration(request, integration_id)
    tokens = integration.read_tokens.all()
    return integration, get_object_for_member(request, tokens, pk=read_token_id)


@org_view(facilitate=True, methods=("GET", "HEAD", "POST"), lookup=_read_token)
def read_token_revoke(request, integration_id, read_token_id):
    """GET asks to confirm (dashboards using the token stop at once); POST revokes."""
    integration, token = _read_token(request, integration_id, read_token_id)
    if request.method == "POST":
        services.read_token_revoke(token=token, user=request.user, now=timezone.now())
        messages.success(request, f"Read token {token} revoked: it is refused from now on.")
        return redirect(integration_url(integration) + "#read-tokens")
    others = integration.read_tokens.filter(revoked__isnull=True).exclude(pk=token.pk).count()
    context = {"integration": integration, "token": token, "other_active": others, "read": True}
    return render(request, "integration/token_revoke.html", context)
