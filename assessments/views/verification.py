"""What the process page shows of verification: per criterion its basis, its checks (with a
30-day strip of their history, what facilitators did to them, their bindings and, for
facilitators, the forms to bind, tune, preview and check now), its evidence (and what was done
to it) and its N/A acceptance.

Plain presentation built from `assessments.verified.status` views and
`assessments.verified.actions`; no queries of its own except the organisation's integrations
and metrics for the binding forms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone

from accounts.access import scoped
from assessments.verified.status import HISTORY_DAYS, CheckView, CriterionView, HistoryRun
from integration.models import Integration

BASIS_LABELS = {"data": "Verified by data", "evidence": "Evidenced", "claim": "Claimed"}
STATE_ORDER = ("failing", "stale", "not tested", "passing")  # the worst run names the day


@dataclass(frozen=True)
class DayCell:
    day: date
    state: str  # passing, failing, not tested, stale, or "" (no result that day)
    measured: float | None = None
    reason: str = ""

    @property
    def label(self) -> str:
        text = f"{self.day:%d %b}: {self.state or 'no result'}"
        if self.measured is not None:
            text += f", measured {self.measured:g}"
        return f"{text} ({self.reason})" if self.reason else text

    @property
    def css(self) -> str:
        return (self.state or "none").replace(" ", "-")


def history_strip(history: list[HistoryRun], *, today: date, days: int = HISTORY_DAYS, window=None):
    """One cell per day of the last `days` (oldest first), from the check's history runs; an
    auditor's `window` (first, last day) leaves every other day without a result."""
    cells = []
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        outside = window is not None and not window[0] <= day <= window[1]
        runs = [
            r
            for r in history
            if not outside and timezone.localdate(r.first) <= day <= timezone.localdate(r.last)
        ]
        states = {r.state for r in runs}
        state = next((s for s in STATE_ORDER if s in states), "")
        worst = next((r for r in reversed(runs) if r.state == state), None)
        if worst is None:
            cells.append(DayCell(day, state))
        else:
            cells.append(DayCell(day, state, worst.measured, worst.reason))
    return cells


@dataclass
class RoleSlot:
    role: str
    integration_id: str = ""
    metric: str = ""


@dataclass
class CheckPanel:
    view: CheckView
    check: object  # the framework's Check
    strip: list[DayCell]
    roles: list[RoleSlot]
    errors: dict = field(default_factory=dict)
    preview: list | None = None
    actions: list = field(default_factory=list)  # verified.actions.Action, newest first

    @property
    def needs_metric(self) -> bool:
        return self.view.kind in ("aggregate", "variation")

    @property
    def comparison(self) -> str:
        """How the measured value meets the threshold, for people."""
        if self.view.kind == "freshness":
            return "≤"
        return "≤" if self.check.op == "<=" else "≥"

    @property
    def tightened(self) -> bool:
        return self.view.threshold != self.view.framework_threshold

    @property
    def bound(self) -> bool:
        return bool(self.view.bindings)


@dataclass
class CriterionPanel:
    view: CriterionView
    checks: list[CheckPanel]
    errors: dict = field(default_factory=dict)
    evidence_actions: list = field(default_factory=list)

    @property
    def basis_label(self) -> str:
        return BASIS_LABELS.get(self.view.basis, self.view.basis)


def criterion_panels(
    verification,
    framework,
    *,
    today: date,
    errors=None,
    previews=None,
    posted=None,
    window=None,
    actions=None,
) -> dict[str, CriterionPanel]:
    """{criterion key: CriterionPanel} of one process. `errors` {(key, field): message} with a
    criterion's or a check's key, `previews` {check key: [PreviewDay]}, `posted` {check key:
    {role: (integration id, metric)}} to keep a form's choices, `actions` ({check key:
    [Action]}, {criterion key: [Action]}) from `verified.actions.facilitator_actions`."""
    errors, previews, posted = errors or {}, previews or {}, posted or {}
    by_check, by_criterion = actions or ({}, {})
    panels = {}
    if verification is None:
        return panels
    for cv in verification.criteria:
        checks = []
        for view in cv.checks:
            check = framework.checks_by_key.get(view.key)
            if check is None:
                continue
            bound = {b.role: (b.integration_id, b.metric) for b in view.bindings}
            bound.update(posted.get(view.key, {}))
            roles = [RoleSlot(role, *bound.get(role, ("", ""))) for role in view.roles]
            checks.append(
                CheckPanel(
                    view=view,
                    check=check,
                    strip=history_strip(view.history, today=today, window=window),
                    roles=roles,
                    errors={f: m for (k, f), m in errors.items() if k == view.key},
                    preview=previews.get(view.key),
                    actions=by_check.get(view.key, []),
                )
            )
        panels[cv.key] = CriterionPanel(
            cv,
            checks,
            errors={f: m for (k, f), m in errors.items() if k == cv.key},
            evidence_actions=by_criterion.get(cv.key, []),
        )
    return panels


def bindable_integrations(org) -> list[Integration]:
    """The organisation's integrations with their metrics, for the binding forms."""
    return list(scoped(org, Integration).order_by("name").prefetch_related("metrics"))
