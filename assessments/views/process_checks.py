"""The process page's verification actions: bind a check (after a preview of the last 14 days),
unbind it, tune its threshold and grace, check it now; add evidence, accept it; accept an N/A
answer's reason.

Each posts to a URL below the process page and comes back to it: a refusal re-renders the page
with the error next to its field (400); the preview answers htmx with its partial. Binding,
tuning, checking and accepting are for facilitators; adding evidence for anyone who can write.
A final assessment's page shows its frozen verification and takes none of these.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts.access import get_object_for_member, org_view
from assessments.models.verification import CriterionEvidence, ProcessCheck
from assessments.verified.bindings import (
    SAME_BOTH,
    BindingRefused,
    check_bind_roles,
    check_preview,
    check_tune,
    check_unbind,
)
from assessments.verified.evaluate import evaluate_checks
from assessments.verified.evidence import EvidenceRefused, evidence_accept, evidence_add, na_accept
from assessments.views.assessments import locked
from assessments.views.scoring import _process_context, get_score
from integration.models import Integration, Metric

PAGE = "assessments/process_score.html"


def _open_score(request, assessment_id, score_id):
    score = get_score(request, assessment_id, score_id)
    return score, score.assessment.is_final


def _check_of(score, check_key):
    """The framework's check on one of this process's criteria, else 404."""
    framework = score.assessment.framework.definition
    check = framework.checks_by_key.get(check_key)
    if check is None or framework.criterion(check.criterion).area != score.process.area:
        raise Http404("No such check on this process")
    return check


def _back(request, score, anchor=""):
    url = reverse(
        "assessments:process-score",
        args=[request.org.slug, score.assessment_id, score.pk],
    )
    return redirect(f"{url}#{anchor}" if anchor else url)


def _page(request, score, status=400, **extra):
    return render(request, PAGE, _process_context(request, score, **extra), status=status)


def _bound_roles(request, check):
    """{role: (Integration, metric)} from the form; another organisation's integration: 404.
    Raises BindingRefused for a role left empty or a metric the integration does not have."""
    bound = {}
    for i, role in enumerate(check.roles):
        pk = request.POST.get(f"integration_{i}", "").strip()
        if not pk:
            raise BindingRefused(f"Choose an integration for “{role}”.")
        try:
            integration = get_object_for_member(request, Integration, pk=pk)
        except ValidationError:
            raise Http404("No such integration") from None
        metric = request.POST.get(f"metric_{i}", "").strip()
        if check.kind in ("aggregate", "variation"):
            if not Metric.objects.filter(integration=integration, name=metric).exists():
                raise BindingRefused(f"Choose one of {integration.name}'s metrics.")
        else:
            metric = ""
        bound[role] = (integration, metric)
    if check.kind == "both_directions" and len({i.pk for i, _ in bound.values()}) == 1:
        raise BindingRefused(SAME_BOTH)
    return bound


def _posted(request, check) -> dict:
    return {
        role: (request.POST.get(f"integration_{i}", ""), request.POST.get(f"metric_{i}", ""))
        for i, role in enumerate(check.roles)
    }


@org_view(facilitate=True, methods=("POST",))
def check_preview_view(request, assessment_id, score_id, check_key):
    score, final = _open_score(request, assessment_id, score_id)
    if final:
        return locked(request, score.assessment)
    check = _check_of(score, check_key)
    row = ProcessCheck.objects.filter(process=score.process, check_key=check_key).first()
    try:
        bound = _bound_roles(request, check)
    except BindingRefused as exc:
        errors, days = {(check_key, "bind"): str(exc)}, None
    else:
        threshold = row.threshold if row is not None else None
        errors = {}
        days = check_preview(
            check=check,
            bound=bound,
            threshold=threshold,
            now=timezone.now(),
            site=score.process.site,
        )
    if request.htmx:
        context = {"check_key": check_key, "days": days, "error": errors.get((check_key, "bind"))}
        return render(request, "assessments/includes/check.html#preview", context)
    return _page(
        request,
        score,
        status=400 if errors else 200,
        errors=errors,
        previews={check_key: days} if days else {},
        posted={check_key: _posted(request, check)},
    )


@org_view(facilitate=True, methods=("POST",))
def check_bind_view(request, assessment_id, score_id, check_key):
    score, final = _open_score(request, assessment_id, score_id)
    if final:
        return locked(request, score.assessment)
    check = _check_of(score, check_key)
    try:
        check_bind_roles(
            process=score.process,
            framework=score.assessment.framework,
            check_key=check_key,
            bound=_bound_roles(request, check),
            user=request.user,
        )
    except BindingRefused as exc:
        return _page(
            request,
            score,
            errors={(check_key, "bind"): str(exc)},
            posted={check_key: _posted(request, check)},
        )
    return _back(request, score, f"check-{check_key}")


def _row(score, check_key) -> ProcessCheck:
    _check_of(score, check_key)
    return get_object_or_404(
        ProcessCheck.objects.select_related("process", "framework"),
        process=score.process,
        check_key=check_key,
    )


@org_view(facilitate=True, methods=("POST",))
def check_unbind_view(request, assessment_id, score_id, check_key):
    score, final = _open_score(request, assessment_id, score_id)
    if final:
        return locked(request, score.assessment)
    check_unbind(process_check=_row(score, check_key), user=request.user)
    return _back(request, score, f"check-{check_key}")


def _number(text: str, kind):
    text = text.strip()
    return None if text == "" else kind(text)


@org_view(facilitate=True, methods=("POST",))
def check_tune_view(request, assessment_id, score_id, check_key):
    score, final = _open_score(request, assessment_id, score_id)
    if final:
        return locked(request, score.assessment)
    row = _row(score, check_key)
    field = "threshold"
    try:
        threshold = _number(request.POST.get("threshold", ""), float)
        field = "grace_days"
        grace = _number(request.POST.get("grace_days", ""), int)
        field = "threshold"
        check_tune(process_check=row, user=request.user, threshold=threshold, grace_days=grace)
    except ValueError:
        message = "Enter a number." if field == "threshold" else "Enter whole days."
        return _page(request, score, errors={(check_key, field): message})
    except BindingRefused as exc:
        field = "grace_days" if str(exc).startswith("Grace") else "threshold"
        return _page(request, score, errors={(check_key, field): str(exc)})
    return _back(request, score, f"check-{check_key}")


@org_view(facilitate=True, methods=("POST",))
def check_run_view(request, assessment_id, score_id, check_key):
    """Check now: judge this one check at once, whenever it was last judged."""
    score, final = _open_score(request, assessment_id, score_id)
    if final:
        return locked(request, score.assessment)
    evaluate_checks([_row(score, check_key)], now=timezone.now())
    return _back(request, score, f"check-{check_key}")


@org_view(methods=("POST",))
def evidence_add_view(request, assessment_id, score_id, criterion_key):
    score, final = _open_score(request, assessment_id, score_id)
    if final:
        return locked(request, score.assessment)
    try:
        effective = date.fromisoformat(request.POST.get("effective", ""))
    except ValueError:
        return _page(request, score, errors={(criterion_key, "effective"): "Enter a date."})
    try:
        evidence_add(
            process=score.process,
            framework=score.assessment.framework,
            criterion_key=criterion_key,
            description=request.POST.get("description", ""),
            effective=effective,
            user=request.user,
        )
    except EvidenceRefused as exc:
        return _page(request, score, errors={(criterion_key, "description"): str(exc)})
    return _back(request, score, f"verify-{criterion_key}")


@org_view(facilitate=True, methods=("POST",))
def evidence_accept_view(request, assessment_id, score_id, evidence_id):
    score, final = _open_score(request, assessment_id, score_id)
    if final:
        return locked(request, score.assessment)
    item = get_object_for_member(
        request, CriterionEvidence.objects.select_related("process"), pk=evidence_id
    )
    if item.process_id != score.process_id:
        raise Http404("No such evidence on this process")
    accept = request.POST.get("accept") == "1"
    evidence_accept(evidence=item, user=request.user, accept=accept, now=timezone.now())
    return _back(request, score, f"verify-{item.criterion_key}")


@org_view(facilitate=True, methods=("POST",))
def na_accept_view(request, assessment_id, score_id, criterion_key):
    score, final = _open_score(request, assessment_id, score_id)
    if final:
        return locked(request, score.assessment)
    accept = request.POST.get("accept") == "1"
    try:
        na_accept(
            score=score,
            criterion_key=criterion_key,
            user=request.user,
            accept=accept,
            now=timezone.now(),
        )
    except EvidenceRefused as exc:
        return _page(request, score, errors={(criterion_key, "na"): str(exc)})
    return _back(request, score, f"verify-{criterion_key}")
