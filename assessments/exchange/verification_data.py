"""Verified maturity in the exports (format version 2): what each process claims and what is
verified, and for each criterion its basis and its checks, all read from
`assessments.verified.status.assessment_verification` so the page, the exports and the PDF
agree.

`verification_export` writes the export's "verification" section; `snapshot_read` turns it
back into the `AssessmentVerification` a final assessment keeps (its process ids those of the
importing install), so a final assessment's verified figures survive a move. A draft's are
worked out live after an import, from the checks and evidence there.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError

from assessments.exchange.validation import InvalidExport
from assessments.figures import AssessmentFigures
from assessments.verified.status import (
    STALE_AFTER,
    AssessmentVerification,
    CheckView,
    ProcessVerification,
    assessment_verification,
)

# The check's fields written first, in the words of issue 15; the rest follow for the snapshot.
CHECK_HEAD = ("key", "status", "measured", "threshold", "window", "since")


def check_since(view: CheckView) -> datetime | None:
    """When the check's current state began: its failing time, else the start of the runs of
    its latest state in its history (a stale check: when its results stopped)."""
    if view.failing_since is not None:
        return view.failing_since
    if view.standing == "stale" and view.evaluated is not None:
        return view.evaluated + STALE_AFTER
    if not view.history:
        return None
    runs = sorted(view.history, key=lambda r: r.first)
    since = runs[-1].first
    for run in reversed(runs):
        if run.state != runs[-1].state:
            break
        since = run.first
    return since


def check_data(view: CheckView) -> dict:
    data = view.model_dump(mode="json", exclude={"standing"})
    since = check_since(view)
    head = {
        "key": view.key,
        "status": view.standing,
        "measured": view.measured,
        "threshold": view.threshold,
        "window": view.window,
        "since": since.isoformat() if since else None,
    }
    return {**head, **{k: v for k, v in data.items() if k not in head}}


def process_data(name: str, process: ProcessVerification) -> dict:
    return {
        "name": name,
        "claimed_level": process.claimed,
        "verified_level": process.verified,
        "data": process.data,
        "evidence": process.evidence,
        "claim": process.claim,
        "criteria": [
            {
                "key": c.key,
                "level": c.level,
                "status": c.status,
                "basis": c.basis,
                "na_accepted": c.na_accepted,
                "checks": [check_data(v) for v in c.checks],
                "evidence": [e.model_dump(mode="json") for e in c.evidence],
            }
            for c in process.criteria
        ],
    }


def verification_export(figures: AssessmentFigures, *, now: datetime) -> dict:
    """The export's "verification" section: per process (by name, in the export's order)."""
    verification = assessment_verification(figures, now=now)
    return {
        "taken": verification.taken.isoformat(),
        "frozen": verification.frozen,
        "recorded": verification.recorded,
        "verified_index": verification.verified_index,
        "processes": [
            process_data(p.process.name, verification.of(p.score.process_id))
            for p in figures.processes
        ],
    }


def snapshot_read(data, process_ids: dict[str, int], where: str) -> AssessmentVerification:
    """The section written by `verification_export` as the verification a final assessment
    keeps, its processes the ones named (`process_ids`: name in the file -> id here)."""
    try:
        processes = {}
        for i, entry in enumerate(data["processes"]):
            pid = process_ids.get(entry["name"])
            if pid is None:
                raise InvalidExport(
                    [f"{where}.processes[{i}].name: not a process of the assessment"]
                )
            criteria = [
                {
                    **c,
                    "checks": [
                        {**check, "standing": check["status"]} for check in c.get("checks", [])
                    ],
                }
                for c in entry.get("criteria", [])
            ]
            processes[pid] = ProcessVerification(
                process_id=pid,
                claimed=entry["claimed_level"],
                verified=entry["verified_level"],
                data=entry.get("data", 0),
                evidence=entry.get("evidence", 0),
                claim=entry.get("claim", 0),
                criteria=criteria,
            )
        return AssessmentVerification(
            taken=data["taken"],
            frozen=True,
            recorded=data.get("recorded", True),
            verified_index=data.get("verified_index"),
            processes=processes,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise InvalidExport([f"{where}: incomplete verification data ({exc})"]) from None
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        place = ".".join(str(p) for p in first["loc"])
        raise InvalidExport([f"{where}: {place}: {first['msg']}"]) from None
