"""Assessments in the document: the assessment export of `assessments.exchange`, whole.

Each entry wraps that export (its framework left out: the entry names one of the document's
frameworks instead) with what only a move keeps: state, authorship, dates and the assessment it
was based on. On import the export is checked by `exchange`'s reader and stored as it was: every
assessor's answers, every agreement and the state; then its figures must equal the export's.
"""

from dataclasses import replace
from functools import partial

from django.utils import timezone

from assessments.exchange.export import assessment_export, figures_data
from assessments.exchange.reading import Answered, Plan, export_read
from assessments.exchange.restoring import answers_restore
from assessments.exchange.validation import InvalidExport, shown
from assessments.figures import assessment_figures
from assessments.models import Assessment
from assessments.orgtransfer.checks import refuse, saved
from assessments.orgtransfer.document import AssessmentEntry
from assessments.orgtransfer.references import stamp
from assessments.orgtransfer.verification import snapshot_restore

# Left out of the wrapped export: kept once at the top of the document, or not reproducible.
UNWRAPPED = ("exported_at", "organization", "framework", "audit")


def assessments_export(*, assessments, people, refs) -> list[dict]:
    entries_out = []
    for assessment in assessments:
        export = assessment_export(assessment=assessment)
        for name in UNWRAPPED:
            export.pop(name, None)
        verification = export["verification"]
        if not (verification["frozen"] and verification["recorded"]):
            # Worked out at the export (a draft's is live): the document says when.
            verification.pop("taken")
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


def assessments_import(
    *, organization, entries: list[AssessmentEntry], refs: dict
) -> list[Assessment]:
    """`refs`: Lookups of users (email), sites and processes (name), frameworks (position)."""
    stored = []
    for i, item in enumerate(entries):
        path = f"assessments[{i}]"
        framework = refs["frameworks"].get_ref(item.framework, f"{path}.framework", null=False)
        plan = _export_read(item.export, path, framework)
        assessment = saved(
            Assessment(
                organization=organization,
                site=refs["sites"].get_ref(plan.site, f"{path}.export.assessment.site"),
                title=plan.title,
                framework=framework,
                state=item.export["assessment"]["state"],
                assessed_on=plan.assessed_on,
                created_by=refs["users"].get_ref(item.created_by, f"{path}.created_by"),
                created=item.created,
                finalized=item.finalized,
                imported_note=item.imported_note,
            ),
            path,
        )
        answers_restore(
            assessment=assessment,
            plan=plan,
            processes=_processes(assessment, plan, refs, path, item.renamed_processes),
            carry=partial(_carried, users=refs["users"], path=f"{path}.export"),
            now=timezone.now(),
        )
        _figures_check(assessment, item.export, path)
        snapshot_restore(assessment, item.export, path)
        stored.append(assessment)
    _based_on_set(entries, stored)
    return stored


def _export_read(export: dict, path: str, framework) -> Plan:
    """`exchange`'s plan of the wrapped export, with its framework put back."""
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
    if "figures" not in export:
        refuse(f"{path}.export.figures", "missing")
    return plan


def _processes(assessment: Assessment, plan: Plan, refs: dict, path: str, renamed: dict):
    """The process of each of the export's, by name (as it is now, if renamed since)."""
    processes = []
    for i, wanted in enumerate(plan.processes):
        where = f"{path}.export.processes[{i}]"
        name = renamed.get(wanted.name, wanted.name)
        process = refs["processes"].get_ref(name, f"{where}.name", null=False)
        if not assessment.is_final and (process.area, process.business_value) != (
            wanted.area,
            wanted.business_value,
        ):
            refuse(where, f"{shown(wanted.name)} has another area or business value in processes")
        processes.append(process)
    return processes


def _carried(answered: Answered, where: str, *, users, path: str):
    """Every answer and the agreement, as in the export: its people are the document's."""
    path = f"{path}.{where}" if where else path
    agreement = answered.agreement
    if agreement is not None:
        agreement = replace(agreement, agreed_by=users.get_ref(agreement.agreed_by, path))
    answers = [
        replace(a, assessor=users.get_ref(a.assessor, path, null=False)) for a in answered.answers
    ]
    return answers, agreement


def _figures_check(assessment: Assessment, export: dict, path: str) -> None:
    """The promise of a move: the stored assessment gives the export's figures."""
    found, expected = figures_data(assessment_figures(assessment)), export["figures"]
    if found != expected:
        names = sorted(
            k for k in found if not isinstance(expected, dict) or found[k] != expected.get(k)
        )
        refuse(f"{path}.export.figures", f"the stored answers give other {', '.join(names)}")


def _based_on_set(entries: list[AssessmentEntry], stored: list[Assessment]) -> None:
    for i, item in enumerate(entries):
        ref = item.based_on
        if ref is None:
            continue
        if type(ref) is not int or not 0 <= ref < len(stored) or ref == i:
            refuse(
                f"assessments[{i}].based_on",
                f"{shown(ref)} is not the position of another assessment",
            )
        Assessment.objects.filter(pk=stored[i].pk).update(based_on=stored[ref])
