"""Roadmap pages: generate, plan (edit, reorder, regenerate), board, timeline, export.

The milestone pages, and the plan and board contexts both use, are `views.milestones`;
anyone in the organisation reads, owners and consultants change the plan.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify

from accounts.access import org_view, scoped
from assessments.charts.plotly.roadmap import burnup_figure, gantt_figure
from assessments.forms.roadmaps import RegenerateForm, RoadmapGenerateForm, RoadmapSettingsForm
from assessments.models import Roadmap
from assessments.roadmaps import editing, generate, reading, regenerate
from assessments.roadmaps.activity import roadmap_activity
from assessments.roadmaps.export import roadmap_csv, roadmap_xlsx
from assessments.roadmaps.outcomes import cost_and_benefit
from assessments.views.milestones import board_context, get_roadmap, plan_context

REPORT_SESSION_KEY = "ladder_regeneration_report"


@org_view(methods=("GET", "HEAD"))
def roadmap_list(request):
    roadmaps = scoped(request.org, Roadmap).select_related("assessment")
    return render(request, "assessments/roadmap_list.html", {"roadmaps": roadmaps})


@org_view(facilitate=True)
def roadmap_create(request):
    form = RoadmapGenerateForm(request.POST or None, organization=request.org)
    if request.method == "POST" and form.is_valid():
        roadmap = generate.roadmap_generate(user=request.user, **form.cleaned_data)
        count = roadmap.milestones.count()
        messages.success(request, f"{roadmap.title} generated with {count} milestones.")
        return redirect("assessments:roadmap-detail", request.org.slug, roadmap.pk)
    status = 400 if form.errors else 200
    return render(request, "assessments/roadmap_new.html", {"form": form}, status=status)


@org_view(methods=("GET", "HEAD"), lookup=get_roadmap)
def roadmap_detail(request, roadmap_id):
    roadmap = get_roadmap(request, roadmap_id)
    context = plan_context(request, roadmap)
    context["activity"] = roadmap_activity(roadmap, limit=15)
    context.update(cost_and_benefit(milestones=context["plan"].milestones, now=timezone.now()))
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
        editing.roadmap_update(roadmap=roadmap, user=request.user, changes=changes)
        messages.success(request, f"{roadmap.title} saved.")
        return redirect("assessments:roadmap-detail", request.org.slug, roadmap.pk)
    context = {"form": form, "roadmap": roadmap}
    return render(
        request, "assessments/roadmap_edit.html", context, status=400 if form.errors else 200
    )


@org_view(facilitate=True, methods=("POST",))
def roadmap_regenerate(request, roadmap_id):
    roadmap = get_roadmap(request, roadmap_id)
    form = RegenerateForm(request.POST, organization=request.org)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["assessment"]))
        return redirect("assessments:roadmap-detail", request.org.slug, roadmap.pk)
    report = regenerate.roadmap_regenerate(
        roadmap=roadmap, assessment=form.cleaned_data["assessment"], user=request.user
    )
    messages.success(request, report.summary())
    # Shown once, as a list on the plan (too many lines for messages).
    request.session[REPORT_SESSION_KEY] = {"roadmap": roadmap.pk, "lines": report.lines()}
    return redirect("assessments:roadmap-detail", request.org.slug, roadmap.pk)


@org_view(methods=("GET", "HEAD"), lookup=get_roadmap)
def roadmap_board(request, roadmap_id):
    roadmap = get_roadmap(request, roadmap_id)
    return render(request, "assessments/roadmap_board.html", board_context(request, roadmap))


@org_view(methods=("GET", "HEAD"), lookup=get_roadmap)
def roadmap_timeline(request, roadmap_id):
    roadmap = get_roadmap(request, roadmap_id)
    today = timezone.localdate()
    milestones = list(
        roadmap.milestones.active().select_related("owner", "process").in_plan_order()
    )
    reading.label_milestones(roadmap, milestones)
    rows = reading.gantt_rows(roadmap, milestones, today)
    burnup = reading.roadmap_burnup(roadmap, milestones, today)
    context = {
        "roadmap": roadmap,
        "rows": list(zip(rows, milestones, strict=True)),
        "gantt": gantt_figure(rows, roadmap.windows(), today) if rows else None,
        "burnup": burnup,
        "burnup_chart": burnup_figure(burnup) if rows else None,
    }
    return render(request, "assessments/roadmap_timeline.html", context)


EXPORTS = {
    "csv": ("text/csv; charset=utf-8", roadmap_csv),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        roadmap_xlsx,
    ),
}


def _exported(request, roadmap_id, format) -> Roadmap:
    return get_roadmap(request, roadmap_id)


@org_view(methods=("GET", "HEAD"), lookup=_exported)
def roadmap_export(request, roadmap_id, format):
    """Any member, viewers too, may download a roadmap."""
    roadmap = get_roadmap(request, roadmap_id)
    if format not in EXPORTS:
        raise Http404(f"No export as {format}; use csv or xlsx.")
    content_type, export = EXPORTS[format]
    response = HttpResponse(export(roadmap=roadmap), content_type=content_type)
    filename = f"{slugify(roadmap.title) or 'roadmap'}-{timezone.localdate():%Y-%m-%d}.{format}"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
