from django.db.models import F
from django.shortcuts import render
from django.utils import timezone

from accounts.access import org_view, scoped
from assessments.home import home
from assessments.models import Milestone
from assessments.roadmaps.outcomes import outcomes_of

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
    """The organisation's home: what needs attention, the next step, how it climbs the ladder."""
    now = timezone.now()
    page = home(org=request.org, membership=request.membership, now=now)
    latest = page.snapshot.latest
    figures = page.snapshot.figures[latest.pk] if latest else None
    context = {
        "home": page,
        "latest": latest,
        "figures": figures,
        "distribution": ", ".join(
            f"{n} at {level}" for level, n in figures.distribution.items() if n
        )
        if figures and figures.scored
        else "",
        "sites": page.snapshot.sites,
        "member_count": page.snapshot.members,
        "ladder": [{"level": lv, "name": n, "text": t} for lv, n, t in LADDER],
        "outcomes": _outcomes(request.org, now) if page.snapshot.has_milestones else [],
    }
    return render(request, "assessments/overview.html", context)


def _outcomes(org, now, limit=6):
    """The outcomes of the latest milestones that name a KPI, done ones first."""
    milestones = (
        scoped(org, Milestone)
        .active()
        .filter(kpi__isnull=False)
        .select_related("kpi__integration", "kpi__organization")
        .order_by(F("completed").desc(nulls_last=True), "-pk")[:limit]
    )
    return list(outcomes_of(milestones=list(milestones), now=now).values())
