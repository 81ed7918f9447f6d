"""Creating integrations and their tokens."""

from __future__ import annotations

from django.db import transaction

from integration.models import IngestToken, Integration

__all__ = ["integration_create"]


@transaction.atomic
def integration_create(
    *,
    organization,
    name: str,
    interval_seconds: int = 300,
    grace_seconds: int | None = None,
    token_name: str = "first token",
    now=None,
    **fields,
) -> tuple[Integration, str]:
    """A new integration with one ingest token; returns it and the token's plain text (shown once).

    Raises ValidationError for bad fields (e.g. a name the organisation already uses).
    """
    integration = Integration(
        organization=organization,
        name=name,
        interval_seconds=interval_seconds,
        grace_seconds=interval_seconds if grace_seconds is None else grace_seconds,
        **fields,
    )
    if now is not None:
        integration.created = now
    integration.full_clean()
    integration.save()
    _, raw = IngestToken.objects.issue(integration=integration, name=token_name, now=now)
    return integration, raw
