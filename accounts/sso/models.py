"""An organisation's OpenID provider and the identities bound to it."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.sso import sealing


class SingleSignOn(models.Model):
    """An organisation's OpenID Connect provider, set by its owner.

    The client secret is write-only: forms never show it back, and it is stored encrypted
    (accounts.sso.sealing: JWE under a key derived from SECRET_KEY; changing SECRET_KEY means
    entering the secret again). `required` keeps the organisation's pages from sessions that
    did not sign in through this provider.
    """

    ORG_FIELD = "organization"

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="single_sign_on"
    )
    issuer = models.URLField(
        "issuer URL",
        max_length=300,
        help_text="e.g. https://login.microsoftonline.com/<tenant id>/v2.0, "
        "https://<your domain>.okta.com, https://accounts.google.com, "
        "https://<host>/realms/<realm>",
    )
    client_id = models.CharField("client ID", max_length=300)
    client_secret_sealed = models.TextField(blank=True)
    required = models.BooleanField(
        "require single sign-on for this organisation's members",
        default=False,
        help_text="Members who log in with a password cannot open this organisation's pages.",
    )
    updated = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Single sign-on of {self.organization}"

    @property
    def has_secret(self) -> bool:
        return bool(self.client_secret_sealed)

    def set_secret(self, secret: str) -> None:
        self.client_secret_sealed = sealing.seal(secret)

    def secret(self) -> str:
        return sealing.unseal(self.client_secret_sealed)


class Identity(models.Model):
    """A person's account at an organisation's provider: (issuer, subject), bound to one user
    and to the organisation whose provider vouched for it. The same subject at the same issuer
    (Google's is one for everyone) is a different identity for another organisation."""

    ORG_FIELD = "organization"

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="sso_identities"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities"
    )
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    created = models.DateTimeField(default=timezone.now)
    last_login = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "identities"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "issuer", "subject"], name="unique_sso_subject"
            ),
            models.UniqueConstraint(fields=["organization", "user"], name="unique_sso_user"),
        ]

    def __str__(self):
        return f"{self.subject} at {self.issuer} for {self.user}"
