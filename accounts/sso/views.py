"""Single sign-on pages: sign in with an organisation's provider, the provider's callback,
linking one's own account, and the owner's settings."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import LAST_ORG_SESSION_KEY, org_view
from accounts.sso import client, flows, policy, services
from accounts.sso.backends import PATH as BACKEND
from accounts.sso.forms import SingleSignOnForm, StartForm
from accounts.sso.models import Identity, SingleSignOn
from accounts.sso.sealing import Unreadable

NOT_SET_UP = "No single sign-on is set up under this name. Check it with your organisation's owner."


def redirect_uri(request) -> str:
    """The callback address to register at the provider: on SITE_URL when it is set."""
    base = settings.SITE_URL if settings.SITE_URL_SET else request.build_absolute_uri("/")
    return base.rstrip("/") + reverse("sso:callback")


def _go(request, config, **flow):
    try:
        url = flows.begin(
            request.session, config=config, redirect_uri=redirect_uri(request), **flow
        )
    except client.ProviderError as error:
        return _failed(request, f"The provider cannot be used right now: {error}")
    return redirect(url)


def start(request):
    """Sign in with an organisation's provider, named by the organisation's short name. An
    unknown name and one without single sign-on get the same answer."""
    form = StartForm(request.POST or None, initial={"organization": request.GET.get("org", "")})
    if request.method == "POST" and form.is_valid():
        slug = form.cleaned_data["organization"]
        config = SingleSignOn.objects.filter(organization__slug=slug).first()
        if config is not None:
            invitation = form.cleaned_data["invitation"]
            return _go(request, config, purpose=flows.LOGIN, invitation=invitation)
        form.add_error("organization", NOT_SET_UP)
    status = 400 if form.errors else 200
    return render(request, "accounts/sso/start.html", {"form": form}, status=status)


def callback(request):
    """The provider sends the person back here with a code for the flow `state` names."""
    flow = flows.take(request.session, request.GET.get("state", ""))
    if flow is None:
        return _failed(request, "This sign-in was not started here or took too long: start again.")
    config = SingleSignOn.objects.select_related("organization").filter(pk=flow["config"]).first()
    if config is None or config.issuer != flow["issuer"]:
        return _failed(request, "The organisation's single sign-on changed meanwhile: start again.")
    if "error" in request.GET:
        reason = f"The provider did not sign you in ({request.GET['error'][:100]})."
        services.sign_in_refused(config=config, subject="", reason=reason)
        return _failed(request, reason)
    claims = {}
    try:
        metadata = client.discover(config.issuer)
        token = client.exchange_code(
            metadata,
            client_id=config.client_id,
            client_secret=config.secret(),
            redirect_uri=flow["redirect_uri"],
            code=request.GET.get("code", ""),
            verifier=flow["verifier"],
        )
        claims = client.validate_id_token(
            token["id_token"],
            metadata=metadata,
            client_id=flow["client_id"],
            nonce=flow["nonce"],
            access_token=token.get("access_token", ""),
        )
        user = services.sign_in(
            config=config, subject=claims["sub"], flow=flow, current_user=request.user
        )
    except (client.ProviderError, Unreadable, services.Refused) as error:
        services.sign_in_refused(config=config, subject=claims.get("sub", ""), reason=str(error))
        return _failed(request, str(error))
    login(request, user, backend=BACKEND)
    policy.mark(request.session, config)
    request.session[LAST_ORG_SESSION_KEY] = config.organization.slug
    return redirect("org-home", org_slug=config.organization.slug)


def _failed(request, reason):
    return render(request, "accounts/sso/failed.html", {"reason": reason}, status=403)


@login_required
def link(request):
    """A person links their own account at an organisation's provider, from a password login."""
    if request.method == "POST":
        if policy.signed_in_via(request.session) is not None:
            messages.error(request, "Log in with your password to link an account.")
            return redirect("sso:link")
        config = get_object_or_404(
            SingleSignOn,
            organization__slug=request.POST.get("organization", ""),
            organization__memberships__user=request.user,
        )
        return _go(request, config, purpose=flows.LINK, user_id=request.user.pk)
    identities = request.user.sso_identities.select_related("organization")
    linked = {identity.organization_id for identity in identities}
    linkable = SingleSignOn.objects.filter(organization__memberships__user=request.user).exclude(
        organization__in=linked
    )
    context = {"identities": identities, "linkable": linkable.select_related("organization")}
    return render(request, "accounts/sso/link.html", context)


@login_required
@require_POST
def unlink(request, identity_id):
    identity = get_object_or_404(Identity, pk=identity_id, user=request.user)
    services.identity_unlink(identity=identity, user=request.user)
    messages.success(request, f"Your account at {identity.organization}'s provider is unlinked.")
    return redirect("sso:link")


@org_view(manage=True)
def org_settings(request):
    """The owner's provider settings for the organisation."""
    config = policy.configuration(request.org) or SingleSignOn(organization=request.org)
    if request.method == "POST" and "remove" in request.POST and config.pk:
        services.sso_remove(config=config, user=request.user)
        messages.success(request, "Single sign-on is removed.")
        return redirect("accounts:sso-settings", org_slug=request.org.slug)
    here = (policy.signed_in_via(request.session) or {}).get("org") == request.org.pk
    form = SingleSignOnForm(request.POST or None, instance=config, signed_in_here=here)
    if request.method == "POST" and form.is_valid():
        services.sso_configure(
            config=form.instance, secret=form.cleaned_data["client_secret"], user=request.user
        )
        messages.success(request, "Single sign-on saved.")
        return redirect("accounts:sso-settings", org_slug=request.org.slug)
    context = {"form": form, "config": config, "redirect_uri": redirect_uri(request)}
    status = 400 if form.errors else 200
    return render(request, "accounts/sso/settings.html", context, status=status)
