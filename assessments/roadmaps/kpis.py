"""Creating, changing and deleting an organisation's outcome KPIs, audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

import audit.trail as audit
from assessments.audit_areas import AuditArea
from assessments.models import OutcomeKpi

FIELDS = (
    "name",
    "description",
    "benefit",
    "integration",
    "metric",
    "aggregate",
    "unit",
    "better",
    "window_days",
)


# What a frozen baseline is compared through: the series, its window and which way is better.
FROZEN_BY_BASELINE = ("integration", "metric", "aggregate", "better", "window_days")


class KpiInUse(ValueError):
    """A KPI milestones still name cannot be deleted."""


class KpiFrozen(ValueError):
    """A change to what a frozen baseline is compared through; `fields` names them."""

    def __init__(self, message: str, fields: list[str]):
        super().__init__(message)
        self.fields = fields


def kpi_frozen_by(kpi: OutcomeKpi) -> list[str]:
    """Titles of (up to three) milestones naming the KPI whose baseline is frozen."""
    if kpi.pk is None:
        return []
    frozen = kpi.milestones.filter(baseline_frozen__isnull=False).order_by("pk")
    return list(frozen.values_list("title", flat=True)[:3])


def _record(kpi, user, action, text, now, before=None, after=None):
    audit.record(
        organization=kpi.organization,
        actor=user,
        area=AuditArea.ROADMAPS,
        action=action,
        subject=f"KPI {kpi.name}",
        obj=kpi,
        before=before,
        after=after,
        text=text,
        at=now,
    )


@transaction.atomic
def kpi_create(*, organization, user, now=None, **fields) -> OutcomeKpi:
    now = now or timezone.now()
    kpi = OutcomeKpi(organization=organization, created=now, **fields)
    kpi.full_clean()
    kpi.save()
    after = audit.snapshot(kpi, *FIELDS)
    _record(kpi, user, "added", f"Added the KPI {kpi.name}.", now, after=after)
    return kpi


@transaction.atomic
def kpi_update(*, kpi: OutcomeKpi, user, changes: dict, now=None) -> None:
    """Change a KPI. Raises KpiFrozen for a new series, window or direction while a milestone
    naming it has a frozen baseline: the stored days would be compared with something else."""
    now = now or timezone.now()
    refused = [
        name
        for name in FROZEN_BY_BASELINE
        if name in changes and changes[name] != getattr(kpi, name)
    ]
    if refused and (used := kpi_frozen_by(kpi)):
        raise KpiFrozen(
            f"The baseline of {', '.join(used)} was frozen with this KPI: its "
            f"{', '.join(refused)} stay as they were measured.",
            refused,
        )
    before = audit.snapshot(kpi, *changes)
    for name, value in changes.items():
        setattr(kpi, name, value)
    kpi.full_clean()
    kpi.save()
    after = audit.snapshot(kpi, *changes)
    _record(kpi, user, "changed", f"Changed the KPI {kpi.name}.", now, before, after)


@transaction.atomic
def kpi_delete(*, kpi: OutcomeKpi, user, now=None) -> None:
    """Delete a KPI no milestone names; raises KpiInUse otherwise."""
    now = now or timezone.now()
    used = list(kpi.milestones.values_list("title", flat=True)[:3])
    if used:
        raise KpiInUse(f"“{kpi.name}” is the KPI of {', '.join(used)}: choose another there first.")
    before = audit.snapshot(kpi, *FIELDS)
    _record(kpi, user, "removed", f"Deleted the KPI {kpi.name}.", now, before=before, after={})
    kpi.delete()
