"""Calendar feed keys: the secret in the URL of a person's milestone calendar feed."""

import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone


def _feed_key() -> str:
    return secrets.token_urlsafe(32)


class FeedKey(models.Model):
    """The secret in a person's calendar feed URL (43 random characters, 256 bits).

    Kept as it is, not hashed, so the "mine" page can show the URL again; resetting it makes the
    old URL answer 404.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="milestone_feed_key"
    )
    key = models.CharField(max_length=64, unique=True, default=_feed_key)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Milestone feed key of {self.user_id}"

    def reset(self, *, now: datetime) -> None:
        self.key, self.created = _feed_key(), now
        self.save(update_fields=["key", "created"])
