from django.urls import reverse

from tests.conftest import PASSWORD


def test_it_logs_in_with_email_address(client, owner):
    response = client.post(reverse("login"), {"username": "OWNER@acme.test", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_it_refuses_wrong_password_with_message(client, owner):
    response = client.post(reverse("login"), {"username": owner.email, "password": "nope"})
    assert response.status_code == 200
    assert "enter a correct email address and password" in response.content.decode().lower()
    assert "_auth_user_id" not in client.session


def test_home_redirects_anonymous_to_login(client, owner):
    # With no account at all, home leads to the setup page (tests/accounts/test_first_run.py).
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_home_sends_user_to_their_organisation(client, owner, org):
    client.force_login(owner)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("org-home", args=[org.slug])


def test_home_remembers_last_organisation(client, consultant, other_org):
    client.force_login(consultant)
    client.get(reverse("org-home", args=[other_org.slug]))
    response = client.get(reverse("home"))
    assert response.url == reverse("org-home", args=[other_org.slug])


def test_home_explains_when_user_has_no_organisation(client, db):
    from tests.conftest import make_user

    client.force_login(make_user("loner@example.test"))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "not in an organisation yet" in response.content.decode()


def test_logout_is_a_post(client, owner):
    client.force_login(owner)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link(client, owner, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": owner.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body


def test_password_change_needs_old_password(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "wrong",
            "new_password1": "x-new-pass-99",
            "new_password2": "x-new-pass-99",
        },
    )
    assert response.status_code == 200
    assert "old password was entered incorrectly" in response.content.decode()
