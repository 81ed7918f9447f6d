"""Roadmap pages: generate, plan (edit, reorder, regenerate), board, mine, timeline, milestone.

Anyone in the organisation reads; owners and consultants change the plan; a member updates the
status of, and comments on, the milestones they own (`Milestone.is_updatable_by`).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_POST, require_safe

from accounts.access import get_object_for_member, org_view, scoped
from assessments import roadmap as plan
from assessments import roadmaps as services
from assessments.forms.roadmaps import (
    CommentForm,
    MilestoneForm,
    MoveForm,
    RegenerateForm,
    RoadmapGenerateForm,
    RoadmapSettingsForm,
    StatusForm,
)
from assessments.models import Milestone, Phase, Roadmap

SAFE = ("GET", "HEAD")
REPORT_SESSION_KEY = "ladder_regeneration_report"


def get_roadmap(request, roadmap_id) -> Roadmap:
    queryset = Roadmap.objects.select_related("framework", "assessment")
    return get_object_for_member(request, queryset, pk=roadmap_id)


def get_milestone(request, milestone_id) -> Milestone:
    queryset = Milestone.objects.select_related("roadmap__framework", "process", "owner")
    return get_object_for_member(request, queryset, pk=milestone_id)


def _read_only(request):
    # The object first (404 for another organisation's), then the method.
    return None if request.method in SAFE else HttpResponseNotAllowed(SAFE)


# --- Roadmaps ---------------------------------------------------------------------------------


@org_view
@require_safe
def roadmap_list(request):
    roadmaps = scoped(request.org, Roadmap).select_related("assessment")
    return render(request, "assessments/roadmap_list.html", {"roadmaps": roadmaps})


@org_view(facilitate=True)
def roadmap_create(request):
    form = RoadmapGenerateForm(request.POST or None, organization=request.org)
    if request.method == "POST" and form.is_valid():
        roadmap = services.roadmap_generate(user=request.user, **form.cleaned_data)
        count = roadmap.milestones.count()
        messages.success(request, f"{roadmap.title} generated with {count} milestones.")
        return redirect("assessments:roadmap-detail", request.org.slug, roadmap.pk)
    status = 400 if form.errors else 200
    return render(request, "assessments/roadmap_new.html", {"form": form}, status=status)


def _plan_context(request, roadmap, **extra):
    roadmap_plan = services.roadmap_plan(roadmap)
    points = roadmap_plan.projection_points()
    return {
        "roadmap": roadmap,
        "plan": roadmap_plan,
        "projection_chart": plan.projection_figure(points, roadmap_plan.target_index),
        "regenerate_form": RegenerateForm(
            organization=request.org, initial={"assessment": roadmap.assessment_id}
        ),
        "today": timezone.localdate(),
        "can_plan": request.membership.can_facilitate,
        "phase_choices": Phase.choices,
        **extra,
    }


@org_view
def roadmap_detail(request, roadmap_id):
    roadmap = get_roadmap(request, roadmap_id)
    if refused := _read_only(request):
        return refused
    context = _plan_context(request, roadmap)
    context["activity"] = roadmap.activity.select_related("actor", "milestone")[:15]
    report = request.session.pop(REPORT_SESSION_KEY, None)
    if report and report["roadmap"] == roadmap.pk:
        context["report_lines"] = report["lines"]
    return render(request, "assessments/roadmap_detail.html", context)


@org_view(facilitate=True)
def roadmap_edit(request, roadmap_id):
    roadmap = get_roadmap(request, roadmap_id)
    form = RoadmapSettingsForm(request.POST or None, instance=Roadmap.objects.get(pk=roadmap.pk))
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        services.roadmap_update(roadmap=roadmap, user=request.user, changes=changes)
        messages.success(request, f"{roadmap.title} saved.")
        return redirect("assessments:roadmap-detail", request.org.slug, roadmap.pk)
    context = {"form": form, "roadmap": roadmap}
    return render(
        request, "assessments/roadmap_edit.html", context, status=400 if form.errors else 200
    )


@org_view(facilitate=True)
@require_POST
def roadmap_regenerate(request, roadmap_id):
    roadmap = get_roadmap(request, roadmap_id)
    form = RegenerateForm(request.POST, organization=request.org)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["assessment"]))
        return redirect("assessments:roadmap-detail", request.org.slug, roadmap.pk)
    report = services.roadmap_regenerate(
        roadmap=roadmap, assessment=form.cleaned_data["assessment"], user=request.user
    )
    messages.success(request, report.summary())
    # Shown once, as a list on the plan (too many lines for messages).
    request.session[REPORT_SESSION_KEY] = {"roadmap": roadmap.pk, "lines": report.lines()}
    return redirect("assessments:roadmap-detail", request.org.slug, roadmap.pk)


# --- Board, mine, timeline ----------------------------------------------------------------------


def _columns(milestones, membership):
    today = timezone.localdate()
    for m in milestones:
        m.updatable = m.is_updatable_by(membership)
        m.late = m.is_overdue(today)
    return [
        (status, label, [m for m in milestones if m.status == status])
        for status, label in Milestone.Status.choices
    ]


def _board_context(request, roadmap):
    milestones = list(
        roadmap.milestones.active().select_related("process", "owner").in_plan_order()
    )
    services.label_milestones(roadmap, milestones)
    return {
        "roadmap": roadmap,
        "columns": _columns(milestones, request.membership),
        "board": "roadmap",
        "status_choices": Milestone.Status.choices,
        "overdue": sum(1 for m in milestones if m.late),
    }


def _mine_context(request):
    milestones = list(
        scoped(request.org, Milestone)
        .active()
        .filter(owner=request.user)
        .select_related("process", "owner", "roadmap__framework")
        .order_by("due_date", "roadmap_id", "position")
    )
    roadmaps = {m.roadmap_id: m.roadmap for m in milestones}
    for roadmap in roadmaps.values():
        services.label_milestones(roadmap, [m for m in milestones if m.roadmap_id == roadmap.pk])
    return {
        "columns": _columns(milestones, request.membership),
        "board": "mine",
        "status_choices": Milestone.Status.choices,
        "overdue": sum(1 for m in milestones if m.late),
        "count": len(milestones),
    }


@org_view
def roadmap_board(request, roadmap_id):
    roadmap = get_roadmap(request, roadmap_id)
    if refused := _read_only(request):
        return refused
    return render(request, "assessments/roadmap_board.html", _board_context(request, roadmap))


@org_view
@require_safe
def milestone_mine(request):
    return render(request, "assessments/milestone_mine.html", _mine_context(request))


@org_view
def roadmap_timeline(request, roadmap_id):
    roadmap = get_roadmap(request, roadmap_id)
    if refused := _read_only(request):
        return refused
    today = timezone.localdate()
    milestones = list(
        roadmap.milestones.active().select_related("owner", "process").in_plan_order()
    )
    services.label_milestones(roadmap, milestones)
    rows = services.gantt_rows(roadmap, milestones, today)
    burnup = services.roadmap_burnup(roadmap, milestones, today)
    context = {
        "roadmap": roadmap,
        "rows": list(zip(rows, milestones, strict=True)),
        "gantt": plan.gantt_figure(rows, roadmap.windows(), today) if rows else None,
        "burnup": burnup,
        "burnup_chart": plan.burnup_figure(burnup) if rows else None,
    }
    return render(request, "assessments/roadmap_timeline.html", context)


# --- Milestones ---------------------------------------------------------------------------------


@org_view(facilitate=True)
def milestone_create(request, roadmap_id):
    roadmap = get_roadmap(request, roadmap_id)
    form = MilestoneForm(request.POST or None, roadmap=roadmap)
    if request.method == "POST" and form.is_valid():
        milestone = services.milestone_create(
            roadmap=roadmap, user=request.user, **form.cleaned_data
        )
        messages.success(request, f"“{milestone.title}” added to {milestone.get_phase_display()}.")
        return redirect("assessments:roadmap-detail", request.org.slug, roadmap.pk)
    context = {"form": form, "roadmap": roadmap}
    return render(
        request, "assessments/milestone_form.html", context, status=400 if form.errors else 200
    )


def _detail_context(request, milestone, **extra):
    services.label_milestones(milestone.roadmap, [milestone])
    return {
        "milestone": milestone,
        "roadmap": milestone.roadmap,
        "can_update": milestone.is_updatable_by(request.membership) and not milestone.retired,
        "status_form": StatusForm(initial={"status": milestone.status}),
        "comment_form": CommentForm(),
        "comments": milestone.comments.select_related("author"),
        "activity": milestone.activity.select_related("actor"),
        "overdue": milestone.is_overdue(),
        **extra,
    }


@org_view
def milestone_detail(request, milestone_id):
    milestone = get_milestone(request, milestone_id)
    if refused := _read_only(request):
        return refused
    return render(request, "assessments/milestone_detail.html", _detail_context(request, milestone))


@org_view(facilitate=True)
def milestone_edit(request, milestone_id):
    milestone = get_milestone(request, milestone_id)
    if milestone.retired:
        messages.error(request, f"“{milestone.title}” is no longer on the roadmap.")
        return redirect("assessments:milestone-detail", request.org.slug, milestone.pk)
    form = MilestoneForm(
        request.POST or None,
        instance=Milestone.objects.get(pk=milestone.pk),
        roadmap=milestone.roadmap,
    )
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.milestone_update(milestone=milestone, user=request.user, changes=changes)
        except services.OrderRefused as exc:
            form.add_error("phase", str(exc))
        else:
            messages.success(request, f"“{milestone.title}” saved.")
            return redirect("assessments:milestone-detail", request.org.slug, milestone.pk)
    context = {"form": form, "roadmap": milestone.roadmap, "milestone": milestone}
    return render(
        request, "assessments/milestone_form.html", context, status=400 if form.errors else 200
    )


def _require_updatable(request, milestone):
    if not milestone.is_updatable_by(request.membership):
        raise PermissionDenied("Members update only the milestones they own.")


@org_view
@require_POST
def milestone_status(request, milestone_id):
    milestone = get_milestone(request, milestone_id)
    _require_updatable(request, milestone)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.milestone_status_set(
                milestone=milestone, user=request.user, status=form.cleaned_data["status"]
            )
        except services.OrderRefused as exc:
            form.add_error("status", str(exc))
    if request.htmx:
        if request.POST.get("board") == "mine":
            context = _mine_context(request)
        else:
            context = _board_context(request, milestone.roadmap)
        context["error"] = " ".join(e for errors in form.errors.values() for e in errors)
        return render(request, "assessments/roadmap_board.html#board", context)
    if form.errors:
        messages.error(request, "Choose planned, in progress, blocked or done.")
    return redirect("assessments:milestone-detail", request.org.slug, milestone.pk)


@org_view
@require_POST
def milestone_comment(request, milestone_id):
    milestone = get_milestone(request, milestone_id)
    _require_updatable(request, milestone)
    form = CommentForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, milestone, comment_form=form)
        return render(request, "assessments/milestone_detail.html", context, status=400)
    services.milestone_comment_add(
        milestone=milestone, user=request.user, text=form.cleaned_data["text"]
    )
    return redirect("assessments:milestone-detail", request.org.slug, milestone.pk)


@org_view(facilitate=True)
@require_POST
def milestone_move(request, milestone_id):
    milestone = get_milestone(request, milestone_id)
    form = MoveForm(request.POST)
    error = None
    if not form.is_valid():
        error = " ".join(form.non_field_errors()) or "Say up, down or a phase."
    else:
        try:
            if form.cleaned_data["direction"]:
                direction = form.cleaned_data["direction"]
                services.milestone_move(milestone=milestone, user=request.user, direction=direction)
            else:
                changes = {"phase": form.cleaned_data["phase"]}
                services.milestone_update(milestone=milestone, user=request.user, changes=changes)
        except services.OrderRefused as exc:
            error = str(exc)
    if request.htmx:
        # The error shows on the milestone's row, or above the plan if it is not on it.
        moved = None if milestone.retired else milestone.pk
        context = _plan_context(request, milestone.roadmap, error=error, moved=moved)
        return render(request, "assessments/roadmap_detail.html#plan", context)
    if error:
        messages.error(request, error)
    return redirect("assessments:roadmap-detail", request.org.slug, milestone.roadmap_id)


@org_view(facilitate=True)
@require_POST
def milestone_remove(request, milestone_id):
    milestone = get_milestone(request, milestone_id)
    try:
        services.milestone_remove(milestone=milestone, user=request.user)
    except services.OrderRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"“{milestone.title}” removed; regenerating will not bring it back."
        )
    return redirect("assessments:roadmap-detail", request.org.slug, milestone.roadmap_id)


@org_view(facilitate=True)
@require_POST
def milestone_restore(request, milestone_id):
    milestone = get_milestone(request, milestone_id)
    if milestone.retired:
        services.milestone_restore(milestone=milestone, user=request.user)
        messages.success(
            request, f"“{milestone.title}” is back in {milestone.get_phase_display()}."
        )
    return redirect("assessments:roadmap-detail", request.org.slug, milestone.roadmap_id)


EXPORTS = {
    "csv": ("text/csv; charset=utf-8", services.roadmap_csv),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        services.roadmap_xlsx,
    ),
}


@org_view
def roadmap_export(request, roadmap_id, format):
    """Any member, viewers too, may download a roadmap."""
    roadmap = get_roadmap(request, roadmap_id)
    if refused := _read_only(request):
        return refused
    if format not in EXPORTS:
        raise Http404(f"No export as {format}; use csv or xlsx.")
    content_type, export = EXPORTS[format]
    response = HttpResponse(export(roadmap=roadmap), content_type=content_type)
    filename = f"{slugify(roadmap.title) or 'roadmap'}-{timezone.localdate():%Y-%m-%d}.{format}"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
