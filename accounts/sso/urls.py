"""Single sign-on's public pages, mounted at /accounts/sso/ by config.urls (the owner's
settings page is organisation-scoped: accounts.urls)."""

from django.urls import path

from accounts.sso import views

app_name = "sso"
urlpatterns = [
    path("", views.start, name="start"),
    path("callback/", views.callback, name="callback"),
    path("link/", views.link, name="link"),
    path("link/<int:identity_id>/unlink/", views.unlink, name="unlink"),
]
