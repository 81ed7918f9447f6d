"""Reports: ask for one, watch it being built, download it; and a consultant's portfolio.

Any member reads and downloads; members and above ask for reports (viewers only read). Another
organisation's report is a 404 whatever the method, so nobody learns that it exists.
"""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe
from django_htmx.http import HttpResponseStopPolling

from accounts.access import get_object_for_member, org_view, visible
from accounts.sso import policy as sso_policy
from assessments.models import Attestation, Report
from assessments.reports.forms import ReportRequestForm
from assessments.reports.portfolio import portfolio_rows
from assessments.reports.tasks import report_request


def get_report(request, report_id) -> Report:
    queryset = Report.objects.select_related(
        "organization", "assessment__site", "compared_to", "requested_by"
    )
    return get_object_for_member(request, queryset, pk=report_id)


@org_view
def report_list(request):
    form = None
    if request.membership.can_write:
        # "Ask for it again" on a failed report comes back with what that report was.
        fields = ("assessment", "kind", "compared_to")
        initial = {name: request.GET[name] for name in fields if name in request.GET}
        for flag in ("appendix", "archival"):
            if flag in request.GET:
                initial[flag] = request.GET[flag] == "1"
        form = ReportRequestForm(request.POST or None, initial=initial, organization=request.org)
    if request.method == "POST" and form.is_valid():
        report = report_request(
            organization=request.org,
            user=request.user,
            assessment=form.cleaned_data["assessment"],
            compared_to=form.cleaned_data["compared_to"],
            archival=form.cleaned_data["archival"],
            board=form.cleaned_data["kind"] == Report.Kind.BOARD,
            appendix=form.cleaned_data["appendix"],
        )
        return redirect("assessments:report-detail", request.org.slug, report.pk)
    now = timezone.now()
    reports = list(
        visible(request, Report).select_related("assessment", "compared_to", "requested_by")
    )
    for report in reports:
        report.as_seen(now)  # its worker stopped: shown failed, to ask again
    status = 400 if form is not None and form.errors else 200
    attestations = visible(request, Attestation).select_related("signed_by")
    context = {"reports": reports, "form": form, "now": now, "attestations": attestations}
    return render(request, "assessments/report_list.html", context, status=status)


@org_view(methods=("GET", "HEAD"), lookup=get_report)
def report_detail(request, report_id):
    report = get_report(request, report_id)
    now = timezone.now()
    report.as_seen(now)
    context = {"report": report, "slow": report.is_slow(now)}
    if not request.htmx:
        return render(request, "assessments/report_detail.html", context)
    response = render(request, "assessments/report_detail.html#progress", context)
    if report.is_done:
        # 286: htmx swaps this last fragment in and stops polling
        response.status_code = HttpResponseStopPolling.status_code
    return response


@org_view(methods=("GET", "HEAD"), lookup=get_report)
def report_download(request, report_id):
    report = get_report(request, report_id)
    if not report.is_ready:
        raise Http404("This report has no file to download.")
    return FileResponse(
        report.file.open("rb"),
        as_attachment=True,
        filename=report.download_name(),
        content_type="application/pdf",
    )


@login_required
@require_safe
def portfolio(request):
    """Every organisation of the user side by side, by its latest assessment."""
    rows = portfolio_rows(user=request.user, now=timezone.now())
    # Not those this session may not open: another organisation's single sign-on, or a
    # password session where the organisation requires its own.
    rows = [row for row in rows if not sso_policy.refusal(request, row.membership.organization)]
    return render(request, "assessments/portfolio.html", {"rows": rows})
