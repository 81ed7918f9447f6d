"""Organisation-scoped account pages; mounted under /o/<org_slug>/ by config.urls."""

from django.urls import path

from accounts import invitation_views, views
from accounts.sso import views as sso_views

app_name = "accounts"
urlpatterns = [
    path("members/", views.members, name="members"),
    path("members/<int:membership_id>/role/", views.member_role, name="member-role"),
    path("members/<int:membership_id>/remove/", views.member_remove, name="member-remove"),
    path("members/<int:membership_id>/unlock/", views.member_unlock, name="member-unlock"),
    path(
        "members/<int:membership_id>/sso-unlink/",
        views.member_sso_unlink,
        name="member-sso-unlink",
    ),
    path(
        "invitations/<int:invitation_id>/resend/",
        invitation_views.invitation_resend,
        name="invitation-resend",
    ),
    path(
        "invitations/<int:invitation_id>/revoke/",
        invitation_views.invitation_revoke,
        name="invitation-revoke",
    ),
    path("settings/", views.org_settings, name="settings"),
    path("settings/benchmarks/", views.benchmark_opt_in, name="benchmark-opt-in"),
    path("sites/new/", views.site_create, name="site-create"),
    path("sites/<int:site_id>/", views.site_edit, name="site-edit"),
    path("sites/<int:site_id>/delete/", views.site_delete, name="site-delete"),
    path("logo/", views.logo, name="logo"),
    path("single-sign-on/", sso_views.org_settings, name="sso-settings"),
]
