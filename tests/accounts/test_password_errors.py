"""A refused new password says why under the password field itself, on every form that sets
one: the password change, the reset link's form and an invitation's sign-up."""

import re

import pytest
from django.urls import reverse

from accounts.models import Invitation
from tests.conftest import PASSWORD

TOO_SHORT = "This password is too short."


def errors(html) -> dict[str, str]:
    """Each field's error text by field id, and the form's own errors under "form"."""
    found = dict(re.findall(r'<p class="field-error" id="id_(\w+)_error">(.*?)</p>', html, re.S))
    top = re.search(r'<div class="form-errors"[^>]*>(.*?)</div>', html, re.S)
    return {**found, **({"form": top.group(1)} if top else {})}


def change(client, owner, new, again):
    client.force_login(owner)
    data = {"old_password": PASSWORD, "new_password1": new, "new_password2": again}
    return client.post(reverse("password_change"), data)


def reset(client, owner, new, again, mailoutbox):
    client.post(reverse("password_reset"), {"email": owner.email})
    link = next(line for line in mailoutbox[0].body.splitlines() if "/reset/" in line)
    form = client.get(link, follow=True)
    data = {"new_password1": new, "new_password2": again}
    return client.post(form.redirect_chain[-1][0], data)


def sign_up(client, owner, new, again, org):
    invitation = Invitation.objects.create(organization=org, email="new@acme.test")
    data = {"first_name": "Nia", "new_password1": new, "new_password2": again}
    return client.post(reverse("invitation-accept", args=[invitation.token]), data)


@pytest.fixture(params=["change", "reset", "sign_up"])
def send(request, client, owner, org, mailoutbox):
    extra = {"change": {}, "reset": {"mailoutbox": mailoutbox}, "sign_up": {"org": org}}
    form = {"change": change, "reset": reset, "sign_up": sign_up}[request.param]
    return lambda new, again: form(client, owner, new, again, **extra[request.param])


def test_a_refused_password_is_explained_under_the_password(send):
    response = send("abc", "abc")
    assert response.status_code in (200, 400)  # Django's own views answer a bad form with 200
    shown = errors(response.text)
    assert TOO_SHORT in shown["new_password1"]
    assert "new_password2" not in shown and "form" not in shown


def test_a_mismatch_is_explained_under_the_confirmation(send):
    shown = errors(send("a-new-long-password-77", "another-long-password-78").text)
    assert "didn’t match" in shown["new_password2"]
    assert "new_password1" not in shown and "form" not in shown
