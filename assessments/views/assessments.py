from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html

from accounts.access import get_object_for_member, org_view, visible
from assessments import lifecycle
from assessments.figures import assessment_figures
from assessments.forms.assessments import AssessmentCreateForm
from assessments.lifecycle import FinalizeRefused, assessment_transition, finalize_summary
from assessments.models import Assessment, IllegalTransition
from assessments.services import assessment_create
from assessments.verified.status import assessment_verification


def get_assessment(request, assessment_id) -> Assessment:
    queryset = Assessment.objects.select_related("framework", "site", "revision_of")
    return get_object_for_member(request, queryset, pk=assessment_id)


def locked(request, assessment):
    """A final assessment refuses changes: a 409 for htmx, a message and the page otherwise."""
    text = f"{assessment.title} is final and read-only; start a new assessment to change answers."
    if request.htmx:
        html = format_html('<span class="field-error" role="alert">{}</span>', text)
        return HttpResponse(html, status=409)
    messages.error(request, text)
    return redirect("assessments:assessment-detail", request.org.slug, assessment.pk)


@org_view
def assessment_list(request):
    assessments = visible(request, Assessment).select_related("site", "created_by")
    return render(request, "assessments/assessment_list.html", {"assessments": assessments})


@org_view
def assessment_new(request):
    form = AssessmentCreateForm(request.POST or None, organization=request.org)
    if request.method == "POST" and form.is_valid():
        assessment = assessment_create(
            organization=request.org,
            user=request.user,
            title=form.cleaned_data["title"],
            site=form.cleaned_data["site"],
            assessed_on=form.cleaned_data["assessed_on"],
            processes=form.cleaned_data["processes"],
            based_on=form.cleaned_data["based_on"],
            framework=form.cleaned_data["framework"],
        )
        messages.success(request, f"{assessment.title} created as a draft.")
        return redirect("assessments:assessment-detail", request.org.slug, assessment.pk)
    status = 400 if form.errors else 200
    return render(request, "assessments/assessment_new.html", {"form": form}, status=status)


@org_view
def assessment_detail(request, assessment_id):
    assessment = get_assessment(request, assessment_id)
    figures = assessment_figures(assessment)
    verification = assessment_verification(figures, now=timezone.now(), history=False)
    rows = [(p, verification.of(p.process.pk)) for p in figures.processes]
    context = {
        "assessment": assessment,
        "figures": figures,
        "verification": verification,
        "rows": rows,
        "above_verified": [p for p, v in rows if v is not None and v.unverified],
        "revisions": assessment.revisions.order_by("-revision"),
    }
    return render(request, "assessments/assessment_detail.html", context)


TRANSITIONS = {  # action: (for facilitators only, what it makes the assessment)
    "submit": (False, "sent for review"),
    "reopen": (True, "back in draft"),
}


@org_view(methods=("POST",))
def assessment_state(request, assessment_id):
    """Send for review or back to draft; finalizing has its own page (`assessment_finalize`)."""
    assessment = get_assessment(request, assessment_id)
    action = request.POST.get("action")
    if action not in TRANSITIONS:
        return HttpResponse("Unknown action: use submit or reopen.", status=400)
    facilitators_only, outcome = TRANSITIONS[action]
    if facilitators_only and not request.membership.can_facilitate:
        messages.error(request, "Only owners and consultants can send an assessment back to draft.")
        return redirect("assessments:assessment-detail", request.org.slug, assessment.pk)
    try:
        assessment_transition(assessment=assessment, action=action, user=request.user)
        messages.success(request, f"{assessment.title} is {outcome}.")
    except IllegalTransition as exc:
        messages.error(request, str(exc))
    return redirect("assessments:assessment-detail", request.org.slug, assessment.pk)


@org_view(facilitate=True, methods=("GET", "HEAD", "POST"))
def assessment_finalize(request, assessment_id):
    """Finalize, after seeing what the figures will rest on; disputed answers need a reason."""
    assessment = get_assessment(request, assessment_id)
    if assessment.is_final:
        messages.info(request, f"{assessment.title} is already final.")
        return redirect("assessments:assessment-detail", request.org.slug, assessment.pk)
    error = None
    if request.method == "POST":
        reason = request.POST.get("reason", "")[:1000]
        try:
            lifecycle.assessment_finalize(assessment=assessment, user=request.user, reason=reason)
        except FinalizeRefused as exc:
            error = str(exc)
        else:
            messages.success(request, f"{assessment.title} is now final: its figures are frozen.")
            return redirect("assessments:assessment-detail", request.org.slug, assessment.pk)
    figures = assessment_figures(assessment, assessors=False)
    context = {
        "assessment": assessment,
        "figures": figures,
        "summary": finalize_summary(figures),
        "error": error,
        "reason": request.POST.get("reason", ""),
        "crumb": "Finalize",
    }
    status = 400 if error else 200
    return render(request, "assessments/assessment_finalize.html", context, status=status)


@org_view(facilitate=True, methods=("POST",))
def assessment_revise(request, assessment_id):
    """Reopen a final assessment as a new draft revision; the final one stays as it is."""
    assessment = get_assessment(request, assessment_id)
    try:
        revision = lifecycle.assessment_revise(assessment=assessment, user=request.user)
    except IllegalTransition as exc:
        messages.error(request, str(exc))
        return redirect("assessments:assessment-detail", request.org.slug, assessment.pk)
    messages.success(
        request,
        f"{revision.title} is a new draft with the same answers; {assessment.title} stays final.",
    )
    return redirect("assessments:assessment-detail", request.org.slug, revision.pk)
