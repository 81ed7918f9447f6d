"""The facilitator's page: where assessors disagree, each assessor's answer with their rationale
and evidence, the spread, and the agreed answer; "next dispute" links walk the open ones, and
settling one updates the counters on the page in the same response."""

from django.shortcuts import redirect, render

from accounts.access import org_view
from assessments import scoring
from assessments.figures import assessment_figures
from assessments.forms.assessments import CriterionAgreementForm, ReadinessAgreementForm
from assessments.models import STATUS_CHOICES
from assessments.services import InvalidAnswer, criterion_agree, readiness_agree
from assessments.views.assessments import get_assessment, locked
from assessments.views.scoring import get_score


def agreement_items(figures, *, everything=False):
    """Questions where assessors differ (settled or not); `everything`: all answered ones."""
    items = []
    for p in figures.processes:
        for c in p.criteria:
            ranks = [scoring.status_rank(scoring.Status(a.status)) for a in c.answers]
            items.append(
                {
                    "kind": "criterion",
                    "key": f"c-{p.score.pk}-{c.criterion.key}",
                    "score": p.score,
                    "question": c.criterion,
                    "context": p.process.name,
                    "answers": [
                        {
                            "who": a.assessor,
                            "value": a.get_status_display(),
                            "note": a.rationale,
                            "evidence": a.evidence_url,
                        }
                        for a in c.answers
                    ],
                    "spread": scoring.spread(ranks),
                    "settled": c.settled,
                    "agreement": c.agreement,
                }
            )
    for d in figures.dimensions:
        if not d.in_scope:
            continue
        for q in d.questions:
            for side, settled in q.sides.items():
                answers = q.answers.get(side, [])
                items.append(
                    {
                        "kind": "readiness",
                        "key": f"r-{q.question.key}-{side}",
                        "side": side,
                        "question": q.question,
                        "context": f"{d.dimension.name} · {side.upper()}",
                        "answers": [
                            {
                                "who": a.assessor,
                                "value": "N/A" if a.value is None else a.value,
                                "note": a.comment,
                                "evidence": "",
                            }
                            for a in answers
                        ],
                        "spread": scoring.spread([a.value for a in answers]),
                        "settled": settled,
                        "agreement": q.agreements.get(side),
                    }
                )
    if everything:
        items = [i for i in items if i["answers"] or i["agreement"]]
    else:
        items = [i for i in items if not i["spread"].agreed]
    _link_disputes(items)
    return items


def _link_disputes(items) -> None:
    """Each item's `next`: the key of the next item still disputed after it (None at the end)."""
    following = None
    for item in reversed(items):
        item["next"] = following
        if item["settled"].state == scoring.Settlement.DISPUTED:
            following = item["key"]


def _counts(figures) -> dict:
    """The page's counters: answers still disputed, questions where the assessors differ, and
    the first one still disputed."""
    differ = agreement_items(figures)
    disputed = [i["key"] for i in differ if i["settled"].state == scoring.Settlement.DISPUTED]
    return {
        "disputed": len(figures.disputed),
        "differ": len(differ),
        "first": disputed[0] if disputed else None,
    }


@org_view(facilitate=True)
def agreement(request, assessment_id):
    assessment = get_assessment(request, assessment_id)
    figures = assessment_figures(assessment)
    context = {
        "assessment": assessment,
        "figures": figures,
        "items": agreement_items(figures, everything=request.GET.get("show") == "all"),
        "show_all": request.GET.get("show") == "all",
        "status_choices": STATUS_CHOICES,
        "counts": _counts(figures),
    }
    return render(request, "assessments/agreement.html", context)


@org_view(facilitate=True, methods=("POST",))
def agree(request, assessment_id):
    assessment = get_assessment(request, assessment_id)
    if assessment.is_final:
        return locked(request, assessment)
    kind = request.POST.get("kind")
    form_class = CriterionAgreementForm if kind == "criterion" else ReadinessAgreementForm
    form = form_class(request.POST)
    saved = form.is_valid()
    if saved:
        data = form.cleaned_data
        try:
            if kind == "criterion":
                criterion_agree(
                    score=get_score(request, assessment_id, data.pop("score_id")),
                    user=request.user,
                    **data,
                )
            else:
                readiness_agree(assessment=assessment, user=request.user, **data)
        except InvalidAnswer as exc:
            form.add_error(None, str(exc))
            saved = False
    if not request.htmx:
        return redirect("assessments:assessment-agreement", request.org.slug, assessment.pk)
    figures = assessment_figures(assessment)
    key = request.POST.get("item_key", "")
    item = next((i for i in agreement_items(figures, everything=True) if i["key"] == key), None)
    context = {
        "assessment": assessment,
        "figures": figures,
        "item": item,
        "form": form,
        "saved": saved,
        "status_choices": STATUS_CHOICES,
        "counts": _counts(figures),
    }
    return render(request, "assessments/agreement.html#item", context, status=200 if saved else 400)
