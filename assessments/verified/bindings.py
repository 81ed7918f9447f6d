"""Binding a framework check to integrations, tuning it, unbinding it: facilitator actions.

Each moves a verified figure, so each is refused to anyone who is not an owner or consultant
of the process's organisation (`BindingRefused`), checked again here and not only in the view,
and audited with what it changed (the check's history on the process page lists these events
with its results). A threshold may only tighten the framework's (`verification.tightens`).
An integration from another organisation cannot be bound (ValueError: views 404 first).
`check_preview` shows how a binding would have judged the last 14 days, before it is saved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

import audit.trail as audit
from accounts.models import Membership
from assessments.audit_areas import AuditArea
from assessments.models import FrameworkVersion, Process
from assessments.models.verification import CheckBinding, ProcessCheck
from assessments.verification import tightens
from assessments.verified.evaluate import measure_params
from integration.checks import Measurement
from integration.services.checks import check_measure

MAX_GRACE_DAYS = 90
SHARE_KINDS = ("uptime", "both_directions", "heartbeat")  # thresholds are shares, 0 to 1


class BindingRefused(Exception):
    """The change is not allowed as asked; the message says why, for the form."""


def _facilitator(user, process: Process) -> None:
    allowed = Membership.objects.filter(
        user=user, organization=process.organization_id, role__in=["owner", "consultant"]
    ).exists()
    if not allowed:
        raise BindingRefused("Only the organisation's owners and consultants bind checks.")


def _definition(framework: FrameworkVersion, check_key: str):
    check = framework.definition.checks_by_key.get(check_key)
    if check is None:
        raise BindingRefused(f"{framework} has no check {check_key!r}.")
    return check


@transaction.atomic
def check_bind(
    *,
    process: Process,
    framework: FrameworkVersion,
    check_key: str,
    role: str,
    integration,
    metric: str = "",
    user,
) -> CheckBinding:
    """Bind `integration` (and `metric`) to a role of a check on this process; replaces the
    role's earlier binding. The check is judged from the evaluator's next round. The two roles
    of a both_directions check are played by two integrations: binding one to the role the
    other plays is refused."""
    return _bind(process, framework, check_key, role, integration, metric, user, together={})


@transaction.atomic
def check_bind_roles(
    *, process: Process, framework: FrameworkVersion, check_key: str, bound: dict, user
) -> None:
    """`check_bind` of each role in `bound` ({role: (integration, metric)}) at once, all or
    none: so two integrations can swap the roles of a both_directions check."""
    together = {role: integration for role, (integration, _) in bound.items()}
    if len(together) == 2 and len({i.pk for i in together.values()}) == 1:
        raise BindingRefused(SAME_BOTH)
    for role, (integration, metric) in bound.items():
        _bind(process, framework, check_key, role, integration, metric, user, together=together)


SAME_BOTH = "The two directions need two different integrations: choose another for one of them."


def _bind(process, framework, check_key, role, integration, metric, user, *, together):
    _facilitator(user, process)
    check = _definition(framework, check_key)
    if role not in check.roles:
        raise BindingRefused(f"The check has no role {role!r}: {', '.join(check.roles)}.")
    if integration.organization_id != process.organization_id:
        raise ValueError("integration of another organisation")
    if check.kind in ("aggregate", "variation") and not metric.strip():
        raise BindingRefused("Name the metric this check reads.")
    if check.kind == "both_directions":
        _other_direction(process, check, role, integration, together)
    row, _ = ProcessCheck.objects.get_or_create(
        process=process,
        check_key=check_key,
        defaults={"framework": framework, "created_by": user},
    )
    before = (
        CheckBinding.objects.filter(process_check=row, role=role)
        .select_related("integration")
        .first()
    )
    binding, _ = CheckBinding.objects.update_or_create(
        process_check=row,
        role=role,
        defaults={"integration": integration, "metric": metric.strip(), "bound_by": user},
    )
    if before is None or before.integration_id != integration.pk or before.metric != binding.metric:
        _reset(row)
    _audit(
        user,
        row,
        "bind",
        {
            "role": role,
            "integration": before.integration.name if before else "",
            "metric": before.metric if before else "",
        },
        {"role": role, "integration": integration.name, "metric": binding.metric},
    )
    return binding


def _other_direction(process, check, role, integration, together: dict) -> None:
    """Refuse `integration` for `role` when it plays (or is being bound to) the other role."""
    (other,) = [r for r in check.roles if r != role]
    playing = together.get(other)
    if playing is None:
        binding = (
            CheckBinding.objects.filter(
                process_check__process=process, process_check__check_key=check.key, role=other
            )
            .select_related("integration")
            .first()
        )
        playing = binding.integration if binding else None
    if playing is not None and playing.pk == integration.pk:
        raise BindingRefused(
            f"{integration.name} already plays “{other}” on {process.name}: the two directions "
            "need two different integrations."
        )


@transaction.atomic
def check_unbind(*, process_check: ProcessCheck, user) -> None:
    """Remove every binding of the check: it is "unbound" again (its threshold and grace stay
    for a later binding). Its history stays too: an attestation of a past window still shows
    what the check found then, and the page shows who unbound it and when (the audit)."""
    _facilitator(user, process_check.process)
    bindings = process_check.bindings.select_related("integration")
    before = {b.role: b.integration.name for b in bindings}
    _audit(user, process_check, "unbind", before, {role: "" for role in before})
    process_check.bindings.all().delete()
    _reset(process_check)


@transaction.atomic
def check_tune(
    *, process_check: ProcessCheck, user, threshold: float | None, grace_days: int | None
) -> None:
    """The organisation's threshold (only tighter than the framework's; None: the framework's)
    and grace (0-90 days; None: the framework's)."""
    _facilitator(user, process_check.process)
    check = _definition(process_check.framework, process_check.check_key)
    if threshold is not None and not math.isfinite(threshold):
        raise BindingRefused("Enter a number.")
    if threshold is not None and check.kind in SHARE_KINDS and threshold > 1:
        raise BindingRefused("This check's threshold is a share: at most 1 (100 %).")
    if threshold is not None and not tightens(
        kind=check.kind, op=check.op, framework=check.threshold, threshold=threshold
    ):
        stricter = "lower" if check.kind == "freshness" or check.op == "<=" else "higher"
        raise BindingRefused(
            f"A threshold can only be made stricter: {stricter} than the framework's "
            f"{check.threshold:g}."
        )
    if grace_days is not None and not 0 <= grace_days <= MAX_GRACE_DAYS:
        raise BindingRefused(f"Grace is 0 to {MAX_GRACE_DAYS} days.")
    before = audit.snapshot(process_check, "threshold", "grace_days")
    process_check.threshold, process_check.grace_days = threshold, grace_days
    process_check.save(update_fields=["threshold", "grace_days"])
    _audit(
        user,
        process_check,
        "tune",
        before,
        audit.snapshot(process_check, "threshold", "grace_days"),
    )


def _reset(row: ProcessCheck) -> None:
    """A new binding is judged afresh: earlier results judged other data."""
    row.state, row.measured, row.reason, row.evaluated, row.failing_since = (
        "not tested",
        None,
        "",
        None,
        None,
    )
    row.run = None
    row.save(update_fields=["state", "measured", "reason", "evaluated", "failing_since", "run"])


def _audit(user, row: ProcessCheck, action: str, before: dict, after: dict) -> None:
    process = row.process
    audit.record(
        organization=process.organization,
        actor=user,
        area=AuditArea.CHECKS,
        action=action,
        subject=f"Check {row.check_key} on {process.name}",
        obj=row,
        before=before,
        after=after,
        scope=process,
    )


PREVIEW_DAYS = 14


@dataclass(frozen=True)
class PreviewDay:
    end: datetime  # the end of the day judged (now, for today)
    passed: bool | None
    measured: float | None
    reason: str

    @property
    def day(self):
        """The day judged: a day's end is the next midnight."""
        return timezone.localdate(self.end - timedelta(microseconds=1))

    @property
    def state(self) -> str:
        if self.passed is None:
            return "not tested"
        return "passing" if self.passed else "failing"


def check_preview(
    *,
    check,
    bound: dict,
    threshold: float | None,
    now: datetime,
    site=None,
    days: int = PREVIEW_DAYS,
) -> list[PreviewDay]:
    """How the check, bound as `bound` ({role: (integration, metric)}), would have judged each
    of the last `days` days: its window ending at each day's end, on what had arrived by then
    (today: up to `now`). Saves nothing."""
    missing = [role for role in check.roles if role not in bound]
    if missing:
        reason = f"not bound: {', '.join(missing)}"
        return [PreviewDay(now, None, None, reason)]
    integrations = [bound[role][0] for role in check.roles]
    params = measure_params(check, threshold=threshold, metric=bound[check.roles[0]][1], site=site)
    if isinstance(params, Measurement):
        return [PreviewDay(now, None, None, params.reason)]
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    ends = [midnight - timedelta(days=k) for k in range(days - 2, -1, -1)] + [now]
    result = []
    for end in ends:
        m = check_measure(
            kind=check.kind,
            integrations=integrations,
            params=params,
            window_end=end,
            as_of=end,
            now=now,
        )
        result.append(PreviewDay(end, m.passed, m.measured, m.reason))
    return result
