"""Milestone pages: one milestone, its status, comments, place in the plan and acceptance
criteria; the "mine" board; and the plan and board contexts their htmx answers re-render.

Anyone in the organisation reads; owners and consultants change the plan and the criteria; a
member updates the status of, and comments on, the milestones they own
(`Milestone.is_updatable_by`).
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.access import get_object_for_member, org_view, refuse_unless, scoped
from assessments.charts.plotly.roadmap import projection_figure
from assessments.forms.roadmaps import (
    CommentForm,
    CriterionForm,
    MilestoneForm,
    MoveForm,
    RegenerateForm,
    StatusForm,
)
from assessments.models import AcceptanceCriterion, Milestone, Phase, Roadmap
from assessments.roadmaps import acceptance, editing, reading
from assessments.roadmaps.activity import milestone_activity
from assessments.roadmaps.outcomes import OutcomeFrozen, outcomes_of
from assessments.roadmaps.rules.verification import verification
from assessments.views.feeds import feed_context


def get_roadmap(request, roadmap_id) -> Roadmap:
    queryset = Roadmap.objects.select_related("framework", "assessment")
    return get_object_for_member(request, queryset, pk=roadmap_id)


def get_milestone(request, milestone_id) -> Milestone:
    queryset = Milestone.objects.select_related(
        "roadmap__framework", "process", "owner", "kpi__integration", "kpi__organization"
    )
    return get_object_for_member(request, queryset, pk=milestone_id)


def get_criterion(request, criterion_id) -> AcceptanceCriterion:
    queryset = AcceptanceCriterion.objects.select_related(
        "milestone__roadmap__organization", "milestone__process", "integration"
    )
    return get_object_for_member(request, queryset, pk=criterion_id)


def plan_context(request, roadmap, **extra):
    roadmap_plan = reading.roadmap_plan(roadmap)
    points = roadmap_plan.projection_points()
    return {
        "roadmap": roadmap,
        "plan": roadmap_plan,
        "projection_chart": projection_figure(points, roadmap_plan.target_index),
        "regenerate_form": RegenerateForm(
            organization=request.org, initial={"assessment": roadmap.assessment_id}
        ),
        "today": timezone.localdate(),
        "can_plan": request.membership.can_facilitate,
        "phase_choices": Phase.choices,
        **extra,
    }


def _board(request, milestones, board: str) -> dict:
    today = timezone.localdate()
    for m in milestones:
        m.updatable = m.is_updatable_by(request.membership)
        m.late = m.is_overdue(today)
    columns = [
        (status, label, [m for m in milestones if m.status == status])
        for status, label in Milestone.Status.choices
    ]
    return {
        "columns": columns,
        "board": board,
        "status_choices": Milestone.Status.choices,
        "overdue": sum(1 for m in milestones if m.late),
        "count": len(milestones),
    }


def board_context(request, roadmap):
    milestones = reading.board_milestones(roadmap.milestones.in_plan_order(), roadmap=roadmap)
    return {"roadmap": roadmap, **_board(request, milestones, "roadmap")}


def mine_context(request):
    mine = scoped(request.org, Milestone).filter(owner=request.user)
    milestones = reading.board_milestones(mine.order_by("due_date", "roadmap_id", "position"))
    return _board(request, milestones, "mine")


@org_view(methods=("GET", "HEAD"))
def milestone_mine(request):
    context = {**mine_context(request), **feed_context(request)}
    return render(request, "assessments/milestone_mine.html", context)


@org_view(facilitate=True)
def milestone_create(request, roadmap_id):
    roadmap = get_roadmap(request, roadmap_id)
    form = MilestoneForm(request.POST or None, roadmap=roadmap)
    if request.method == "POST" and form.is_valid():
        milestone = editing.milestone_create(
            roadmap=roadmap, user=request.user, **form.cleaned_data
        )
        messages.success(request, f"“{milestone.title}” added to {milestone.get_phase_display()}.")
        return redirect("assessments:roadmap-detail", request.org.slug, roadmap.pk)
    context = {"form": form, "roadmap": roadmap}
    return render(
        request, "assessments/milestone_form.html", context, status=400 if form.errors else 200
    )


def _detail_context(request, milestone, **extra):
    reading.label_milestones(milestone.roadmap, [milestone])
    criteria = list(milestone.criteria.select_related("integration"))
    if not milestone.retired:  # judged on view when the last check is stale
        acceptance.criteria_refresh(criteria=criteria, now=timezone.now())
    outcome = outcomes_of(milestones=[milestone], now=timezone.now()).get(milestone.pk)
    return {
        "milestone": milestone,
        "outcome": outcome,
        "can_plan": request.membership.can_facilitate and not milestone.retired,
        "description": reading.text_blocks(milestone.description),
        "roadmap": milestone.roadmap,
        "can_update": milestone.is_updatable_by(request.membership) and not milestone.retired,
        "status_form": StatusForm(initial={"status": milestone.status}),
        "comment_form": CommentForm(),
        "comments": milestone.comments.select_related("author"),
        "activity": milestone_activity(milestone),
        "overdue": milestone.is_overdue(),
        "criteria": criteria,
        "verification": verification(
            [(c.last_passed, c.last_checked) for c in criteria], done=milestone.is_done
        ),
        **extra,
    }


@org_view(methods=("GET", "HEAD"), lookup=get_milestone)
def milestone_detail(request, milestone_id):
    milestone = get_milestone(request, milestone_id)
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
            editing.milestone_update(milestone=milestone, user=request.user, changes=changes)
        except editing.OrderRefused as exc:
            form.add_error("phase", str(exc))
        except OutcomeFrozen as exc:
            form.add_error("kpi", str(exc))
        else:
            messages.success(request, f"“{milestone.title}” saved.")
            return redirect("assessments:milestone-detail", request.org.slug, milestone.pk)
    context = {"form": form, "roadmap": milestone.roadmap, "milestone": milestone}
    return render(
        request, "assessments/milestone_form.html", context, status=400 if form.errors else 200
    )


@org_view(methods=("POST",))
def milestone_status(request, milestone_id):
    milestone = get_milestone(request, milestone_id)
    refuse_unless(
        milestone.is_updatable_by(request.membership),
        "Members update only the milestones they own.",
    )
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            editing.milestone_status_set(
                milestone=milestone, user=request.user, status=form.cleaned_data["status"]
            )
        except editing.OrderRefused as exc:
            form.add_error("status", str(exc))
    if request.htmx:
        if request.POST.get("board") == "mine":
            context = mine_context(request)
        else:
            context = board_context(request, milestone.roadmap)
        context["error"] = " ".join(e for errors in form.errors.values() for e in errors)
        return render(request, "assessments/roadmap_board.html#board", context)
    if form.errors:
        messages.error(request, "Choose planned, in progress, blocked or done.")
    return redirect("assessments:milestone-detail", request.org.slug, milestone.pk)


@org_view(methods=("POST",))
def milestone_comment(request, milestone_id):
    milestone = get_milestone(request, milestone_id)
    refuse_unless(
        milestone.is_updatable_by(request.membership),
        "Members update only the milestones they own.",
    )
    form = CommentForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, milestone, comment_form=form)
        return render(request, "assessments/milestone_detail.html", context, status=400)
    editing.milestone_comment_add(
        milestone=milestone, user=request.user, text=form.cleaned_data["text"]
    )
    return redirect("assessments:milestone-detail", request.org.slug, milestone.pk)


@org_view(facilitate=True, methods=("POST",))
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
                editing.milestone_move(milestone=milestone, user=request.user, direction=direction)
            else:
                changes = {"phase": form.cleaned_data["phase"]}
                editing.milestone_update(milestone=milestone, user=request.user, changes=changes)
        except editing.OrderRefused as exc:
            error = str(exc)
    if request.htmx:
        # The error shows on the milestone's row, or above the plan if it is not on it.
        moved = None if milestone.retired else milestone.pk
        context = plan_context(request, milestone.roadmap, error=error, moved=moved)
        return render(request, "assessments/roadmap_detail.html#plan", context)
    if error:
        messages.error(request, error)
    return redirect("assessments:roadmap-detail", request.org.slug, milestone.roadmap_id)


@org_view(facilitate=True, methods=("POST",))
def milestone_remove(request, milestone_id):
    milestone = get_milestone(request, milestone_id)
    try:
        editing.milestone_remove(milestone=milestone, user=request.user)
    except editing.OrderRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"“{milestone.title}” removed; regenerating will not bring it back."
        )
    return redirect("assessments:roadmap-detail", request.org.slug, milestone.roadmap_id)


@org_view(facilitate=True, methods=("POST",))
def milestone_restore(request, milestone_id):
    milestone = get_milestone(request, milestone_id)
    if milestone.retired:
        editing.milestone_restore(milestone=milestone, user=request.user)
        messages.success(
            request, f"“{milestone.title}” is back in {milestone.get_phase_display()}."
        )
    return redirect("assessments:roadmap-detail", request.org.slug, milestone.roadmap_id)


# --- Acceptance criteria ------------------------------------------------------------------------


def _criterion_form(request, form, milestone, criterion=None):
    context = {"form": form, "milestone": milestone, "roadmap": milestone.roadmap}
    context["criterion"] = criterion
    status = 400 if form.errors else 200
    return render(request, "assessments/milestone_criterion_form.html", context, status=status)


@org_view(facilitate=True)
def criterion_create(request, milestone_id):
    milestone = get_milestone(request, milestone_id)
    form = CriterionForm(request.POST or None, milestone=milestone)
    if request.method == "POST" and form.is_valid():
        criterion = acceptance.criterion_add(
            milestone=milestone, user=request.user, **form.cleaned_data
        )
        messages.success(request, f"Acceptance criterion added: {criterion.rule}.")
        return redirect("assessments:milestone-detail", request.org.slug, milestone.pk)
    return _criterion_form(request, form, milestone)


@org_view(facilitate=True)
def criterion_edit(request, criterion_id):
    criterion = get_criterion(request, criterion_id)
    milestone = criterion.milestone
    unsaved = AcceptanceCriterion.objects.get(pk=criterion.pk)
    form = CriterionForm(request.POST or None, instance=unsaved, milestone=milestone)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        acceptance.criterion_update(criterion=criterion, user=request.user, changes=changes)
        messages.success(request, f"Acceptance criterion saved: {criterion.rule}.")
        return redirect("assessments:milestone-detail", request.org.slug, milestone.pk)
    return _criterion_form(request, form, milestone, criterion)


@org_view(facilitate=True, methods=("POST",))
def criterion_remove(request, criterion_id):
    criterion = get_criterion(request, criterion_id)
    milestone_id = criterion.milestone_id
    acceptance.criterion_remove(criterion=criterion, user=request.user)
    messages.success(request, f"Acceptance criterion removed: {criterion.rule}.")
    return redirect("assessments:milestone-detail", request.org.slug, milestone_id)


@org_view(methods=("POST",))
def milestone_verify(request, milestone_id):
    """Check the milestone's criteria now, whatever the age of their last check."""
    milestone = get_milestone(request, milestone_id)
    criteria = milestone.criteria.select_related("integration")
    checked = acceptance.criteria_refresh(criteria=criteria, now=timezone.now(), max_age=None)
    noun = "criterion" if checked == 1 else "criteria"
    messages.success(request, f"Checked {checked} acceptance {noun} against the telemetry now.")
    return redirect("assessments:milestone-detail", request.org.slug, milestone.pk)
