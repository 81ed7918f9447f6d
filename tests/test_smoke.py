from django.conf import settings


def test_settings_load():
    assert settings.AUTH_USER_MODEL == "accounts.User"
