from django.shortcuts import render

from accounts.access import org_view
from assessments.figures import assessment_figures

# One line per rung for the overview; the framework file holds the full descriptors.
LADDER = [
    (0, "Manual", "Paper, whiteboards and phone calls; no digital record."),
    (1, "Substitution", "A digital tool replaces a manual one; the workflow stays the same."),
    (2, "Augmentation", "The tool makes the same work better: live data instead of re-keying."),
    (
        3,
        "Modification",
        "The workflow is redesigned: departments and sites work on the same live data.",
    ),
    (4, "Redefinition", "Work that was impossible before: models predict and act on the data."),
]


@org_view
def overview(request):
    """The organisation's home: where it stands and what to do next."""
    org = request.org
    latest = org.assessments.select_related("framework").first()
    figures = assessment_figures(latest, assessors=False) if latest else None
    context = {
        "latest": latest,
        "figures": figures,
        "distribution": ", ".join(
            f"{n} at {level}" for level, n in figures.distribution.items() if n
        )
        if figures and figures.scored
        else "",
        "sites": org.sites.all(),
        "member_count": org.memberships.count(),
        "ladder": [{"level": lv, "name": n, "text": t} for lv, n, t in LADDER],
    }
    return render(request, "assessments/overview.html", context)
