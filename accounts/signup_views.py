"""Open sign-up's pages (SIGNUP=open): sign up, check your inbox, verify, resend the link.
With SIGNUP closed or invite, the sign-up pages are 404 like any missing page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import signup
from accounts.forms import OpenSignUpForm
from accounts.models import Membership


def _open_only():
    if not signup.signup_allowed():
        raise Http404("Sign-up is not open on this install")


def signup_page(request):
    _open_only()
    if request.user.is_authenticated:
        return redirect("home")
    form = OpenSignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        signup.signup_create(
            email=data["email"],
            password=data["password1"],
            first_name=data["first_name"],
            organization_name=data["organization_name"],
        )
        # The same answer whether or not the address had an account.
        return redirect("signup-sent")
    status = 400 if form.errors else 200
    return render(request, "registration/signup.html", {"form": form}, status=status)


def signup_sent(request):
    _open_only()
    return render(request, "registration/signup_sent.html")


def email_verify(request, token):
    """GET shows a button; the POST verifies (a link scanner's GET changes nothing)."""
    if request.method != "POST":
        return render(request, "registration/email_verify.html")
    try:
        user = signup.email_verify(token=token)
    except signup.VerificationRefused:
        return render(request, "registration/email_verify.html", {"refused": True}, status=400)
    messages.success(request, "Your email address is verified.")
    if request.user == user:
        return redirect("home")
    return redirect(f"{reverse('login')}?next={reverse('home')}")


@login_required
@require_POST
def verification_resend(request):
    """A new link, at most one a minute: the address is not proven yet, so it may be a
    stranger's mailbox someone wants to flood."""
    waiting = Membership.objects.filter(
        user=request.user, organization__awaiting_verification=True
    ).exists()
    if waiting and cache.add(f"ladder-verify-resend:{request.user.pk}", 1, timeout=60):
        signup.verification_send(user=request.user)
        messages.success(request, f"We sent a new link to {request.user.email}.")
    elif waiting:
        messages.info(request, "A link was sent less than a minute ago: check your inbox.")
    return redirect("home")
