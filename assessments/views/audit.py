"""The organisation's audit trail, for owners, consultants and auditors (theirs cut to their
observation window): read-only, filtered, paged.

Here rather than in `audit`, which sits below every app: the filter offers every app's areas."""

from django import forms
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header

from accounts.access import org_view, refuse_unless, visible
from assessments.audit_areas import AREAS
from audit.models import AuditEvent

AREA_LABELS = dict(AREAS)
PAGE_SIZE = 50
EXPORT_LIMIT = 10_000


class AuditFilter(forms.Form):
    area = forms.ChoiceField(choices=[("", "All areas"), *AREAS], required=False)
    actor = forms.CharField(required=False, label="Who", max_length=254)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def filter(self, events):
        if not self.is_valid():
            return events
        data = self.cleaned_data
        if data["area"]:
            events = events.filter(area=data["area"])
        if data["actor"]:
            events = events.filter(actor_email__icontains=data["actor"].strip())
        if data["since"]:
            events = events.filter(at__date__gte=data["since"])
        if data["until"]:
            events = events.filter(at__date__lte=data["until"])
        return events


AUDIT_READERS = "Only owners, consultants and auditors read the audit trail."


@org_view(methods=("GET", "HEAD"))
def audit_log(request):
    refuse_unless(request.membership.can_audit, AUDIT_READERS)
    form = AuditFilter(request.GET)
    events = form.filter(visible(request, AuditEvent))
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    for event in page.object_list:
        event.area_label = AREA_LABELS.get(event.area, event.area)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(
        request, "assessments/audit_log.html", context, status=400 if form.errors else 200
    )


@org_view(methods=("GET", "HEAD"))
def audit_export(request):
    """The filtered trail as JSON, newest first (at most EXPORT_LIMIT events)."""
    refuse_unless(request.membership.can_audit, AUDIT_READERS)
    form = AuditFilter(request.GET)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    events = form.filter(visible(request, AuditEvent))[:EXPORT_LIMIT]
    response = JsonResponse(
        {"organization": request.org.slug, "events": [e.as_data() for e in events]}
    )
    filename = f"{request.org.slug}-audit.json"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
