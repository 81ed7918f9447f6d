"""What facilitators did to a process's checks and evidence, for the process page: each check's
bindings, tuning and unbinding, each criterion's evidence added, accepted and withdrawn.

Read from the audit trail (`assessments.verified.bindings` and `.evidence` record every such
change, scoped to the process) in one query for the whole page: the audit event names its
subject by id, and the query looks up each subject's check key or criterion in the same SELECT.
An auditor sees the events of their observation window only (`accounts.access.windowed`); a
final assessment's page the events up to its frozen verification.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import CharField, OuterRef, Subquery
from django.db.models.functions import Cast

from accounts.access import windowed
from assessments.audit_areas import AuditArea
from assessments.models import Process
from assessments.models.verification import CriterionEvidence, ProcessCheck
from audit.models import AuditEvent

MOST_EVENTS = 300  # the newest of a process's; older ones stay on the Audit page
LABELS = {
    "bind": "Bound",
    "tune": "Threshold or grace changed",
    "unbind": "Unbound",
    "evidence add": "Evidence added",
    "evidence accept": "Evidence accepted",
    "evidence withdraw": "Acceptance withdrawn",
}
FIELDS = {"grace_days": "grace days", "valid_days": "valid days"}
HIDDEN = {"criterion_key"}  # the card it is listed under says it already
OWN = {"threshold", "grace_days"}  # None: the framework's


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class Action:
    at: datetime
    who: str
    action: str
    changes: list[Change]

    @property
    def label(self) -> str:
        return LABELS.get(self.action, self.action)


def _shown(name: str, value) -> str:
    if value is None and name in OWN:
        return "framework's"
    if value is None or value == "":
        return "–"
    if value is True or value is False:
        return "yes" if value else "no"
    return str(value)


def _action(event: AuditEvent) -> Action:
    changes = [
        Change(FIELDS.get(name, name.replace("_", " ")), _shown(name, before), _shown(name, after))
        for name, before, after in event.changes()
        if name not in HIDDEN
    ]
    return Action(event.at, event.who, event.action, changes)


def _key_of(model):
    """The subject's `field` looked up by the event's subject id (stored as text)."""
    return model.objects.annotate(id_text=Cast("pk", CharField())).filter(
        id_text=OuterRef("subject_id")
    )


def facilitator_actions(
    *, process: Process, membership=None, until: datetime | None = None
) -> tuple[dict[str, list[Action]], dict[str, list[Action]]]:
    """({check key: actions}, {criterion key: actions}) of the process, newest first."""
    events = (
        AuditEvent.objects.filter(
            organization_id=process.organization_id,
            area=AuditArea.CHECKS,
            scope_type=Process._meta.label_lower,
            scope_id=str(process.pk),
            subject_type__in=[ProcessCheck._meta.label_lower, CriterionEvidence._meta.label_lower],
            action__in=list(LABELS),
        )
        .annotate(
            check_key=Subquery(_key_of(ProcessCheck).values("check_key")[:1]),
            criterion=Subquery(_key_of(CriterionEvidence).values("criterion_key")[:1]),
        )
        .order_by("-at", "-pk")
    )
    if until is not None:
        events = events.filter(at__lte=until)
    by_check: dict[str, list[Action]] = {}
    by_criterion: dict[str, list[Action]] = {}
    for event in windowed(membership, events)[:MOST_EVENTS]:
        if event.subject_type == ProcessCheck._meta.label_lower and event.check_key:
            by_check.setdefault(event.check_key, []).append(_action(event))
        elif event.criterion:
            by_criterion.setdefault(event.criterion, []).append(_action(event))
    return by_check, by_criterion
