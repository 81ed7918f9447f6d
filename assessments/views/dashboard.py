"""An assessment's dashboard and the comparison of two assessments: read-only, any member."""

from django.shortcuts import render
from django.utils import timezone

from accounts.access import get_object_for_member, org_view, visible
from assessments.charts.plotly.assessment import dashboard
from assessments.charts.plotly.comparison import dimension_comparison, process_comparison
from assessments.charts.rows import ChangeRow, comparison, level_names
from assessments.crosswalk import profile_of
from assessments.figures import assessment_figures
from assessments.framework.crosswalk import crosswalk_for
from assessments.models import Assessment
from assessments.scoring import compare, format_figure
from assessments.verified.status import assessment_verification


def _assessment(request, assessment_id) -> Assessment:
    queryset = Assessment.objects.select_related("framework", "site")
    return get_object_for_member(request, queryset, pk=assessment_id)


@org_view(methods=("GET", "HEAD"), lookup=_assessment)
def assessment_dashboard(request, assessment_id):
    assessment = _assessment(request, assessment_id)
    figures = assessment_figures(assessment, assessors=False)
    verification = assessment_verification(figures, now=timezone.now(), history=False)
    board = dashboard(figures, verification)
    crosswalk = crosswalk_for(assessment.framework.definition)
    headline = {
        "samr_index": format_figure(figures.samr_index),
        "verified_index": format_figure(verification.verified_index),
        "target_index": format_figure(figures.target_index),
        "overall_readiness": format_figure(figures.overall_readiness),
        "convergence_gap": format_figure(figures.convergence_gap),
    }
    context = {
        "assessment": assessment,
        "figures": figures,
        "headline": headline,
        "dashboard": board,
        "verification": verification,
        "process_rows": [(row, verification.of(int(row.key))) for row in board.processes],
        "above_verified": [
            (row, verification.of(int(row.key))) for row in board.processes if row.unverified
        ],
        "distribution": [
            (level, name, figures.distribution[level])
            for level, name in enumerate(level_names(figures))
        ],
        "indicative": profile_of(crosswalk, figures) if crosswalk else None,
    }
    return render(request, "assessments/dashboard.html", context)


@org_view(methods=("GET", "HEAD"))
def assessment_compare(request):
    a, b = (request.GET.get(key, "").strip() for key in ("a", "b"))
    choices = list(visible(request, Assessment).select_related("site"))
    if not (a or b):  # opened from the menu: compare a sensible pair straight away
        a, b = _default_pair(choices)
    context = {"choices": choices, **_picked(choices, a, b)}
    if not (a and b):
        return render(request, "assessments/compare.html", context)
    error = _pair_error(a, b)
    if error:
        return render(request, "assessments/compare.html", {**context, "error": error}, status=400)
    before, after = _assessment(request, int(a)), _assessment(request, int(b))
    figures = assessment_figures(before), assessment_figures(after)
    changes = comparison(*figures)
    now = timezone.now()
    verifications = [assessment_verification(f, now=now, history=False) for f in figures]
    index, levels = _verified_changes(*verifications)
    context |= {
        "before": before,
        "after": after,
        "not_final": [x for x in (before, after) if not x.is_final],
        "comparison": changes,
        "headline": [*changes.headline[:1], index, *changes.headline[1:]],
        "process_rows": [(row, levels.get(row.key)) for row in changes.processes],
        "unrecorded": [
            x for x, v in zip((before, after), verifications, strict=True) if not v.recorded
        ],
        "charts": {
            "processes": process_comparison(changes) if changes.processes else None,
            "dimensions": dimension_comparison(changes),
        },
    }
    return render(request, "assessments/compare.html", context)


def _verified_changes(before, after) -> tuple[ChangeRow, dict[str, ChangeRow]]:
    """The verified index before and after, and each process's verified level before and after
    (by the comparison's process keys); a dash where one was not recorded."""
    [index] = compare({"i": before.verified_index}, {"i": after.verified_index})
    levels = compare(
        {str(pid): v.verified for pid, v in before.processes.items()},
        {str(pid): v.verified for pid, v in after.processes.items()},
    )
    name = "Verified index"
    return ChangeRow("verified_index", name, name, index.before, index.after, index.delta), {
        f"process:{c.key}": ChangeRow(
            f"verified:{c.key}", "", "Verified level", c.before, c.after, c.delta, 0
        )
        for c in levels
    }


def _default_pair(choices) -> tuple[str, str]:
    """(before, after) ids: the latest final and the newest assessment after it, else the two
    latest finals, else the two latest; none with fewer than two. `choices` are newest first."""
    if len(choices) < 2:
        return "", ""
    finals = [c for c in choices if c.is_final]
    if finals and finals[0] != choices[0]:
        before, after = finals[0], choices[0]
    elif len(finals) > 1:
        before, after = finals[1], finals[0]
    else:
        before, after = choices[1], choices[0]
    return str(before.pk), str(after.pk)


def _pair_error(a: str, b: str) -> str | None:
    """Why two ids from the query string cannot be compared, or None when they can."""
    if not (a.isascii() and a.isdigit() and b.isascii() and b.isdigit()):
        return "Assessments are chosen by their number: pick them from the lists below."
    if int(a) == int(b):
        return "Choose two different assessments: one compared with itself shows no change."
    return None


def _picked(choices, a: str, b: str) -> dict:
    """The picker's selection: what was asked for, else the latest and the one before it."""
    ids = [str(c.pk) for c in choices]
    b = b or next((i for i in ids if i != a), "")
    a = a or next((i for i in ids[ids.index(b) + 1 if b in ids else 0 :] if i != b), "")
    a = a or next((i for i in ids if i != b), "")
    return {"a": a, "b": b}
