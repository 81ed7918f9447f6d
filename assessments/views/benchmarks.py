"""The benchmark page: where the organisation stands among the opted-in organisations of the
install (anonymous, K = 5 strangers: `assessments.benchmarks`), and its sites side by side."""

from django.http import Http404, JsonResponse
from django.shortcuts import render

from accounts.access import org_view
from accounts.models import Industry
from assessments import scoring
from assessments.pool import benchmark_figures, site_rows


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
    figures = _figures(request)
    f = scoring.format_figure
    rows = [
        {
            "kind": r.kind,
            "key": r.key,
            "organisations": r.count,
            "median": f(r.summary.median),
            "q1": f(r.summary.q1),
            "q3": f(r.summary.q3),
            "top_quartile": f(r.summary.top_quartile),
            "yours": f(r.summary.own),
            "your_percentile": r.summary.percentile,
        }
        for r in figures.rows
        if r.summary is not None
    ]
    document = {
        "industry": figures.industry,
        "view": "verified" if figures.verified else "claimed",
        "imported_entries": figures.imported,
        "rows": rows,
    }
    response = JsonResponse(document)
    response["Content-Disposition"] = 'attachment; filename="benchmarks.json"'
    return response
