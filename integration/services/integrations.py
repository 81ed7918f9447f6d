"""Creating and changing integrations, and their tokens; every change is audited.

Interval, grace and paused decide whether a flow counts as up, and so whether it backs a
process's claimed level: the views let only owners and consultants change them (and issue
tokens). These services record who did, whoever calls them.
"""

from __future__ import annotations

from django.db import models, transaction

import audit.trail as audit
from integration.models import IngestToken, Integration, ReadToken
from integration.mqtt import brokerauth

__all__ = [
    "integration_create",
    "integration_update",
    "read_token_issue",
    "read_token_revoke",
    "token_issue",
    "token_revoke",
]


class AuditArea(models.TextChoices):
    """The audit trail's areas for what this module changes (processes' links use the second)."""

    TOKENS = "tokens", "Ingest tokens"
    INTEGRATIONS = "integrations", "Integrations"


# What the audit trail shows of an integration; the last three move its health.
AUDITED_FIELDS = (
    "name",
    "description",
    "source_system",
    "target_system",
    "interval_seconds",
    "grace_seconds",
    "paused",
)


@transaction.atomic
def integration_create(
    *,
    organization,
    name: str,
    interval_seconds: int = 300,
    grace_seconds: int | None = None,
    token_name: str | None = "first token",
    now=None,
    user=None,
    **fields,
) -> tuple[Integration, str]:
    """A new integration with one ingest token; returns it and the token's plain text (shown once).

    `token_name=None` issues no token (the text is then ""). Raises ValidationError for bad
    fields (e.g. a name the organisation already uses).
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
    if integration.sparkplug_group:
        # Hold the edge node's other bindings while checking they are this organisation's.
        list(
            Integration.objects.select_for_update().filter(
                sparkplug_group=integration.sparkplug_group,
                sparkplug_node=integration.sparkplug_node,
            )
        )
    integration.full_clean()
    integration.save()
    after = audit.snapshot(integration, *AUDITED_FIELDS)
    _record_integration(integration, user, "created", {}, after)
    if token_name is None:
        return integration, ""
    _, raw = token_issue(integration=integration, name=token_name, user=user, now=now)
    return integration, raw


@transaction.atomic
def integration_update(*, integration: Integration, user, **fields) -> None:
    """Change the named fields (of AUDITED_FIELDS); audited with the values before and after.

    Raises ValidationError for bad values and then changes nothing.
    """
    unknown = set(fields) - set(AUDITED_FIELDS)
    if unknown:
        raise TypeError(f"integration_update cannot change {', '.join(sorted(unknown))}")
    if not fields:
        return
    # "Before" is what is stored: a form may already have set its values on `integration`.
    stored = Integration.objects.select_for_update().get(pk=integration.pk)
    before = audit.snapshot(stored, *fields)
    for name, value in fields.items():
        setattr(stored, name, value)
        setattr(integration, name, value)
    stored.full_clean()
    stored.save(update_fields=list(fields))
    if "paused" in fields:
        brokerauth.push_soon(stored.pk)  # the broker refuses a paused integration
    _record_integration(stored, user, "changed", before, audit.snapshot(stored, *fields))


def _record_integration(integration, user, action, before, after):
    audit.record(
        organization=integration.organization,
        actor=user,
        area=AuditArea.INTEGRATIONS,
        action=action,
        subject=f"Integration {integration.name}",
        obj=integration,
        before=before,
        after=after,
    )


@transaction.atomic
def token_issue(*, integration, name: str, user=None, now=None) -> tuple[IngestToken, str]:
    """A new ingest token and its plain text (shown once); audited."""
    token, raw = IngestToken.objects.issue(integration=integration, name=name, now=now)
    after = {"name": token.name, "starts with": token.hint}
    _record(token, user, "issued", {}, after, at=token.created)
    return token, raw


@transaction.atomic
def token_revoke(*, token: IngestToken, user, now) -> None:
    """Refuse the token from now on (the broker too, after the commit); audited."""
    token.revoke(now=now)
    brokerauth.push_soon(token.integration_id)
    _record(token, user, "revoked", {"revoked": None}, {"revoked": now}, at=now)


@transaction.atomic
def read_token_issue(*, integration, name: str, user=None, now=None) -> tuple[ReadToken, str]:
    """A new read token (series and metrics of `integration`, never writes) and its plain text
    (shown once); audited."""
    token, raw = ReadToken.objects.issue(integration=integration, name=name, now=now)
    after = {"name": token.name, "starts with": token.hint, "scope": "read"}
    _record(token, user, "issued", {}, after, at=token.created)
    return token, raw


@transaction.atomic
def read_token_revoke(*, token: ReadToken, user, now) -> None:
    """Refuse the read token from now on; audited."""
    token.revoke(now=now)
    _record(token, user, "revoked", {"revoked": None}, {"revoked": now}, at=now)


def _record(token, user, action, before, after, *, at):
    integration = token.integration
    kind = "Read token" if isinstance(token, ReadToken) else "Token"
    audit.record(
        organization=integration.organization,
        actor=user,
        area=AuditArea.TOKENS,
        action=action,
        subject=f"{kind} {token.name or token.hint} of {integration.name}",
        obj=token,
        before=before,
        after=after,
        at=at,
    )
