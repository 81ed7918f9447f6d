"""The check bindings page: every process's framework checks with their standing and bound
integrations; facilitators bind one integration to one check role on several processes, after
a preview of each process's last 14 days ("Preview" saves nothing; "Bind" saves).

The board is paged by process (and filtered by area and site), so a page costs what it shows,
not what the organisation has: the form offers the page's processes and, past
`INTEGRATION_CHOICES` integrations, only those linked to them; it accepts any of the
organisation's (one query each), as before."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.access import org_view, refuse_unless, scoped
from assessments.forms.checks import BoardFilterForm, BulkBindForm
from assessments.models import Process
from assessments.verified.bindings import BindingRefused
from assessments.verified.board import (
    area_checks,
    bind_many,
    bind_many_preview,
    board,
    board_framework,
)
from integration.models import Integration

PAGE_SIZE = 20  # processes a page of the board shows, each with every check of its area
# Up to this many integrations the form offers them all; past it, those of the page's processes.
INTEGRATION_CHOICES = 200


@org_view(methods=("GET", "POST"))
def check_bindings(request):
    refuse_unless(
        request.membership.window is None,
        "An auditor sees the checks through the attestations and assessments of their window.",
    )
    framework, assessment = board_framework(request.org)
    every = scoped(request.org, Process).filter(archived=False)
    if assessment is not None:
        every = every.filter(scores__assessment=assessment)
    filter_form = BoardFilterForm(request.GET, organization=request.org)
    matching = filter_form.filter(every).order_by("area", "name", "pk").select_related("site")
    page = Paginator(matching, PAGE_SIZE).get_page(request.GET.get("page"))
    processes = list(page.object_list)
    by_area = area_checks(framework)
    form = None
    if request.membership.can_facilitate:
        form = BulkBindForm(
            request.POST if request.method == "POST" else None,
            framework=framework,
            processes=every.select_related("site"),
            integrations=scoped(request.org, Integration).order_by("name"),
            area_checks=by_area,
        )
        offered, linked_only = _offered(request.org, processes)
        form.offer(processes=processes, integrations=offered, linked_only=linked_only)
    elif request.method == "POST":
        raise PermissionDenied("Only the organisation's owners and consultants bind checks.")
    now, previews = timezone.now(), None
    if request.method == "POST" and form.is_valid():
        previews, bound = _submit(request, form, framework, now)
        if bound is not None:
            return bound
    context = {
        "framework": framework,
        "assessment": assessment,
        "rows": board(processes, framework, now=now),
        "page": page,
        "filter_form": filter_form,
        "query": urlencode(filter_form.chosen()),
        "form": form,
        "previews": previews,
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "assessments/check_bindings.html", context, status=status)


def _offered(org, processes) -> tuple[list, bool]:
    """(integrations, linked only): the ones the form lists, by name: all of the
    organisation's up to `INTEGRATION_CHOICES`, else those linked to `processes`."""
    every = scoped(org, Integration).order_by("name").only("name")  # names to list
    if not every[INTEGRATION_CHOICES:].exists():
        return list(every), False
    links = Process.integrations.through.objects.filter(process__in=processes)
    return list(every.filter(pk__in=links.values("integration_id"))), True


def _submit(request, form, framework, now):
    """(previews, response): "Preview" gives each process's last 14 days and saves nothing;
    "Bind" gives a redirect once bound, or neither with the refusal on the form."""
    data = form.cleaned_data
    asked = {
        "processes": list(data["processes"]),
        "framework": framework,
        "check_key": data["check"].key,
        "role": data["role"],
        "integration": data["integration"],
        "metric": data["metric"],
    }
    if request.POST.get("action") == "preview":
        return bind_many_preview(**asked, now=now), None
    try:
        count = bind_many(**asked, user=request.user)
    except BindingRefused as error:
        form.add_error("integration", str(error))
        return None, None
    messages.success(
        request,
        f"{data['integration'].name} bound to {data['role']} on {count} "
        f"process{'es' if count != 1 else ''}.",
    )
    return None, redirect("assessments:check-bindings", org_slug=request.org.slug)
