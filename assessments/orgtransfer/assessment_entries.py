"""Assessments in the document: the assessment export of `assessments.exchange`, whole.

Each entry wraps that export (its framework left out: the entry names one of the document's
frameworks instead) with what only a move keeps: state, authorship, dates and the assessment it
was based on. On import the export is checked by `exchange`'s reader and stored as it was: every
assessor's answers, every agreement and the state; then its figures must equal the export's.
"""

from assessments.exchange import InvalidExport, assessment_export, figures_data
from assessments.exchange.importing import CRITERION_MODELS, READINESS_MODELS
from assessments.exchange.reading import export_read
from assessments.exchange.validation import kind, shown
from assessments.figures import assessment_figures
from assessments.models import Assessment, ExcludedDimension, ProcessScore
from assessments.orgtransfer.checks import entries, fields, pick, refuse, saved
from assessments.orgtransfer.references import stamp

# Left out of the wrapped export: kept once at the top of the document, or not reproducible.
UNWRAPPED = ("exported_at", "organization", "framework", "audit")


def assessments_export(*, assessments, people, refs) -> list[dict]:
    entries_out = []
    for assessment in assessments:
        export = assessment_export(assessment=assessment)
        for name in UNWRAPPED:
            export.pop(name, None)
        people.add_emails(_emails(export))
        entries_out.append(
            {
                "framework": refs["frameworks"][assessment.framework_id],
                "based_on": refs["assessments"].get(assessment.based_on_id),
                "created_by": people.email(assessment.created_by_id),
                "created": stamp(assessment.created),
                "finalized": stamp(assessment.finalized),
                "imported_note": assessment.imported_note,
                # A final assessment names its processes as they were at finalize; this says
                # which process each is now, when it has been renamed since.
                "renamed_processes": {
                    score.process_as_assessed.name: score.process.name
                    for score in assessment.process_scores.select_related("process")
                    if score.process_as_assessed.name != score.process.name
                },
                "export": export,
            }
        )
    return entries_out


def _emails(export: dict):
    for process in export["processes"]:
        yield process["owner"]
        yield from (a["assessor"] for a in process["criteria"])
        yield from (a["agreed_by"] for a in process["agreements"])
    yield from (a["assessor"] for a in export["readiness_answers"])
    yield from (a["agreed_by"] for a in export["readiness_agreements"])


def assessments_import(*, organization, data: dict, refs: dict) -> list[Assessment]:
    """`refs`: Lookups of users (email), sites and processes (name), frameworks (position)."""
    stored = []
    for path, item in entries(data, "assessments"):
        framework = refs["frameworks"].get_ref(
            pick(item, path, "framework")[0], f"{path}.framework", null=False
        )
        export, plan = _export_read(item, path, framework)
        assessment = saved(
            Assessment(
                organization=organization,
                site=refs["sites"].get_ref(plan.site, f"{path}.export.assessment.site"),
                title=plan.title,
                framework=framework,
                state=export["assessment"]["state"],
                assessed_on=plan.assessed_on,
                created_by=refs["users"].get_ref(item.get("created_by"), f"{path}.created_by"),
                **fields(item, path, "created", "finalized"),
                imported_note=_text(item.get("imported_note", ""), f"{path}.imported_note"),
            ),
            path,
        )
        renamed = item.get("renamed_processes") or {}
        if not isinstance(renamed, dict):
            refuse(f"{path}.renamed_processes", "must be an object")
        _answers_store(assessment, plan, refs, f"{path}.export", renamed)
        _figures_check(assessment, export, path)
        stored.append(assessment)
    _based_on_set(data, stored)
    return stored


def _text(value, path: str) -> str:
    if not isinstance(value, str):
        refuse(path, f"must be text, got {kind(value)}")
    return value


def _export_read(item: dict, path: str, framework):
    """The wrapped export with its framework put back, and `exchange`'s plan of it."""
    (export,) = pick(item, path, "export")
    if not isinstance(export, dict):
        refuse(f"{path}.export", "must be an object")
    export = {
        **export,
        "framework": {
            "key": framework.key,
            "version": framework.version,
            "title": framework.title,
            "data": framework.data,
        },
    }
    try:
        plan = export_read(export)
    except InvalidExport as exc:
        raise InvalidExport([f"{path}.export.{error}" for error in exc.errors]) from None
    pick(export, f"{path}.export", "figures")
    return export, plan


def _answers_store(assessment: Assessment, plan, refs: dict, path: str, renamed: dict) -> None:
    users = refs["users"]
    rows = []
    for i, wanted in enumerate(plan.processes):
        where = f"{path}.processes[{i}]"
        name = renamed.get(wanted.name, wanted.name)
        process = refs["processes"].get_ref(name, f"{where}.name", null=False)
        frozen = {}
        if assessment.is_final:  # the process as it was at finalize, whatever it is now
            frozen = {
                "frozen_name": wanted.name,
                "frozen_area": wanted.area,
                "frozen_business_value": wanted.business_value,
            }
        elif (process.area, process.business_value) != (wanted.area, wanted.business_value):
            refuse(where, f"{shown(wanted.name)} has another area or business value in processes")
        score = ProcessScore.objects.create(
            assessment=assessment,
            process=process,
            target_level=wanted.target_level,
            rationale=wanted.rationale,
            evidence=wanted.evidence,
            **frozen,
        )
        for key, answered in sorted(wanted.criteria.items()):
            rows += _rows(
                answered, CRITERION_MODELS, users, where, process_score=score, criterion_key=key
            )
    for (question, side), answered in sorted(plan.readiness.items()):
        rows += _rows(
            answered,
            READINESS_MODELS,
            users,
            path,
            assessment=assessment,
            question_key=question,
            side=side,
        )
    rows += [
        ExcludedDimension(assessment=assessment, dimension_key=key, reason=reason)
        for key, reason in plan.excluded.items()
    ]
    for model in dict.fromkeys(type(row) for row in rows):
        model.objects.bulk_create([row for row in rows if type(row) is model])


def _rows(answered, models: tuple, users, path: str, **where) -> list:
    """Every answer and the agreement of one criterion or question side, as in the export."""
    answer_model, agreement_model, field = models
    rows = [
        answer_model(
            **where,
            assessor=users.get_ref(a.assessor, path, null=False),
            **{field: a.value},
            **a.extra,
        )
        for a in answered.answers
    ]
    agreement = answered.agreement
    if agreement is not None:
        rows.append(
            agreement_model(
                **where,
                **{field: agreement.value},
                reason=agreement.reason,
                agreed_by=users.get_ref(agreement.agreed_by, path),
            )
        )
    return rows


def _figures_check(assessment: Assessment, export: dict, path: str) -> None:
    """The promise of a move: the stored assessment gives the export's figures."""
    found, expected = figures_data(assessment_figures(assessment)), export["figures"]
    if found != expected:
        names = sorted(
            k for k in found if not isinstance(expected, dict) or found[k] != expected.get(k)
        )
        refuse(f"{path}.export.figures", f"the stored answers give other {', '.join(names)}")


def _based_on_set(data: dict, stored: list[Assessment]) -> None:
    for i, (path, item) in enumerate(entries(data, "assessments")):
        ref = item.get("based_on")
        if ref is None:
            continue
        if type(ref) is not int or not 0 <= ref < len(stored) or ref == i:
            refuse(f"{path}.based_on", f"{shown(ref)} is not the position of another assessment")
        Assessment.objects.filter(pk=stored[i].pk).update(based_on=stored[ref])
