"""The benchmark pool: who contributes, with which values, and the figures shown from them.

The contributions are this install's opted-in organisations, each by its latest final
assessment (`figures_of`, the verification snapshot taken at finalise), and the entries imported
from other installs (`BenchmarkEntry`). Demo organisations (`seed_demo`) form a pool of their
own: a demo organisation's page counts only them, any other page never counts them.
`benchmark_figures()` is the one source of the page, the JSON download and the PDF; the rules
(K = 5 strangers, percentiles) are `assessments.benchmarks`'.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from accounts.models import Industry, Membership, Organization
from assessments import benchmarks, scoring
from assessments.benchmarks import Summary
from assessments.figures import AssessmentFigures, figures_of
from assessments.framework.loading import default_framework
from assessments.models import Assessment, BenchmarkEntry, VerificationSnapshot
from assessments.verified.status import AssessmentVerification

AREA, DIMENSION = "area", "dimension"


@dataclass
class Contribution:
    """One organisation's anonymous values (an imported one has no organisation)."""

    contributor: str
    industry: str
    assessed_on: date
    areas: dict[str, float]
    dimensions: dict[str, float]
    verified_areas: dict[str, float] | None = None  # None: no verification recorded
    organization_id: int | None = None
    source: str = ""  # an imported entry's source

    @property
    def imported(self) -> bool:
        return self.organization_id is None


@dataclass
class BenchmarkRow:
    kind: str  # AREA or DIMENSION
    key: str
    name: str
    summary: Summary | None  # None: fewer than K strangers, nothing shown
    count: int = 0  # organisations behind the figure, 0 when not shown

    def display(self, name: str) -> str:
        """A figure as every output shows it ("1.67", or a dash)."""
        return scoring.format_figure(getattr(self.summary, name, None))

    median_display = property(lambda self: self.display("median"))
    q1_display = property(lambda self: self.display("q1"))
    q3_display = property(lambda self: self.display("q3"))
    top_display = property(lambda self: self.display("top_quartile"))
    own_display = property(lambda self: self.display("own"))

    @property
    def middle_display(self) -> str:
        """ "1.25 – 2.50", or a dash below 10 strangers (`benchmarks.FULL_AT`)."""
        if self.summary is None or self.summary.q1 is None:
            return scoring.NO_FIGURE
        return f"{self.q1_display} – {self.q3_display}"

    @property
    def standing(self) -> str:
        """The viewer's percentile ("73"), its quarter band below 10 strangers, or a dash."""
        if self.summary is None or self.summary.band is None:
            return scoring.NO_FIGURE
        if self.summary.percentile is None:
            return self.summary.band
        return str(self.summary.percentile)


@dataclass
class BenchmarkFigures:
    industry: str  # "" for every industry
    verified: bool
    rows: list[BenchmarkRow]
    imported: int = 0  # imported entries among the figures shown (0 when nothing is)
    own_assessment: Assessment | None = None
    sites: list[SiteRow] = field(default_factory=list)

    @property
    def industry_label(self) -> str:
        return Industry(self.industry).label if self.industry else "All industries"

    @property
    def any_shown(self) -> bool:
        return any(r.summary is not None for r in self.rows)


@dataclass
class SiteRow:
    """A site of the organisation, by the processes of its latest final assessment there."""

    name: str
    processes: int
    samr_index: float | None
    verified_index: float | None  # the same index over verified levels


def latest_finals(organization_ids, *, window=None) -> dict[int, Assessment]:
    """Organisation id -> its latest final assessment (within an auditor's `window`)."""
    latest = {}
    finals = Assessment.objects.finals().filter(organization__in=list(organization_ids))
    if window:
        finals = finals.filter(assessed_on__range=window)
    for assessment in finals.select_related("framework", "organization"):  # newest first
        latest.setdefault(assessment.organization_id, assessment)
    return latest


def contribution_of(
    figures: AssessmentFigures, verification: AssessmentVerification | None
) -> Contribution:
    """An assessment's values: the mean claimed (and verified) level per area of its scored
    processes, and each in-scope dimension's readiness, IT and OT together."""
    claimed, verified = defaultdict(list), defaultdict(list)
    for p in figures.processes:
        if not p.scored:
            continue
        claimed[p.process.area].append(p.current)
        seen = verification.of(p.score.process_id) if verification else None
        if seen is not None and seen.verified is not None:
            verified[p.process.area].append(seen.verified)
    organization = figures.assessment.organization
    return Contribution(
        contributor=organization.benchmark_contributor,
        industry=organization.industry,
        assessed_on=figures.assessment.assessed_on,
        areas={k: sum(v) / len(v) for k, v in claimed.items()},
        dimensions={
            d.dimension.key: d.figures.combined
            for d in figures.dimensions
            if d.in_scope and d.figures.combined is not None
        },
        verified_areas={k: sum(v) / len(v) for k, v in verified.items()}
        if verification is not None and verification.recorded
        else None,
        organization_id=organization.pk,
    )


def _contributions_of(assessments: dict[int, Assessment]) -> dict[int, Contribution]:
    """Organisation id -> the contribution of its assessment, in a fixed number of queries."""
    figures = figures_of(assessments.values())
    snapshots = {
        s.assessment_id: AssessmentVerification.model_validate(s.data)
        for s in VerificationSnapshot.objects.filter(
            assessment__in=[a.pk for a in assessments.values()]
        )
    }
    return {
        org_id: contribution_of(figures[a.pk], snapshots.get(a.pk))
        for org_id, a in assessments.items()
    }


def local_contributions(*, demo: bool = False) -> list[Contribution]:
    """This install's opted-in organisations, each by its latest final assessment: the real
    ones, or with `demo` the demo's (`Organization.is_demo`); the two never mix."""
    opted = Organization.objects.filter(benchmark_opt_in=True, is_demo=demo)
    opted = opted.values_list("pk", flat=True)
    return list(_contributions_of(latest_finals(opted)).values())


def imported_contributions(*, exclude: set[str]) -> list[Contribution]:
    """The imported entries, but none of a contributor of this install (its own pool back)."""
    return [
        Contribution(
            contributor=e.contributor,
            industry=e.industry,
            assessed_on=e.assessed_on,
            areas=e.areas,
            dimensions=e.dimensions,
            source=e.source,
        )
        for e in BenchmarkEntry.objects.exclude(contributor__in=exclude)
    ]


def known_organizations(*, organization: Organization, user=None) -> set[int]:
    """The organisations whose figures the reader may know: `organization` itself and every
    organisation `user` belongs to; with no `user` (a stored report any member may download),
    every organisation any member of `organization` belongs to."""
    readers = [user.pk] if user is not None else organization.memberships.values("user")
    known = set(Membership.objects.filter(user__in=readers).values_list("organization", flat=True))
    return known | {organization.pk}


def benchmark_figures(
    *,
    organization: Organization,
    user=None,
    industry: str = "",
    verified: bool = False,
    assessment: Assessment | None = None,
    window=None,
) -> BenchmarkFigures:
    """The benchmark an organisation's member sees: per area (and, for claimed levels, per
    readiness dimension) the figures over the pool, cut to one industry when asked; verified
    counts only this install's organisations with a recorded verification. `user` is the
    reader; None for the PDF, which every member may read (`known_organizations`). "Yours" is the
    organisation's latest final assessment (within an auditor's `window`), or `assessment`
    (a report's). A demo organisation is compared with the demo's only, any other with real
    organisations and imported entries only (`local_contributions`)."""
    pool = local_contributions(demo=organization.is_demo)
    if not verified and not organization.is_demo:
        pool += imported_contributions(exclude={c.contributor for c in pool})
    if industry:
        pool = [c for c in pool if c.industry == industry]
    mine = known_organizations(organization=organization, user=user)
    own_assessment = assessment or latest_finals([organization.pk], window=window).get(
        organization.pk
    )
    own = _contributions_of({organization.pk: own_assessment}) if own_assessment else {}
    own = own.get(organization.pk)
    framework = default_framework()
    rows, imported = [], set()
    dimensions = () if verified else framework.dimensions
    for kind, items in ((AREA, framework.areas), (DIMENSION, dimensions)):
        for item in items:
            values = [(c, _value(c, kind, item.key, verified)) for c in pool]
            values = [(c, v) for c, v in values if v is not None]
            known = sum(1 for c, _ in values if c.organization_id in mine)
            mine_value = _value(own, kind, item.key, verified) if own else None
            summary = benchmarks.summarise([v for _, v in values], known=known, own=mine_value)
            if summary is not None:
                imported |= {c.contributor for c, _ in values if c.imported}
            count = len(values) if summary is not None else 0
            rows.append(BenchmarkRow(kind, item.key, item.name, summary, count))
    return BenchmarkFigures(
        industry=industry,
        verified=verified,
        rows=rows,
        imported=len(imported),
        own_assessment=own_assessment,
    )


def benchmark_dict(figures: BenchmarkFigures) -> dict:
    """The figures as the JSON download and a report's snapshot keep them: only the rows
    shown (a row below K is left out, not even its count)."""
    return {
        "industry": figures.industry,
        "view": "verified" if figures.verified else "claimed",
        "imported_entries": figures.imported,
        "rows": [
            {
                "kind": r.kind,
                "key": r.key,
                "organisations": r.count,
                "median": r.median_display,
                "q1": r.q1_display,
                "q3": r.q3_display,
                "top_quartile": r.top_display,
                "yours": r.own_display,
                "your_percentile": r.summary.percentile,
                "your_quarter": r.summary.band,
            }
            for r in figures.rows
            if r.summary is not None
        ],
    }


def _value(contribution: Contribution, kind: str, key: str, verified: bool) -> float | None:
    if kind == DIMENSION:
        return contribution.dimensions.get(key)
    if verified:
        return (contribution.verified_areas or {}).get(key)
    return contribution.areas.get(key)


def site_rows(assessment: Assessment | None) -> list[SiteRow]:
    """The organisation's sites side by side, from its latest final assessment's processes:
    no anonymity needed inside one organisation. Empty with fewer than two sites."""
    if assessment is None:
        return []
    figures = figures_of([assessment])[assessment.pk]
    snapshot = VerificationSnapshot.objects.filter(assessment=assessment).first()
    verification = AssessmentVerification.model_validate(snapshot.data) if snapshot else None
    by_site = defaultdict(list)
    for p in figures.processes:
        if p.scored and p.process.site is not None:
            by_site[p.process.site.name].append(p)
    rows = []
    for name, processes in sorted(by_site.items()):
        claimed = [p.figures for p in processes]
        seen = [verification.of(p.score.process_id) if verification else None for p in processes]
        verified = [
            scoring.ProcessFigures(
                key=f.key, name=f.name, business_value=f.business_value, current=v.verified
            )
            for f, v in zip(claimed, seen, strict=True)
            if v is not None and v.verified is not None
        ]
        rows.append(
            SiteRow(
                name=name,
                processes=len(processes),
                samr_index=scoring.samr_index(claimed),
                verified_index=scoring.samr_index(verified),
            )
        )
    return rows if len(rows) > 1 else []
