"""Verified maturity in the organisation document (version 2): each process's checks with
their bindings, its criteria's evidence, and a final assessment's verification snapshot.

A check names its process by name and its framework by position; a binding names its
integration by name (as processes do), so a move keeps who plays each role; the people who
bound, added or accepted are emails. The checks' latest results travel (so a draft shows the
same standing at once); their history does not: a final assessment's history is in its
snapshot, which travels in its export's "verification" section and is stored as it was.
"""

from assessments.exchange.verification_data import snapshot_read
from assessments.models.verification import (
    CheckBinding,
    CriterionEvidence,
    ProcessCheck,
    VerificationSnapshot,
)
from assessments.orgtransfer.checks import checked, refuse, saved
from assessments.orgtransfer.document import EvidenceEntry, ProcessCheckEntry
from assessments.orgtransfer.references import day, stamp

CHECK_FIELDS = ("check_key", "threshold", "grace_days", "state", "measured", "reason")
CHECK_TIMES = ("created", "evaluated", "failing_since")


def checks_export(*, organization, people, refs) -> list[dict]:
    rows = (
        ProcessCheck.objects.filter(process__organization=organization)
        .select_related("process")
        .prefetch_related("bindings__integration")
        .order_by("process__name", "check_key")
    )
    return [
        {
            "process": c.process.name,
            "framework": refs["frameworks"][c.framework_id],
            **{name: getattr(c, name) for name in CHECK_FIELDS},
            **{name: stamp(getattr(c, name)) for name in CHECK_TIMES},
            "created_by": people.email(c.created_by_id),
            "bindings": [
                {
                    "role": b.role,
                    "integration": b.integration.name,
                    "metric": b.metric,
                    "bound_by": people.email(b.bound_by_id),
                    "created": stamp(b.created),
                }
                for b in c.bindings.all()
            ],
        }
        for c in rows
    ]


def evidence_export(*, organization, people) -> list[dict]:
    rows = (
        CriterionEvidence.objects.filter(process__organization=organization)
        .select_related("process")
        .order_by("process__name", "criterion_key", "effective", "pk")
    )
    return [
        {
            "process": e.process.name,
            "criterion_key": e.criterion_key,
            "description": e.description,
            "effective": day(e.effective),
            "valid_days": e.valid_days,
            "added_by": people.email(e.added_by_id),
            "added": stamp(e.added),
            "accepted_by": people.email(e.accepted_by_id),
            "accepted": stamp(e.accepted),
        }
        for e in rows
    ]


def checks_import(*, entries: list[ProcessCheckEntry], refs: dict) -> int:
    """Store each check with its bindings; the counts of stored bindings is returned."""
    users, bindings = refs["users"], 0
    for i, item in enumerate(entries):
        path = f"checks[{i}]"
        check = saved(
            ProcessCheck(
                process=refs["processes"].get_ref(item.process, f"{path}.process", null=False),
                framework=refs["frameworks"].get_ref(
                    item.framework, f"{path}.framework", null=False
                ),
                created_by=users.get_ref(item.created_by, f"{path}.created_by"),
                **{name: getattr(item, name) for name in (*CHECK_FIELDS, *CHECK_TIMES)},
            ),
            path,
        )
        if check.definition is None:
            refuse(f"{path}.check_key", f"{check.check_key!r} is not a check of its framework")
        for j, binding in enumerate(item.bindings):
            where = f"{path}.bindings[{j}]"
            saved(
                CheckBinding(
                    process_check=check,
                    role=binding.role,
                    integration=refs["integrations"].get_ref(
                        binding.integration, f"{where}.integration", null=False
                    ),
                    metric=binding.metric,
                    bound_by=users.get_ref(binding.bound_by, f"{where}.bound_by"),
                    created=binding.created,
                ),
                where,
            )
            bindings += 1
    return bindings


def evidence_import(*, entries: list[EvidenceEntry], refs: dict) -> int:
    users = refs["users"]
    for i, item in enumerate(entries):
        path = f"evidence[{i}]"
        saved(
            CriterionEvidence(
                process=refs["processes"].get_ref(item.process, f"{path}.process", null=False),
                criterion_key=item.criterion_key,
                description=item.description,
                effective=item.effective,
                valid_days=item.valid_days,
                added_by=users.get_ref(item.added_by, f"{path}.added_by"),
                added=item.added,
                accepted_by=users.get_ref(item.accepted_by, f"{path}.accepted_by"),
                accepted=item.accepted,
            ),
            path,
        )
    return len(entries)


def snapshot_restore(assessment, export: dict, path: str) -> None:
    """A final assessment's verification as its export recorded it (format version 2): its
    verified figures stay the ones it was finalized with. Older files have none to restore."""
    data = export.get("verification")
    if not assessment.is_final or not isinstance(data, dict) or not data.get("recorded", True):
        return
    ids = {
        score.process_as_assessed.name: score.process_id
        for score in assessment.process_scores.select_related("process")
    }
    verification = snapshot_read(data, ids, f"{path}.export.verification")
    snapshot = VerificationSnapshot(
        assessment=assessment,
        taken=verification.taken,
        data=verification.model_dump(mode="json"),
    )
    checked(snapshot, f"{path}.export.verification", exclude=["assessment"])
    snapshot.save()
