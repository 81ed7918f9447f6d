from django.contrib import admin
from django.urls import include, path

from accounts import onboarding_views, signup_views
from accounts import views as accounts_views
from assessments.urls import audit_patterns
from assessments.views import feeds as feed_views
from assessments.views.operations import operations
from assessments.views.overview import overview
from assessments.views.reports import portfolio
from integration.urls import api_patterns as integration_api

# Everything under /o/<org_slug>/ goes through accounts.access.org_view: members only.
org_patterns = [
    path("", overview, name="org-home"),
    path("", include("accounts.urls")),
    path("", include("assessments.urls")),
    path("integrations/", include("integration.urls")),
    path("audit/", include(audit_patterns)),
]

urlpatterns = [
    path("", onboarding_views.home, name="home"),  # the first run's setup while no account exists
    path("setup/", onboarding_views.setup, name="setup"),
    path("organisations/new/", onboarding_views.organization_add, name="organization-add"),
    path("accounts/login/", accounts_views.LoginView.as_view(), name="login"),  # throttled
    path(
        "accounts/reset/<uidb64>/<token>/",
        accounts_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),  # lifts a lockout
    path(
        "accounts/password_change/",
        accounts_views.PasswordChangeView.as_view(),
        name="password_change",
    ),  # errors under the field they concern
    path("accounts/signup/", signup_views.signup_page, name="signup"),  # SIGNUP=open only
    path("accounts/signup/sent/", signup_views.signup_sent, name="signup-sent"),
    path("accounts/verify/<str:token>/", signup_views.email_verify, name="email-verify"),
    path("accounts/verify/", signup_views.verification_resend, name="verification-resend"),
    path("accounts/sso/", include("accounts.sso.urls")),  # single sign-on (OpenID Connect)
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/profile/", accounts_views.profile, name="profile"),
    path("accounts/profile/firm-logo/", accounts_views.firm_logo, name="firm-logo"),
    path("invitations/<str:token>/", accounts_views.invitation_accept, name="invitation-accept"),
    path("feeds/<str:key>/milestones.ics", feed_views.milestone_feed, name="milestone-feed"),
    path("o/<slug:org_slug>/", include(org_patterns)),
    path("portfolio/", portfolio, name="portfolio"),
    path("operations/", operations, name="operations"),  # staff only
    path("", include(integration_api)),
    path("admin/", admin.site.urls),
]
