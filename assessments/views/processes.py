from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst

from accounts.access import get_object_for_member, org_view, scoped
from assessments.figures import latest_levels
from assessments.forms.processes import ProcessFilterForm, ProcessForm, ProcessImportForm
from assessments.models import Process, area_choices
from assessments.process_import import (
    MAX_ROWS,
    ImportRefused,
    processes_import,
    template_csv,
)
from assessments.services import process_archive_set, process_update
from assessments.services import process_create as process_create_service
from integration.models import Integration
from integration.services.health import health_figures_list

PAGE_SIZE = 25  # processes a page shows, each with its integrations' links and badges


def process_rows(processes, *, now, integrations_url: str) -> list[tuple]:
    """(process, its latest level or None, its integrations cell) per process; the processes'
    integrations prefetched. Five queries however many processes."""
    levels = latest_levels(processes)
    linked = {i.pk: i for p in processes for i in p.integrations.all()}
    health = health_figures_list(integrations=linked.values(), now=now, with_uptime=False)
    return [
        (
            p,
            levels.get(p.pk),
            links_cell(p, [(i, health[i.pk]) for i in p.integrations.all()], integrations_url),
        )
        for p in processes
    ]


def links_cell(process, links, integrations_url: str) -> SafeString:
    """The cell of a process's integrations, each with its health badge and a link (`links`:
    [(integration, health figures)]), in one `format_html` pass with every name escaped: a
    page of 25 processes has up to 250 of them, half the page's template work before."""
    if links:
        inner = format_html_join(
            "",
            '<span class="process-link"><span class="health-badge health-{}">{}</span> '
            '<a href="{}{}/">{}</a></span>',
            (
                (h.shown_status, capfirst(h.shown_status), integrations_url, i.pk, i.name)
                for i, h in links
            ),
        )
    else:
        inner = _NONE_LINKED
    listed = ""
    if links and not process.archived:
        listed = format_html(
            ' <a class="muted small" href="{}?process={}" aria-label="{}: its integrations in '
            'the integrations list">In the integrations list</a>',
            integrations_url,
            process.pk,
            process.name,
        )
    return format_html('<td class="process-links" hx-disable>{}{}</td>', inner, listed)


_NONE_LINKED = format_html('<span class="muted">{}</span>', "none linked")  # constant markup


def _posted(request):
    # An empty POST is still a submission to validate, not a first visit.
    return request.POST if request.method == "POST" else None


@org_view(methods=("GET",))
def process_list(request):
    form = ProcessFilterForm(request.GET, organization=request.org)
    processes = scoped(request.org, Process).select_related("site", "owner")
    integrations = Prefetch("integrations", queryset=scoped(request.org, Integration))
    matching = form.filter(processes).order_by("name", "pk").prefetch_related(integrations)
    page = Paginator(matching, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    integrations_url = reverse("integration:integration-list", args=[request.org.slug])
    context = {
        "filter_form": form,
        "processes": shown,
        "page": page,
        "query": urlencode(form.chosen()),
        # An integration's page is the list's URL plus its id and "/": one reverse, not 250.
        "rows": process_rows(shown, now=timezone.now(), integrations_url=integrations_url),
        "has_any": processes.exists(),
        "archived_count": processes.filter(archived=True).count(),
        "showing_archived": form.cleaned_data.get("archived", False),
    }
    template = "assessments/processes.html"
    return render(request, f"{template}#process-table" if request.htmx else template, context)


@org_view(write=True)
def process_create(request):
    form = _process_form(request)
    if request.method == "POST" and form.is_valid():
        process = process_create_service(
            organization=request.org, user=request.user, **form.cleaned_data
        )
        messages.success(request, f"Process “{process.name}” added.")
        return redirect("assessments:processes", org_slug=request.org.slug)
    return render(
        request, "assessments/process_form.html", {"form": form}, status=400 if form.errors else 200
    )


@org_view(write=True)
def process_edit(request, process_id):
    process = get_object_for_member(request, Process, pk=process_id)
    form = _process_form(request, instance=process)
    if request.method == "POST" and form.is_valid():
        process_update(process=process, user=request.user, **form.cleaned_data)
        messages.success(request, f"Process “{process.name}” saved.")
        return redirect("assessments:processes", org_slug=request.org.slug)
    context = {"form": form, "process": process}
    return render(
        request, "assessments/process_form.html", context, status=400 if form.errors else 200
    )


def _process_form(request, instance=None) -> ProcessForm:
    # Only owners and consultants get the integrations field: members cannot link evidence.
    return ProcessForm(
        _posted(request),
        instance=instance,
        organization=request.org,
        facilitate=request.membership.can_facilitate,
    )


@org_view(facilitate=True, methods=("POST",))
def process_archive(request, process_id):
    """Archive or restore; the form says which, so a double submit does not undo itself."""
    process = get_object_for_member(request, Process, pk=process_id)
    if request.POST.get("archived") not in ("0", "1"):
        return HttpResponseBadRequest("Say archived=1 to archive or archived=0 to restore.")
    process_archive_set(
        process=process, user=request.user, archived=request.POST["archived"] == "1"
    )
    if process.archived:
        messages.success(request, f"“{process.name}” archived: kept in past assessments only.")
    else:
        messages.success(request, f"“{process.name}” restored.")
    url = reverse("assessments:processes", kwargs={"org_slug": request.org.slug})
    # Back to the list the button was on.
    return redirect(url if process.archived else f"{url}?archived=1")


@org_view(write=True)
def process_import(request):
    form = ProcessImportForm(_posted(request), request.FILES or None, organization=request.org)
    if request.method != "POST" or not form.is_valid():
        return _import_page(request, form, status=400 if form.errors else 200)
    if not form.cleaned_data["confirm"]:
        return _import_page(request, form, preview=form.preview)
    try:
        created = processes_import(
            organization=request.org, text=form.cleaned_data["text"], user=request.user
        )
    except ImportRefused as refused:
        return _import_page(request, form, preview=refused.preview, status=400)
    messages.success(request, f"Imported {len(created)} process{pluralize(len(created), 'es')}.")
    return redirect("assessments:processes", org_slug=request.org.slug)


def _import_page(request, form, preview=None, status=200):
    context = {
        "form": form,
        "preview": preview,
        "areas": area_choices(),
        "sites": [site.name for site in request.org.sites.all()],
        "max_rows": f"{MAX_ROWS:,}",
    }
    return render(request, "assessments/process_import.html", context, status=status)


@org_view(methods=("GET",))
def process_import_template(request):
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ladder-processes.csv"'
    return response
