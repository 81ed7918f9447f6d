"""Creating integrations and their tokens."""

from __future__ import annotations

from django.db import transaction

import audit.trail as audit
from audit.models import AuditEvent
from integration.models import IngestToken, Integration

__all__ = ["integration_create", "token_issue", "token_revoke"]


@transaction.atomic
def integration_create(
    *,
    organization,
    name: str,
    interval_seconds: int = 300,
    grace_seconds: int | None = None,
    token_name: str = "first token",
    now=None,
    user=None,
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
    _, raw = token_issue(integration=integration, name=token_name, user=user, now=now)
    return integration, raw


@transaction.atomic
def token_issue(*, integration, name: str, user=None, now=None) -> tuple[IngestToken, str]:
    """A new ingest token and its plain text (shown once); audited."""
    token, raw = IngestToken.objects.issue(integration=integration, name=name, now=now)
    after = {"name": token.name, "starts with": token.hint}
    _record(token, user, "issued", {}, after, at=token.created)
    return token, raw


@transaction.atomic
def token_revoke(*, token: IngestToken, user, now) -> None:
    """Refuse the token from now on; audited."""
    token.revoke(now=now)
    _record(token, user, "revoked", {"revoked": None}, {"revoked": now}, at=now)


def _record(token, user, action, before, after, *, at):
    integration = token.integration
    audit.record(
        organization=integration.organization,
        actor=user,
        area=AuditEvent.Area.TOKENS,
        action=action,
        subject=f"Token {token.name or token.hint} of {integration.name}",
        obj=token,
        before=before,
        after=after,
        at=at,
    )
