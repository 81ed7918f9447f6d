from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.access import LAST_ORG_SESSION_KEY, get_object_for_member, org_view, refuse_unless
from accounts.addresses import normalise
from accounts.forms import (
    BenchmarkForm,
    ChangePasswordForm,
    InvitationForm,
    LoginForm,
    NewPasswordForm,
    OrganizationForm,
    ProfileForm,
    RoleForm,
    SignUpForm,
    SiteForm,
)
from accounts.invitation_views import invitation_rows
from accounts.models import FailedLogin, Invitation, Membership, Role, Site, User
from accounts.sso import services as sso_services
from accounts.sso.models import Identity


class LoginView(auth_views.LoginView):
    """Django's login, with the throttled form: five wrong passwords lock an address."""

    authentication_form = LoginForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, signup_open=settings.SIGNUP == "open")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's, and the new password also lifts a lockout: the emailed link proved the
    mailbox is the person's, and the guesses were at the old password."""

    form_class = NewPasswordForm

    def form_valid(self, form):
        response = super().form_valid(form)
        FailedLogin.objects.clear(user=form.user)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's, with a refused password's reasons under the new password field."""

    form_class = ChangePasswordForm


@login_required
def home(request):
    """Send the user to the organisation they used last, or their first one."""
    memberships = Membership.objects.filter(user=request.user).select_related("organization")
    last = request.session.get(LAST_ORG_SESSION_KEY)
    for membership in memberships:
        if membership.organization.slug == last:
            return redirect("org-home", org_slug=last)
    if memberships:
        return redirect("org-home", org_slug=memberships[0].organization.slug)
    return render(request, "accounts/no_organization.html")


@org_view
def members(request):
    refuse_unless(
        request.membership.role != Role.AUDITOR,
        "Auditors see the organisation's data, not its people.",
    )
    form = InvitationForm(request.POST or None, organization=request.org)
    if request.method == "POST":
        refuse_unless(
            request.membership.can_manage, "Only the organisation's owners can invite people."
        )
        if form.is_valid():
            invitation = form.save(commit=False)
            invitation.organization = request.org
            try:
                services.invitation_send(invitation=invitation, user=request.user)
            except services.InvitationRefused as refusal:
                form.add_error("email", str(refusal))
            else:
                sent = "sent to" if services.email_delivered() else "made for"
                messages.success(request, f"Invitation {sent} {invitation.email}.")
                url = reverse("accounts:members", args=[request.org.slug])
                return redirect(f"{url}#invitation-{invitation.pk}")
    memberships = list(request.org.memberships.select_related("user").order_by("user__email"))
    locked = (
        FailedLogin.objects.locked_users([m.user for m in memberships], now=timezone.now())
        if request.membership.can_manage
        else set()
    )
    context = {
        "form": form,
        "memberships": memberships,
        "sso_linked": _sso_linked(request),
        "invitations": invitation_rows(request),
        "show_links": request.membership.can_manage and not services.email_delivered(),
        "locked_users": locked,
        "sole_owner_id": _sole_owner_id(memberships),
    }
    return render(request, "accounts/members.html", context, status=400 if form.errors else 200)


def _sso_linked(request) -> set[int]:
    """The members who sign in through the organisation's provider (owners see and unlink)."""
    if not request.membership.can_manage:
        return set()
    return set(request.org.sso_identities.values_list("user_id", flat=True))


def _sole_owner_id(memberships) -> int | None:
    """The organisation's only owner's membership, offered no Remove (the server refuses it)."""
    owners = [m.pk for m in memberships if m.role == Role.OWNER]
    return owners[0] if len(owners) == 1 else None


@org_view(manage=True, methods=("POST",))
def member_role(request, membership_id):
    membership = get_object_for_member(request, Membership, pk=membership_id)
    form = RoleForm(request.POST, instance=Membership.objects.get(pk=membership.pk))
    saved = form.is_valid()
    if saved:
        try:
            services.membership_role_set(
                membership=membership, role=form.cleaned_data["role"], user=request.user
            )
        except services.LastOwner as refusal:
            form.add_error("role", str(refusal))
            saved = False
    if request.htmx:
        context = {
            "membership": membership,
            "role_form": form,
            "saved": saved,
            "sole_owner_id": _sole_owner_id(request.org.memberships.all()),
            "sso_linked": _sso_linked(request),
        }
        return render(
            request, "accounts/members.html#member-row", context, status=200 if saved else 400
        )
    if saved:
        messages.success(request, f"{membership.user} is now {membership.get_role_display()}.")
    for error in form.errors.get("role", []):
        messages.error(request, error)
    return redirect("accounts:members", org_slug=request.org.slug)


@org_view(manage=True, methods=("POST",))
def member_remove(request, membership_id):
    membership = get_object_for_member(request, Membership, pk=membership_id)
    try:
        services.membership_remove(membership=membership, user=request.user)
    except services.LastOwner as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"{membership.user} no longer has access.")
    return redirect("accounts:members", org_slug=request.org.slug)


@org_view(manage=True, methods=("POST",))
def member_sso_unlink(request, membership_id):
    """An owner unlinks a member's account at the provider (linked to the wrong person, or
    that account is no longer theirs); the member logs in with a password or links again."""
    membership = get_object_for_member(request, Membership, pk=membership_id)
    identity = get_object_or_404(Identity, organization=request.org, user=membership.user)
    sso_services.identity_unlink(identity=identity, user=request.user)
    messages.success(request, f"{membership.user} no longer signs in through the provider.")
    return redirect("accounts:members", org_slug=request.org.slug)


@org_view(manage=True, methods=("POST",))
def member_unlock(request, membership_id):
    """An owner lets a member who is locked out after wrong passwords try again."""
    membership = get_object_for_member(request, Membership, pk=membership_id)
    try:
        services.login_unlock(membership=membership, user=request.user)
    except services.UnlockRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"{membership.user} can log in again.")
    return redirect("accounts:members", org_slug=request.org.slug)


def invitation_accept(request, token):
    """An invited person joins: existing users log in first, new ones set a password."""
    invitation = get_object_or_404(Invitation, token=token)
    if not invitation.is_open():
        context = {"state": invitation.state()}
        return render(request, "accounts/invitation_closed.html", context, status=410)
    user = User.objects.filter(email=normalise(invitation.email)).first()
    if not user and settings.SIGNUP == "closed" and not invitation.from_operator:
        context = {"state": "closed"}  # only the operator's invitations make accounts
        return render(request, "accounts/invitation_closed.html", context, status=410)
    if user and request.user != user:
        messages.info(request, f"Log in as {invitation.email} to accept the invitation.")
        return redirect(f"{reverse('login')}?next={request.path}")
    if user and request.method != "POST":
        return render(request, "accounts/invitation.html", {"invitation": invitation})
    form = None if user else SignUpForm(User(email=invitation.email), request.POST or None)
    if form and not (request.method == "POST" and form.is_valid()):
        context = {"invitation": invitation, "form": form}
        status = 400 if form.errors else 200
        return render(request, "accounts/invitation.html", context, status=status)
    try:
        with transaction.atomic():  # a new account only if it joins
            return _join(request, invitation, user or form.save())
    except services.InvitationRefused:  # revoked or accepted meanwhile
        invitation.refresh_from_db()
        context = {"state": invitation.state()}
        return render(request, "accounts/invitation_closed.html", context, status=410)


def _join(request, invitation, user):
    services.invitation_accept(invitation=invitation, user=user)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, f"Welcome to {invitation.organization}.")
    return redirect("org-home", org_slug=invitation.organization.slug)


@org_view(manage=True)
def org_settings(request):
    form = OrganizationForm(request.POST or None, request.FILES or None, instance=request.org)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Organisation settings saved.")
        return redirect("accounts:settings", org_slug=request.org.slug)
    context = {"form": form, "site_form": SiteForm(organization=request.org)}
    context["benchmark_form"] = _benchmark_form(request.org)
    return render(request, "accounts/settings.html", context, status=400 if form.errors else 200)


def _benchmark_form(org):
    return BenchmarkForm(initial={"benchmark_opt_in": org.benchmark_opt_in})


@org_view(manage=True, methods=("POST",))
def benchmark_opt_in(request):
    form = BenchmarkForm(request.POST)
    form.is_valid()  # a checkbox: absent means off
    opt_in = form.cleaned_data.get("benchmark_opt_in", False)
    services.benchmark_opt_in_set(organization=request.org, user=request.user, opt_in=opt_in)
    if opt_in:
        messages.success(request, "Your anonymous figures now count in the benchmarks.")
    else:
        messages.success(request, "Your figures no longer count in the benchmarks.")
    return redirect("accounts:settings", org_slug=request.org.slug)


@org_view(manage=True, methods=("POST",))
def site_create(request):
    form = SiteForm(request.POST, organization=request.org)
    if form.is_valid():
        form.save()
        messages.success(request, f"Site {form.instance.name} added.")
        return redirect("accounts:settings", org_slug=request.org.slug)
    context = {"form": OrganizationForm(instance=request.org), "site_form": form}
    context["benchmark_form"] = _benchmark_form(request.org)
    return render(request, "accounts/settings.html", context, status=400)


@org_view(manage=True)
def site_edit(request, site_id):
    site = get_object_for_member(request, Site, pk=site_id)
    form = SiteForm(request.POST or None, instance=site, organization=request.org)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Site {site.name} saved.")
        return redirect("accounts:settings", org_slug=request.org.slug)
    return render(
        request,
        "accounts/site_edit.html",
        {"form": form, "site": site},
        status=400 if form.errors else 200,
    )


@org_view(manage=True, methods=("POST",))
def site_delete(request, site_id):
    site = get_object_for_member(request, Site, pk=site_id)
    site.delete()
    messages.success(request, f"Site {site.name} removed.")
    return redirect("accounts:settings", org_slug=request.org.slug)


@login_required
def profile(request):
    """A person's own name, and for consultants the firm shown on their reports."""
    form = ProfileForm(request.POST or None, request.FILES or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile is saved.")
        return redirect("profile")
    return render(
        request, "accounts/profile.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
def firm_logo(request):
    if not request.user.firm_logo:
        raise Http404("No firm logo")
    return FileResponse(request.user.firm_logo.open("rb"))


@org_view
def logo(request):
    """The organisation's logo, served only to its members."""
    if not request.org.logo:
        raise Http404("No logo")
    return FileResponse(request.org.logo.open("rb"))
