"""Pages that make organisations: the install's first run and a consultant's client
organisations. The work is accounts.onboarding's; these check who may and render."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from accounts import onboarding
from accounts import views as account_views
from accounts.access import refuse_unless
from accounts.models import Membership
from accounts.onboarding_forms import ClientOrganizationForm, SetupForm


def home(request):
    """While the install has no account, `/` is the way to set it up."""
    if onboarding.first_run_open():
        return redirect("setup")
    return account_views.home(request)


def setup(request):
    """The first owner and organisation; refused (403) once any account exists."""
    refuse_unless(onboarding.first_run_open(), str(onboarding.SetupClosed()))
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, org = onboarding.first_run_setup(
                email=data["email"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                org_name=data["org_name"],
                industry=data["industry"],
            )
        except onboarding.SetupClosed as refusal:
            refuse_unless(False, str(refusal))
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to Ladder. {org.name} is ready to set up.")
        return redirect("org-home", org_slug=org.slug)
    status = 400 if form.errors else 200
    return render(request, "accounts/setup.html", {"form": form}, status=status)


@login_required
def organization_add(request):
    """A consultant's new client organisation (an owner's too, when the install allows)."""
    memberships = Membership.objects.filter(user=request.user)
    refuse_unless(
        onboarding.may_add_organisation(memberships),
        "Only consultants can add client organisations.",
    )
    form = ClientOrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        org, invitation = onboarding.client_organization_create(
            user=request.user,
            name=data["name"],
            industry=data["industry"],
            sites=data["sites"],
            owner_email=data["owner_email"],
        )
        invited = f" {invitation.email} is invited as its owner." if invitation else ""
        messages.success(request, f"{org.name} is added.{invited}")
        return redirect("org-home", org_slug=org.slug)
    status = 400 if form.errors else 200
    return render(request, "accounts/organization_add.html", {"form": form}, status=status)
