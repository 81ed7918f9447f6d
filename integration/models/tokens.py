"""Ingest and read tokens: shown once, stored hashed, revocable."""

import hashlib
import secrets
from datetime import timedelta

from django.db import models
from django.utils import timezone

from integration.models.integration import Integration


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class TokenManager(models.Manager):
    PREFIX = "ldr_"
    LAST_USED_EVERY = timedelta(minutes=1)

    def issue(self, *, integration, name="", now=None) -> tuple["Token", str]:
        """A new token and its plain text, which is shown once and never stored."""
        raw = self.PREFIX + secrets.token_urlsafe(32)
        token = self.create(
            integration=integration,
            name=name,
            hint=raw[: len(self.PREFIX) + 4],
            hash=token_hash(raw),
            created=now or timezone.now(),
        )
        return token, raw

    def authenticate(self, raw: str, *, now, cache=None) -> "Token | None":
        """The live token for `raw` with its integration, or None; notes `last_used` cheaply.

        `cache`: an `IngestCache` checked just now; the tokens it keeps are live (revoking or
        deleting one empties it), and a token found is kept in it."""
        if not raw.startswith(self.PREFIX) or len(raw) > 100:
            return None
        digest = token_hash(raw)
        token = cache.tokens.get(digest) if cache is not None else None
        if token is None:
            token = (
                self.select_related("integration").filter(hash=digest, revoked__isnull=True).first()
            )
            if token is None:
                return None
            if cache is not None:
                cache.remember_token(token)
        # At most one write a minute per token, not one per request.
        if token.last_used is None or now - token.last_used >= self.LAST_USED_EVERY:
            self.filter(pk=token.pk).update(last_used=now)
            token.last_used = now
        return token


class Token(models.Model):
    """A secret of one integration, stored as a SHA-256 hash only; its plain text is shown once.
    Each kind has its own table and prefix, so one kind is never accepted as the other."""

    ORG_FIELD = "integration__organization"
    LABEL = "token"  # what a nameless one is called

    name = models.CharField(max_length=120, blank=True)
    hint = models.CharField(max_length=12, editable=False, help_text="The token's first letters.")
    hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    revoked = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True
        ordering = ["-created"]

    def __str__(self):
        return f"{self.name or self.LABEL} {self.hint}…"

    @property
    def is_active(self) -> bool:
        return self.revoked is None

    def revoke(self, *, now=None) -> None:
        """Refuse this token from now on; revoking twice keeps the first time."""
        if self.revoked is None:
            self.revoked = now or timezone.now()
            self.save(update_fields=["revoked"])


class IngestToken(Token):
    """A secret an integration sends with its data (`ldr_...`)."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="tokens")
    # Since when the broker has this token as its integration's MQTT password (the newest one
    # pushed: the broker holds one password per username); see integration.mqtt.brokerauth.
    on_broker = models.DateTimeField(null=True, blank=True, editable=False)

    objects = TokenManager()

    class Meta(Token.Meta):
        pass


class ReadTokenManager(TokenManager):
    PREFIX = "ldr_read_"


class ReadToken(Token):
    """A secret that reads one integration's series and metrics (dashboards such as Grafana,
    `ldr_read_...`); it can never write: ingest looks tokens up in IngestToken's table only."""

    LABEL = "read token"

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="read_tokens"
    )
    hint = models.CharField(max_length=16, editable=False, help_text="The token's first letters.")

    objects = ReadTokenManager()

    class Meta(Token.Meta):
        pass
