"""What each process of an assessment rests on: checks, evidence, accepted N/A, verified level.

`assessment_verification(figures, now=)` is the one place pages, exports and the PDF get it
from. While the assessment is a draft or in review it is live: the checks' latest results
(written by `evaluate`), the evidence in force today. When it becomes final,
`freeze_verification` stores what it showed, with each check's history, and from then on the
figures are read from that snapshot and never change. A final assessment finalized before
verification existed has none: its verified figures are "not recorded" (None).

Everything here is plain data (pydantic models), so a snapshot is the same objects as JSON.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db.models import Max
from django.utils import timezone
from pydantic import BaseModel

from assessments import scoring
from assessments.figures import AssessmentFigures
from assessments.models import CriterionAgreement, CriterionAnswer
from assessments.models.verification import (
    CheckBinding,
    CheckResult,
    CriterionEvidence,
    NaAcceptance,
    ProcessCheck,
    VerificationSnapshot,
)
from assessments.verification import (
    DEFAULT_GRACE,
    CheckState,
    CheckStatus,
    CriterionVerification,
    Evidence,
    check_standing,
    criterion_basis,
    evidence_in_force,
    level_basis,
    verified_level,
)

STALE_AFTER = timedelta(hours=1)  # a result older than this is stale: the evaluator stopped
HISTORY_DAYS = 30  # days of history a page's strip shows and a snapshot keeps


class BindingView(BaseModel):
    role: str
    integration_id: str
    integration: str
    metric: str = ""
    bound_by: str = ""
    bound: datetime


class HistoryRun(BaseModel):
    state: str
    first: datetime
    last: datetime
    measured: float | None = None
    reason: str = ""


class CheckView(BaseModel):
    key: str
    name: str
    kind: str
    window: str
    roles: list[str]
    threshold: float
    framework_threshold: float
    grace_days: int
    standing: str  # verification.Standing
    measured: float | None = None
    reason: str = ""
    evaluated: datetime | None = None
    failing_since: datetime | None = None
    deadline: datetime | None = None
    bindings: list[BindingView] = []
    history: list[HistoryRun] = []

    @property
    def holds(self) -> bool:
        return self.standing in ("passing", "needs attention")

    @property
    def bound_to(self) -> str:
        """Its bindings on one line, "role: integration (metric); ...", as plain text (the
        board writes 180 a page: one variable each, not a loop of template nodes)."""
        return "; ".join(
            f"{b.role}: {b.integration}" + (f" ({b.metric})" if b.metric else "")
            for b in self.bindings
        )


class EvidenceView(BaseModel):
    id: int
    description: str
    effective: date
    expires: date
    accepted: bool
    accepted_by: str = ""
    in_force: bool


class CriterionView(BaseModel):
    key: str
    level: int
    status: str | None  # the settled answer, None when it counts in no figure
    basis: str  # verification.Basis
    na_accepted: bool = False
    checks: list[CheckView] = []
    evidence: list[EvidenceView] = []


class ProcessVerification(BaseModel):
    process_id: int
    claimed: int
    verified: int | None  # None: not recorded (final before verification existed)
    data: int = 0  # of the met criteria up to the claimed level: how many rest on data,
    evidence: int = 0  # on accepted evidence,
    claim: int = 0  # on the answer alone
    criteria: list[CriterionView] = []

    @property
    def unverified(self) -> bool:
        return self.verified is not None and self.verified < self.claimed

    def criterion(self, key: str) -> CriterionView | None:
        return next((c for c in self.criteria if c.key == key), None)


class AssessmentVerification(BaseModel):
    taken: datetime
    frozen: bool
    recorded: bool = True
    verified_index: float | None = None
    processes: dict[int, ProcessVerification] = {}

    def of(self, process_id: int) -> ProcessVerification | None:
        return self.processes.get(process_id)


def assessment_verification(
    figures: AssessmentFigures, *, now: datetime, history: bool = True
) -> AssessmentVerification:
    """The assessment's verification: its snapshot once final, else live at `now` (without the
    checks' history when `history` is False: pages that show only levels)."""
    assessment = figures.assessment
    if assessment.is_final:
        snapshot = VerificationSnapshot.objects.filter(assessment=assessment).first()
        if snapshot is None:
            return _not_recorded(figures, now)
        return AssessmentVerification.model_validate(snapshot.data)
    return live_verification(figures, now=now, history=history)


def live_verification(
    figures: AssessmentFigures, *, now: datetime, history: bool = True
) -> AssessmentVerification:
    processes = [p.process for p in figures.processes]
    today = timezone.localdate(now)  # evidence counts by the organisation's calendar
    checks = _process_checks(processes, history=history, now=now)
    evidence = _evidence(processes)
    accepted = _na_accepted(figures)
    result = {}
    for p in figures.processes:
        pid = p.score.process_id
        criteria_views, rules = [], defaultdict(list)
        for level, items in p.levels.items():
            for c in items:
                views = [
                    _check_view(check, checks.get((pid, check.key)), now)
                    for check in c.criterion.checks
                ]
                items_evidence = [
                    _evidence_view(e, today) for e in evidence[(pid, c.criterion.key)]
                ]
                statuses = [_status(v) for v in views]
                basis = criterion_basis(
                    checks=statuses,
                    evidence=[
                        Evidence(
                            accepted=e.accepted,
                            effective=e.effective,
                            valid_for=e.expires - e.effective,
                        )
                        for e in items_evidence
                    ],
                    now=now,
                    today=today,
                )
                na_ok = (p.score.pk, c.criterion.key) in accepted
                status = c.status.value if c.status is not None else None
                rules[level].append(CriterionVerification(c.status, basis, na_ok))
                criteria_views.append(
                    CriterionView(
                        key=c.criterion.key,
                        level=level,
                        status=status,
                        basis=basis.value,
                        na_accepted=na_ok,
                        checks=views,
                        evidence=items_evidence,
                    )
                )
        counts = level_basis(rules, level=p.current)
        result[pid] = ProcessVerification(
            process_id=pid,
            claimed=p.current,
            verified=verified_level(rules),
            data=counts.data,
            evidence=counts.evidence,
            claim=counts.claim,
            criteria=criteria_views,
        )
    return AssessmentVerification(
        taken=now, frozen=False, verified_index=_index(figures, result), processes=result
    )


def freeze_verification(figures: AssessmentFigures, *, now: datetime) -> VerificationSnapshot:
    """Store what verification shows at `now` (with HISTORY_DAYS of each check's history) as
    the assessment's snapshot; called when it becomes final."""
    data = live_verification(figures, now=now).model_copy(update={"frozen": True})
    snapshot, _ = VerificationSnapshot.objects.update_or_create(
        assessment=figures.assessment,
        defaults={"taken": now, "data": data.model_dump(mode="json")},
    )
    return snapshot


def _not_recorded(figures: AssessmentFigures, now: datetime) -> AssessmentVerification:
    processes = {
        p.score.process_id: ProcessVerification(
            process_id=p.score.process_id, claimed=p.current, verified=None
        )
        for p in figures.processes
    }
    taken = figures.assessment.finalized or now  # a final's figures never move, nor this
    return AssessmentVerification(taken=taken, frozen=True, recorded=False, processes=processes)


def _index(figures: AssessmentFigures, result: dict) -> float | None:
    """The SAMR index over the verified levels; None until a process is scored, like the
    SAMR index's "not scored yet"."""
    if not figures.scored:
        return None
    return scoring.samr_index(
        scoring.ProcessFigures(
            key=str(p.score.pk),
            name=p.process.name,
            business_value=p.process.business_value,
            current=result[p.score.process_id].verified,
        )
        for p in figures.processes
    )


def _process_checks(processes, *, history: bool, now: datetime) -> dict:
    """(process id, check key) -> its `ProcessCheck`, with `bound` (its bindings, each with
    the integration's name and the binder's email) and `recent_runs` (with `history`).

    Bindings are grouped here, not by `prefetch_related`: that cloned a queryset for each of
    a board page's ~180 checks and made model instances of ~200 bindings with their
    integrations and users (19 of the board's 52 ms of CPU at breadth; now 8). `_check_view`
    reads `bound`, so its rows come from here."""
    found = {
        (c.process_id, c.check_key): c for c in ProcessCheck.objects.filter(process__in=processes)
    }
    by_pk = {c.pk: c for c in found.values()}
    for check in by_pk.values():
        check.bound, check.recent_runs = [], []
    if not by_pk:
        return found
    bindings = CheckBinding.objects.filter(process_check__in=list(by_pk)).values_list(
        "process_check_id",
        "role",
        "integration_id",
        "integration__name",
        "metric",
        "bound_by__email",
        "created",
    )
    for check_id, role, integration_id, name, metric, email, created in bindings:  # by role
        by_pk[check_id].bound.append(
            BindingView(
                role=role,
                integration_id=str(integration_id),
                integration=name,
                metric=metric,
                bound_by=email or "",
                bound=created,
            )
        )
    if history:
        since = now - timedelta(days=HISTORY_DAYS)
        for run in CheckResult.objects.filter(
            process_check__in=list(by_pk), last__gte=since
        ).order_by("first"):
            by_pk[run.process_check_id].recent_runs.append(run)
    return found


def _check_view(check, row: ProcessCheck | None, now: datetime) -> CheckView:
    threshold = check.threshold if row is None or row.threshold is None else row.threshold
    grace = check.grace_days if row is None or row.grace_days is None else row.grace_days
    bindings = [] if row is None else row.bound
    bound = row is not None and {b.role for b in bindings} >= set(check.roles)
    state = CheckState(row.state) if row is not None else CheckState.NOT_TESTED
    if bound and row.evaluated is not None and now - row.evaluated > STALE_AFTER:
        state = CheckState.STALE
    status = CheckStatus(
        bound=bound,
        state=state,
        failing_since=row.failing_since if row is not None else None,
        grace=timedelta(days=grace),
    )
    return CheckView(
        key=check.key,
        name=check.name,
        kind=check.kind,
        window=check.window,
        roles=list(check.roles),
        threshold=threshold,
        framework_threshold=check.threshold,
        grace_days=grace,
        standing=check_standing(status, now=now).value,
        measured=row.measured if row is not None else None,
        reason=row.reason if row is not None else "",
        evaluated=row.evaluated if row is not None else None,
        failing_since=status.failing_since if state == CheckState.FAILING else None,
        deadline=status.deadline,
        bindings=bindings,
        history=[
            HistoryRun(
                state=r.state, first=r.first, last=r.last, measured=r.measured, reason=r.reason
            )
            for r in getattr(row, "recent_runs", [])
        ],
    )


def _status(view: CheckView) -> CheckStatus:
    """The pure rules' input back from a view (its standing already applied `now`)."""
    if view.standing == "unbound":
        return CheckStatus(bound=False)
    state = {
        "passing": CheckState.PASSING,
        "needs attention": CheckState.FAILING,
        "overdue": CheckState.FAILING,
        "not tested": CheckState.NOT_TESTED,
        "stale": CheckState.STALE,
    }[view.standing]
    return CheckStatus(
        bound=True,
        state=state,
        failing_since=view.failing_since,
        grace=timedelta(days=view.grace_days) if view.failing_since else DEFAULT_GRACE,
    )


def _evidence(processes) -> dict:
    found = defaultdict(list)
    for item in CriterionEvidence.objects.filter(process__in=processes).select_related(
        "accepted_by"
    ):
        found[(item.process_id, item.criterion_key)].append(item)
    return found


def _evidence_view(item: CriterionEvidence, today: date) -> EvidenceView:
    accepted = item.accepted is not None
    rule = Evidence(
        accepted=accepted, effective=item.effective, valid_for=timedelta(days=item.valid_days)
    )
    return EvidenceView(
        id=item.pk,
        description=item.description,
        effective=item.effective,
        expires=item.expires,
        accepted=accepted,
        accepted_by=item.accepted_by.email if item.accepted_by else "",
        in_force=evidence_in_force(rule, today=today),
    )


def _na_accepted(figures: AssessmentFigures) -> set:
    """(score id, criterion key) whose N/A a facilitator accepted after its last change."""
    scores = [p.score for p in figures.processes]
    rows = list(NaAcceptance.objects.filter(process_score__in=scores))
    if not rows:
        return set()
    changed = defaultdict(lambda: None)
    for model in (CriterionAnswer, CriterionAgreement):
        for sid, key, latest in (
            model.objects.filter(process_score__in=scores)
            .values_list("process_score_id", "criterion_key")
            .annotate(latest=Max("updated"))
        ):
            if changed[(sid, key)] is None or latest > changed[(sid, key)]:
                changed[(sid, key)] = latest
    return {
        (r.process_score_id, r.criterion_key)
        for r in rows
        if changed[(r.process_score_id, r.criterion_key)] is None
        or r.accepted >= changed[(r.process_score_id, r.criterion_key)]
    }
