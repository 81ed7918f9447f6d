"""The scoring pages: one process's SAMR criteria, one readiness dimension; autosaved.

Both carry the way through the assessment (`scoring_steps`): every process and readiness
dimension in scope with how much of it is answered, and "save and next" to the next one with
something left to answer.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts.access import get_object_for_member, org_view
from assessments.figures import assessment_figures
from assessments.forms.assessments import (
    CriterionAnswerForm,
    ExcludeDimensionForm,
    ReadinessAnswerForm,
    TargetForm,
)
from assessments.models import STATUS_CHOICES, CriterionAnswer, ProcessScore, ReadinessAnswer
from assessments.services import (
    InvalidAnswer,
    criterion_answer_save,
    dimension_scope_set,
    readiness_answer_save,
    score_target_save,
)
from assessments.verified.actions import facilitator_actions
from assessments.verified.status import assessment_verification
from assessments.views.assessments import get_assessment, locked
from assessments.views.verification import bindable_integrations, criterion_panels


def get_score(request, assessment_id, score_id) -> ProcessScore:
    queryset = ProcessScore.objects.select_related("assessment__framework", "process")
    return get_object_for_member(request, queryset, pk=score_id, assessment_id=assessment_id)


def _not_saved(request, form) -> None:
    """Without htmx a refused answer is a message on the page the browser is sent back to."""
    errors = " ".join(error for field_errors in form.errors.values() for error in field_errors)
    messages.error(request, f"Not saved: {errors}")


@dataclass(frozen=True)
class Step:
    """One scoring page: a process or a readiness dimension, and how much of it is answered."""

    kind: str  # "process" or "readiness"
    name: str
    url: str
    done: int
    total: int
    current: bool
    first_open: str = ""  # the element id of its first question left to answer

    @property
    def complete(self) -> bool:
        return self.done >= self.total


def scoring_steps(request, figures, *, here: tuple, my_criteria=None, my_sides=None):
    """Every scoring page in order (processes, then readiness dimensions in scope) with how much
    is answered: by this assessor while they may answer, otherwise as it counts. Also the next
    page after `here` (("process", score pk) or ("readiness", key)) with something left.

    `my_criteria` ((score pk, criterion key)) and `my_sides` ((question key, side)) are the
    assessor's answers where the caller has them already; the others are read here."""
    assessment = figures.assessment
    own = request.membership.can_write and not assessment.is_final
    if own and my_criteria is None:
        my_criteria = set(
            CriterionAnswer.objects.filter(
                process_score__assessment=assessment, assessor=request.user
            ).values_list("process_score_id", "criterion_key")
        )
    if own and my_sides is None:
        my_sides = set(
            ReadinessAnswer.objects.filter(
                assessment=assessment, assessor=request.user
            ).values_list("question_key", "side")
        )
    slug, steps = request.org.slug, []
    for p in figures.processes:
        left = [
            c.criterion.key
            for c in p.criteria
            if ((p.score.pk, c.criterion.key) not in my_criteria if own else not c.settled.counts)
        ]
        url = reverse("assessments:process-score", args=[slug, assessment.pk, p.score.pk])
        steps.append(
            Step(
                "process",
                p.process.name,
                url,
                len(p.criteria) - len(left),
                len(p.criteria),
                here == ("process", p.score.pk),
                f"criterion-{left[0]}" if left else "",
            )
        )
    for d in figures.dimensions:
        if not d.in_scope:
            continue
        sides = [(q.question.key, side) for q in d.questions for side in q.sides]
        settled = {(q.question.key, side): s for q in d.questions for side, s in q.sides.items()}
        left = [k for k in sides if (k not in my_sides if own else not settled[k].counts)]
        url = reverse("assessments:readiness", args=[slug, assessment.pk, d.dimension.key])
        steps.append(
            Step(
                "readiness",
                d.dimension.name,
                url,
                len(sides) - len(left),
                len(sides),
                here == ("readiness", d.dimension.key),
                f"v-{left[0][0]}-{left[0][1]}" if left else "",
            )
        )
    at = next((i for i, step in enumerate(steps) if step.current), -1)
    after = steps[at + 1 :] + steps[: at + 1]
    return steps, next((step for step in after if not step.complete and not step.current), None)


def _process_context(request, score, key="", errors=None, previews=None, posted=None, **extra):
    """The page's figures and verification; with `key`, also the result of that criterion (an
    autosave's row). `errors`, `previews`, `posted`: see `criterion_panels`."""
    figures = assessment_figures(score.assessment, assessors=False)
    result = next(p for p in figures.processes if p.score.pk == score.pk)
    all_mine = CriterionAnswer.objects.filter(
        process_score__assessment=score.assessment, assessor=request.user
    )
    mine = {a.criterion_key: a for a in all_mine if a.process_score_id == score.pk}
    my_criteria = {(a.process_score_id, a.criterion_key) for a in all_mine}
    now = timezone.now()
    verification = assessment_verification(figures, now=now)
    pv = verification.of(score.process_id)
    framework = score.assessment.framework.definition
    # A final assessment's figures are as of its snapshot: its strip and its evidence's
    # standing are drawn on that day, not today.
    as_of = timezone.localdate(verification.taken if verification.frozen else now)
    window = request.membership.window  # an auditor sees the checks' history of their window
    if window is not None:
        as_of = min(as_of, window[1])
    # What facilitators did, as of the figures (a final assessment's page never changes); an
    # autosave's answer draws no check cards.
    until = verification.taken if verification.frozen else None
    actions = None
    if not key:
        actions = facilitator_actions(
            process=score.process, membership=request.membership, until=until
        )
    panels = criterion_panels(
        pv,
        framework,
        today=as_of,
        window=window,
        errors=errors,
        previews=previews,
        posted=posted,
        actions=actions,
    )
    rows = [
        (
            framework.samr_level(level),
            [(c, mine.get(c.criterion.key), panels.get(c.criterion.key)) for c in criteria],
        )
        for level, criteria in result.levels.items()
    ]
    manage = request.membership.can_facilitate and not score.assessment.is_final
    return {
        "assessment": score.assessment,
        "score": score,
        "result": result,
        "figures": figures,
        "rows": rows,
        "current_level": framework.samr_level(result.current),
        # Until something is answered, level 0 is no finding: the panel says "not scored yet".
        "scored": result.scored,
        "key": key,
        "criterion": next((c for c in result.criteria if c.criterion.key == key), None),
        "verification": verification,
        "pv": pv,
        "today": as_of,
        "manage_checks": manage,
        "integrations": bindable_integrations(request.org) if manage and not key else [],
        "status_choices": STATUS_CHOICES,
        "target_form": TargetForm(instance=score),
        **_steps_context(request, figures, ("process", score.pk), my_criteria=my_criteria),
        **extra,
    }


def _steps_context(request, figures, here, **mine) -> dict:
    steps, following = scoring_steps(request, figures, here=here, **mine)
    return {
        "steps": steps,
        "next_step": following,
        "all_done": all(step.complete for step in steps),
    }


@org_view
def process_score(request, assessment_id, score_id):
    score = get_score(request, assessment_id, score_id)
    return render(request, "assessments/process_score.html", _process_context(request, score))


@org_view(methods=("POST",))
def criterion_answer(request, assessment_id, score_id):
    score = get_score(request, assessment_id, score_id)
    if score.assessment.is_final:
        return locked(request, score.assessment)
    form = CriterionAnswerForm(request.POST)
    saved = form.is_valid()
    if saved:
        try:
            criterion_answer_save(score=score, assessor=request.user, **form.cleaned_data)
        except InvalidAnswer as exc:
            form.add_error("criterion_key", str(exc))
            saved = False
    if not request.htmx:
        if not saved:
            _not_saved(request, form)
        return redirect("assessments:process-score", request.org.slug, assessment_id, score_id)
    key = request.POST.get("criterion_key", "")
    context = _process_context(request, score, key=key, form=form, saved=saved)
    template = "assessments/process_score.html#criterion-saved"
    return render(request, template, context, status=200 if saved else 400)


@org_view(methods=("POST",))
def process_target(request, assessment_id, score_id):
    score = get_score(request, assessment_id, score_id)
    if score.assessment.is_final:
        return locked(request, score.assessment)
    form = TargetForm(request.POST, instance=score)
    saved = form.is_valid()
    if saved:
        score_target_save(score=score, user=request.user, values=form.cleaned_data)
    if not request.htmx:
        if not saved:
            _not_saved(request, form)
        return redirect("assessments:process-score", request.org.slug, assessment_id, score_id)
    context = _process_context(request, score, target_form=form, saved=saved)
    template = "assessments/process_score.html#target-saved"
    return render(request, template, context, status=200 if saved else 400)


def _dimension_or_404(assessment, dimension_key):
    try:
        return assessment.framework.definition.dimension(dimension_key)
    except KeyError:
        raise Http404("No such readiness dimension") from None


def _dimension_context(request, assessment, dimension_key, question_key="", side="", **extra):
    """The page's figures; with `question_key` and `side`, also that answer's settled value."""
    figures = assessment_figures(assessment, assessors=False)
    result = next(d for d in figures.dimensions if d.dimension.key == dimension_key)
    mine = {
        (a.question_key, a.side): a
        for a in ReadinessAnswer.objects.filter(assessment=assessment, assessor=request.user)
    }
    questions = [
        {
            "result": q,
            "sides": [
                (side, mine.get((q.question.key, side)), q.sides[side]) for side in ("it", "ot")
            ],
        }
        for q in result.questions
    ]
    return {
        "assessment": assessment,
        "figures": figures,
        "result": result,
        "questions": questions,
        "scope_form": ExcludeDimensionForm(),
        "key": f"{question_key}-{side}",
        "settled": next(
            (q.sides.get(side) for q in result.questions if q.question.key == question_key), None
        ),
        **_steps_context(request, figures, ("readiness", dimension_key), my_sides=set(mine)),
        **extra,
    }


@org_view
def readiness(request, assessment_id, dimension_key):
    assessment = get_assessment(request, assessment_id)
    _dimension_or_404(assessment, dimension_key)
    context = _dimension_context(request, assessment, dimension_key)
    return render(request, "assessments/readiness.html", context)


@org_view(methods=("POST",))
def readiness_answer(request, assessment_id, dimension_key):
    assessment = get_assessment(request, assessment_id)
    _dimension_or_404(assessment, dimension_key)
    if assessment.is_final:
        return locked(request, assessment)
    form = ReadinessAnswerForm(request.POST)
    saved = form.is_valid()
    if saved:
        try:
            readiness_answer_save(assessment=assessment, assessor=request.user, **form.cleaned_data)
        except InvalidAnswer as exc:
            form.add_error("question_key", str(exc))
            saved = False
    if not request.htmx:
        if not saved:
            _not_saved(request, form)
        return redirect("assessments:readiness", request.org.slug, assessment_id, dimension_key)
    context = _dimension_context(
        request,
        assessment,
        dimension_key,
        question_key=request.POST.get("question_key", ""),
        side=request.POST.get("side", ""),
        form=form,
        saved=saved,
    )
    template = "assessments/readiness.html#answer-saved"
    return render(request, template, context, status=200 if saved else 400)


@org_view(facilitate=True, methods=("POST",))
def dimension_scope(request, assessment_id, dimension_key):
    assessment = get_assessment(request, assessment_id)
    _dimension_or_404(assessment, dimension_key)
    if assessment.is_final:
        return locked(request, assessment)
    in_scope = request.POST.get("in_scope") == "1"
    form = ExcludeDimensionForm(request.POST)
    if not in_scope and not form.is_valid():
        context = _dimension_context(request, assessment, dimension_key, scope_form=form)
        return render(request, "assessments/readiness.html", context, status=400)
    dimension_scope_set(
        assessment=assessment,
        dimension_key=dimension_key,
        in_scope=in_scope,
        reason="" if in_scope else form.cleaned_data["reason"],
        user=request.user,
    )
    return redirect("assessments:readiness", request.org.slug, assessment_id, dimension_key)
