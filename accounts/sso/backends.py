"""The authentication backend a single sign-on session is logged in with.

Django keeps the backend's path in the session, so it tells a session signed in through a
provider from one signed in with a password: a later password login replaces it.
"""

from django.contrib.auth.backends import ModelBackend

PATH = "accounts.sso.backends.SingleSignOnBackend"


class SingleSignOnBackend(ModelBackend):
    """Never checks a password: accounts.sso.views.callback logs the user in with it."""

    def authenticate(self, request, **credentials):
        return None
