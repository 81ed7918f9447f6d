"""Outcome KPIs: the organisation's list, and adding, changing and deleting one (owners and
consultants). Anyone in the organisation reads the list."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.access import get_object_for_member, org_view, scoped
from assessments.forms.outcomes import OutcomeKpiForm
from assessments.framework.loading import default_framework
from assessments.models import Milestone, OutcomeKpi
from assessments.roadmaps import kpis
from assessments.roadmaps.outcomes import outcomes_of


def get_kpi(request, kpi_id) -> OutcomeKpi:
    return get_object_for_member(
        request, OutcomeKpi.objects.select_related("integration"), pk=kpi_id
    )


@org_view(methods=("GET", "HEAD"))
def kpi_list(request):
    kpi_rows = list(scoped(request.org, OutcomeKpi).select_related("integration"))
    milestones = (
        scoped(request.org, Milestone)
        .active()
        .filter(kpi__isnull=False)
        .select_related("kpi__integration", "kpi__organization", "roadmap")
    )
    outcomes = outcomes_of(milestones=list(milestones), now=timezone.now()).values()
    benefits = {b.key: b.name for b in default_framework().benefits}
    for kpi in kpi_rows:
        kpi.benefit_name = benefits.get(kpi.benefit, kpi.benefit)
        kpi.outcomes = [o for o in outcomes if o.kpi.pk == kpi.pk]
    context = {"kpis": kpi_rows, "can_edit": request.membership.can_facilitate}
    return render(request, "assessments/kpi_list.html", context)


def _form_page(request, form, kpi=None):
    context = {"form": form, "kpi": kpi}
    status = 400 if form.errors else 200
    return render(request, "assessments/kpi_form.html", context, status=status)


@org_view(facilitate=True)
def kpi_create(request):
    form = OutcomeKpiForm(request.POST or None, organization=request.org)
    if request.method == "POST" and form.is_valid():
        kpi = kpis.kpi_create(organization=request.org, user=request.user, **form.cleaned_data)
        messages.success(request, f"KPI “{kpi.name}” added.")
        return redirect("assessments:kpi-list", request.org.slug)
    return _form_page(request, form)


@org_view(facilitate=True, lookup=get_kpi)
def kpi_edit(request, kpi_id):
    kpi = get_kpi(request, kpi_id)
    unsaved = OutcomeKpi.objects.get(pk=kpi.pk)
    form = OutcomeKpiForm(request.POST or None, instance=unsaved, organization=request.org)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            kpis.kpi_update(kpi=kpi, user=request.user, changes=changes)
        except kpis.KpiFrozen as exc:  # frozen between the form's check and the save
            for name in exc.fields:
                form.add_error(name, str(exc))
        else:
            messages.success(request, f"KPI “{kpi.name}” saved.")
            return redirect("assessments:kpi-list", request.org.slug)
    return _form_page(request, form, kpi)


@org_view(facilitate=True, methods=("POST",), lookup=get_kpi)
def kpi_delete(request, kpi_id):
    kpi = get_kpi(request, kpi_id)
    try:
        kpis.kpi_delete(kpi=kpi, user=request.user)
    except kpis.KpiInUse as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"KPI “{kpi.name}” deleted.")
    return redirect("assessments:kpi-list", request.org.slug)
