"""The benchmark page: where the organisation stands among the opted-in organisations of the
install (anonymous, K = 5 strangers: `assessments.benchmarks`), and its sites side by side."""

from django.http import Http404, JsonResponse
from django.shortcuts import render

from accounts.access import org_view
from accounts.models import Industry
from assessments.pool import benchmark_dict, benchmark_figures, site_rows


def _figures(request):
    industry = request.GET.get("industry", "")
    view = request.GET.get("view", "claimed")
    if industry not in Industry.values and industry != "" or view not in ("claimed", "verified"):
        raise Http404("No such benchmark view.")
    return benchmark_figures(
        organization=request.org,
        user=request.user,
        industry=industry,
        verified=view == "verified",
        window=request.membership.window,
    )


@org_view(methods=("GET",))
def benchmarks(request):
    figures = _figures(request)
    context = {
        "bench": figures,
        "industries": Industry.choices,
        "sites": site_rows(figures.own_assessment),
    }
    return render(request, "assessments/benchmarks.html", context)


@org_view(methods=("GET",))
def benchmarks_export(request):
    """The page's figures as JSON: the rows shown, nothing for a row below K."""
    response = JsonResponse(benchmark_dict(_figures(request)))
    response["Content-Disposition"] = 'attachment; filename="benchmarks.json"'
    return response
