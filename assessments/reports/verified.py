"""The report's "Claimed vs verified" section: per process its claimed and verified level and
what its met criteria rest on (data, evidence, the claim alone), then each check with its
window, threshold, result and who bound it.

Read from `assessments.verified.status.assessment_verification`, the same as the pages and the
exports: live while the assessment is open, its frozen snapshot once it is final, so a final
assessment's report says the same whenever it is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from assessments.exchange.verification_data import check_since
from assessments.figures import AssessmentFigures
from assessments.scoring import format_figure
from assessments.verified.status import AssessmentVerification, CheckView, assessment_verification

STANDING_CLASS = {  # the status colour a standing is drawn in
    "passing": "up",
    "needs attention": "late",
    "overdue": "down",
    "stale": "late",
    "not tested": "unknown",
    "unbound": "unknown",
}


@dataclass
class CheckRow:
    process: str
    criterion: str
    name: str
    window: str
    threshold: str
    standing: str
    measured: str
    since: datetime | None
    bound: list[str]  # "integration (role), bound by person"

    @property
    def standing_class(self) -> str:
        return STANDING_CLASS.get(self.standing, "unknown")


@dataclass
class ProcessRow:
    name: str
    claimed: int
    claimed_name: str
    verified: int | None  # None: not recorded (final before verification existed)
    verified_name: str
    data: int
    evidence: int
    claim: int
    checks: list[CheckRow] = field(default_factory=list)

    @property
    def unverified(self) -> bool:
        return self.verified is not None and self.verified < self.claimed


@dataclass
class VerifiedSection:
    verification: AssessmentVerification
    index: str  # the verified index as the report prints it ("–" when none)
    processes: list[ProcessRow]

    @property
    def recorded(self) -> bool:
        return self.verification.recorded

    @property
    def frozen(self) -> bool:
        return self.verification.frozen

    @property
    def checks(self) -> list[CheckRow]:
        """The bound checks: those that judge live data (the board reads these)."""
        return [c for p in self.processes for c in p.checks if c.standing != "unbound"]

    @property
    def unbound(self) -> int:
        """How many of the framework's checks on these processes nobody has bound yet."""
        return sum(1 for p in self.processes for c in p.checks if c.standing == "unbound")

    @property
    def unverified(self) -> list[ProcessRow]:
        return [p for p in self.processes if p.unverified]

    def as_dict(self) -> dict:
        """What the report's snapshot keeps of it."""
        return {
            "verified_index": self.index,
            "frozen": self.frozen,
            "recorded": self.recorded,
            "processes": [
                {
                    "name": p.name,
                    "claimed": p.claimed,
                    "verified": p.verified,
                    "data": p.data,
                    "evidence": p.evidence,
                    "claim": p.claim,
                    "checks": [[c.name, c.standing, c.measured] for c in p.checks],
                }
                for p in self.processes
            ],
        }


def verified_section(figures: AssessmentFigures, names: list[str], *, now) -> VerifiedSection:
    verification = assessment_verification(figures, now=now)
    rows = []
    for p in figures.processes:
        v = verification.of(p.score.process_id)
        rows.append(
            ProcessRow(
                name=p.process.name,
                claimed=v.claimed,
                claimed_name=names[v.claimed],
                verified=v.verified,
                verified_name=names[v.verified] if v.verified is not None else "",
                data=v.data,
                evidence=v.evidence,
                claim=v.claim,
                checks=[
                    _check_row(p.process.name, c.key, check)
                    for c in v.criteria
                    for check in c.checks
                ],
            )
        )
    return VerifiedSection(
        verification=verification,
        index=format_figure(verification.verified_index),
        processes=rows,
    )


def _check_row(process: str, criterion: str, check: CheckView) -> CheckRow:
    return CheckRow(
        process=process,
        criterion=criterion,
        name=check.name,
        window=check.window,
        threshold=_number(check.threshold),
        standing=check.standing,
        measured=_number(check.measured),
        since=check_since(check),
        bound=[
            f"{b.integration} ({b.role})" + (f", bound by {b.bound_by}" if b.bound_by else "")
            for b in check.bindings
        ],
    )


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.4g}"
