from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from django.core import checks

        from accounts.signup import check_signup_can_verify

        checks.register(check_signup_can_verify)
