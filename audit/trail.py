"""Writing the audit trail: `record` one change; `snapshot` fields for its before and after."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db.models import Model


def snapshot(instance: Model | None, *fields: str) -> dict:
    """The named fields of `instance` as JSON-able values ({} for no instance)."""
    if instance is None:
        return {}
    return {name: _plain(getattr(instance, name)) for name in fields}


def record(
    *,
    organization,
    actor,
    area: str,
    action: str,
    subject: str,
    obj: Model,
    before: dict | None = None,
    after: dict | None = None,
    scope: Model | None = None,
    text: str = "",
    at: datetime | None = None,
):
    """Store one audit event; a change that changes nothing is not stored (returns None).

    `actor` None means Ladder itself (a scheduled check, an import). `before` and `after` are
    reduced to the fields that differ, so an autosave of the same value leaves no trace. `scope`
    is where the event is listed (an assessment, a milestone); `text` the change in words.
    """
    from audit.models import AuditEvent

    before = {k: _plain(v) for k, v in (before or {}).items()}
    after = {k: _plain(v) for k, v in (after or {}).items()}
    if before and after:
        changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        if not changed:
            return None
        before = {k: v for k, v in before.items() if k in changed}
        after = {k: v for k, v in after.items() if k in changed}
    event = AuditEvent(
        organization=organization,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_email=getattr(actor, "email", "") or "",
        area=area,
        action=action,
        subject=subject[:300],
        subject_type=obj._meta.label_lower,
        subject_id=str(obj.pk),
        scope_type=scope._meta.label_lower if scope is not None else "",
        scope_id=str(scope.pk) if scope is not None else "",
        text=text[:1000],
        before=before,
        after=after,
    )
    if at is not None:
        event.at = at
    event.save()
    return event


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)
