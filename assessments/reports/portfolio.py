"""A consultant's portfolio: every organisation they work with, side by side; and, for a report,
where one organisation stands among the others, as aggregates only.

Every figure is a final assessment's (`Assessment.objects.finals()`): a draft is named as one,
never counted. Peers are the other organisations of the person asking (their portfolio), each by
its latest final assessment; demo organisations (`seed_demo`) are peers of each other only. A
peer figure is shown only as a mean over at least `MIN_PEERS` organisations and never with a
name, so no client can read another client's numbers in its report.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from django.db.models import Count
from django.utils import timezone

from accounts.models import Membership
from assessments import scoring
from assessments.charts.rows import ChangeRow
from assessments.figures import AssessmentFigures, assessment_figures
from assessments.models import Assessment, Milestone
from assessments.verified.status import AssessmentVerification, assessment_verification
from integration.health import Status
from integration.models import Integration

MIN_PEERS = 3


# --- The portfolio page ----------------------------------------------------------------------


@dataclass
class PortfolioRow:
    """One organisation of the portfolio, by its latest final assessment; a newer draft is
    named beside it (as a draft), never mixed into the figures or the trend."""

    membership: Membership
    latest: Assessment | None  # the latest final assessment
    figures: AssessmentFigures | None
    previous: Assessment | None  # the final assessment before the latest, for the trend
    draft: Assessment | None  # a newer assessment not final yet
    trend: ChangeRow | None
    overdue: int
    integrations: int
    down: int
    verification: AssessmentVerification | None = None  # of the latest final assessment

    @property
    def organization(self):
        return self.membership.organization

    def display(self, attribute: str) -> str:
        return scoring.format_figure(getattr(self.figures, attribute, None))

    samr_index_display = property(lambda self: self.display("samr_index"))
    readiness_display = property(lambda self: self.display("overall_readiness"))
    gap_display = property(lambda self: self.display("convergence_gap"))

    @property
    def verified_recorded(self) -> bool:
        return self.verification is not None and self.verification.recorded

    @property
    def verified_index_display(self) -> str:
        index = self.verification.verified_index if self.verified_recorded else None
        return scoring.format_figure(index)

    @property
    def above_verified(self) -> int:
        """How many processes of the latest final claim a level above their verified one."""
        if not self.verified_recorded:
            return 0
        return sum(1 for v in self.verification.processes.values() if v.unverified)


def portfolio_rows(*, user, now: datetime | None = None) -> list[PortfolioRow]:
    """The user's organisations with their latest figures, trend, overdue milestones and
    integrations down, in the organisations' order."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    memberships = list(
        Membership.objects.filter(user=user).select_related(
            "organization",
            "organization__single_sign_on",  # for accounts.sso.policy
        )
    )
    org_ids = [m.organization_id for m in memberships]
    windows = {m.organization_id: m.window for m in memberships}
    by_org, drafts = defaultdict(list), {}
    finals = Assessment.objects.finals().filter(organization__in=org_ids)
    finals = set(finals.values_list("pk", flat=True))
    for assessment in Assessment.objects.filter(organization__in=org_ids).select_related(
        "framework", "site"
    ):  # newest first (Meta.ordering)
        window = windows[assessment.organization_id]  # an auditor's: only the window's
        if window and not window[0] <= assessment.assessed_on <= window[1]:
            continue
        if assessment.pk in finals:
            by_org[assessment.organization_id].append(assessment)
        elif not assessment.is_final and not by_org[assessment.organization_id]:
            drafts.setdefault(assessment.organization_id, assessment)
    overdue = dict(
        Milestone.objects.active()
        .filter(roadmap__organization__in=org_ids, due_date__lt=today)
        .exclude(status=Milestone.Status.DONE)
        .values("roadmap__organization")
        .annotate(n=Count("pk"))
        .values_list("roadmap__organization", "n")
    )
    integrations = defaultdict(list)
    for integration in Integration.objects.filter(organization__in=org_ids):
        integrations[integration.organization_id].append(integration)
    rows = []
    for membership in memberships:
        assessments = by_org[membership.organization_id]
        latest = assessments[0] if assessments else None
        previous = assessments[1] if len(assessments) > 1 else None
        figures = assessment_figures(latest) if latest else None
        # a final's verification is its snapshot: one query per organisation
        verification = assessment_verification(figures, now=now, history=False) if latest else None
        trend = None
        if previous is not None:
            before = assessment_figures(previous)
            trend = _change("SAMR index", before.samr_index, figures.samr_index)
        mine = integrations[membership.organization_id]
        rows.append(
            PortfolioRow(
                membership=membership,
                latest=latest,
                figures=figures,
                previous=previous,
                draft=drafts.get(membership.organization_id),
                trend=trend,
                overdue=overdue.get(membership.organization_id, 0),
                integrations=len(mine),
                down=sum(1 for i in mine if i.status(now=now) == Status.DOWN),
                verification=verification,
            )
        )
    return rows


def _change(name: str, before: float | None, after: float | None) -> ChangeRow:
    delta = None if before is None or after is None else float(Fraction(after) - Fraction(before))
    return ChangeRow(name, name, name, before, after, delta)


# --- Peers in a report -----------------------------------------------------------------------


@dataclass(frozen=True)
class PeerRow:
    """One comparison with the peers: this organisation's figure and the peers' mean."""

    key: str
    name: str
    measure: str
    own: float | None
    peers: int
    mean: float | None
    lower_is_better: bool = False

    @property
    def enough(self) -> bool:
        return self.peers >= MIN_PEERS and self.mean is not None

    @property
    def peers_display(self) -> str:
        """How many peers; below the minimum only "fewer than 3", which says nothing more."""
        return str(self.peers) if self.peers >= MIN_PEERS else f"fewer than {MIN_PEERS}"

    @property
    def own_display(self) -> str:
        return scoring.format_figure(self.own)

    @property
    def mean_display(self) -> str:
        return scoring.format_figure(self.mean) if self.enough else "not enough peers"

    @property
    def standing(self) -> str:
        """ "above", "below" or "in line with" the peers' mean (better or worse by the measure)."""
        if not self.enough or self.own is None:
            return ""
        difference = scoring.round_figure(self.own - self.mean)
        if difference == 0:
            return "in line with"
        return "above" if difference > 0 else "below"

    @property
    def difference_display(self) -> str:
        if not self.enough or self.own is None:
            return scoring.NO_FIGURE
        difference = float(Fraction(self.own) - Fraction(self.mean))
        text = scoring.format_figure(abs(difference))
        return text if float(text) == 0 else ("+" if difference > 0 else "−") + text

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "measure": self.measure,
            "own": self.own_display,
            "peers": self.peers_display,
            "mean": self.mean_display,
            "difference": self.difference_display,
        }


@dataclass(frozen=True)
class PeerStanding:
    rows: list[PeerRow]
    peers: int  # organisations with a final assessment in the portfolio, this one excluded

    @property
    def enough(self) -> bool:
        return any(r.enough for r in self.rows)


def area_indexes(figures: AssessmentFigures) -> dict[str, float | None]:
    """The SAMR index of each area's processes in an assessment, by area key."""
    by_area = defaultdict(list)
    for p in figures.processes:
        by_area[p.process.area].append(
            scoring.ProcessFigures(
                key=str(p.process.pk),
                name=p.process.name,
                business_value=p.process.business_value,
                current=p.current,
            )
        )
    return {area: scoring.samr_index(rows) for area, rows in by_area.items()}


def peer_standing(*, organization, figures: AssessmentFigures, user) -> PeerStanding:
    """Where `organization` (by `figures`) stands among the other organisations of `user`
    (demo ones for a demo organisation, real ones otherwise): per area of its processes, then
    overall over the peers sharing one of its areas."""
    peer_ids = []
    if user is not None:
        peer_ids = list(
            Membership.objects.filter(user=user, organization__is_demo=organization.is_demo)
            .exclude(organization=organization)
            .values_list("organization_id", flat=True)
        )
    latest = {}
    for assessment in (
        Assessment.objects.finals().filter(organization__in=peer_ids).select_related("framework")
    ):
        latest.setdefault(assessment.organization_id, assessment)
    peer_figures = [assessment_figures(a) for a in latest.values()]
    own_areas = area_indexes(figures)
    peer_areas = [area_indexes(f) for f in peer_figures]
    names = {a.key: a.name for a in figures.assessment.framework.definition.areas}
    rows = []
    for area, own in sorted(own_areas.items(), key=lambda item: names.get(item[0], item[0])):
        values = [p[area] for p in peer_areas if p.get(area) is not None]
        rows.append(
            PeerRow(
                f"area:{area}", names.get(area, area), "SAMR index", own, len(values), _mean(values)
            )
        )
    sharing = [f for f, a in zip(peer_figures, peer_areas, strict=True) if set(a) & set(own_areas)]
    for attribute, name, lower_is_better in (
        ("samr_index", "SAMR index", False),
        ("overall_readiness", "Overall readiness", False),
        ("convergence_gap", "IT/OT convergence gap", True),
    ):
        values = [getattr(f, attribute) for f in sharing if getattr(f, attribute) is not None]
        rows.append(
            PeerRow(
                f"all:{attribute}",
                "All areas",
                name,
                getattr(figures, attribute),
                len(values),
                _mean(values),
                lower_is_better,
            )
        )
    return PeerStanding(rows=rows, peers=len(latest))


def _mean(values) -> float | None:
    if not values:
        return None
    return float(sum(map(Fraction, values), Fraction(0)) / len(values))
