"""The organisation's home page: what needs attention, the next step, the SAMR index over the
final assessments, the setup checklist and the COO's four responsibilities.

`home_snapshot()` reads everything in a fixed number of queries, however many assessments,
integrations or milestones there are; the functions below it are pure and work on that snapshot.
Each kind of "needs attention" entry is one function in `assessments.attention`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, Exists, OuterRef, Q, Window
from django.urls import reverse
from django.utils import timezone

from accounts.access import windowed
from accounts.models import Invitation, Membership, Organization, Role
from assessments.attention import (
    MAX_PER_KIND,
    Attention,
    Some,
    counted,
    integrations_down,
    needs_attention,
)
from assessments.charts.plotly.trend import IndexPoint, samr_trend
from assessments.figures import AssessmentFigures, figures_of
from assessments.framework.loading import default_framework
from assessments.models import Assessment, Milestone, Process, Report, VerifiedLevelSeen
from assessments.verified.status import AssessmentVerification, assessment_verification
from integration.health import Status
from integration.models import Integration
from integration.services.health import health_figures_list

# What each of the shipped framework's responsibilities asks of the COO, under its name.
RESPONSIBILITY_HINTS = {
    "align-goals": "set objectives and expectations",
    "foster-collaboration": "break down silos between IT and OT teams",
    "lead-change": "smooth transitions and reskilling",
    "ensure-security": "work with the CISO on OT security",
}


@dataclass
class Snapshot:
    """What the home page reads of one organisation, loaded once."""

    org: Organization
    membership: Membership
    now: datetime
    assessments: list[Assessment]  # newest first
    finals: list[Assessment]  # the finals that stand, oldest first
    figures: dict[int, AssessmentFigures]  # of the latest, the open ones and the finals
    has_integrations: bool
    # The first down and flapping (not down) integrations by name, and how many in all.
    down: Some  # of (Integration, HealthFigures)
    flapping: Some
    overdue: list[Milestone]  # oldest due date first
    verification: AssessmentVerification | None  # of the latest assessment
    sites: list
    has_processes: bool
    members: int
    has_ready_report: bool
    milestone_counts: dict[str, tuple[int, int]]  # responsibility key -> (done, total)
    has_milestones: bool = False
    has_invitations: bool = False  # an invitation not accepted yet
    dropped: list = field(default_factory=list)  # VerifiedLevelSeen marked dropped, open ones

    @property
    def has_sites(self) -> bool:
        return bool(self.sites)

    @property
    def today(self) -> date:
        return timezone.localdate(self.now)

    @property
    def latest(self) -> Assessment | None:
        return self.assessments[0] if self.assessments else None

    @property
    def open_assessments(self) -> list[Assessment]:
        return [a for a in self.assessments if not a.is_final]

    def url(self, name: str, *args) -> str:
        return reverse(name, args=[self.org.slug, *args])


def home_snapshot(*, org: Organization, membership: Membership, now: datetime) -> Snapshot:
    """Everything the home page shows, in a fixed number of queries (whatever the counts)."""
    today = timezone.localdate(now)
    flags = (
        Organization.objects.filter(pk=org.pk)
        .annotate(
            has_processes=Exists(
                Process.objects.filter(organization=OuterRef("pk"), archived=False)
            ),
            has_ready_report=Exists(
                Report.objects.filter(organization=OuterRef("pk"), state=Report.State.READY)
            ),
            members=Count("memberships", distinct=True),
            has_invitations=Exists(
                Invitation.objects.filter(organization=OuterRef("pk"), accepted=None)
            ),
            has_integrations=Exists(Integration.objects.filter(organization=OuterRef("pk"))),
        )
        .values(
            "has_processes", "has_ready_report", "members", "has_invitations", "has_integrations"
        )
        .get()
    )
    sites = list(org.sites.all())
    stands = Assessment.objects.finals().filter(pk=OuterRef("pk"))
    assessments = windowed(membership, org.assessments.all())  # an auditor's: the window's
    assessments = list(assessments.select_related("framework").annotate(stands=Exists(stands)))
    _share_frameworks(assessments)
    finals = sorted((a for a in assessments if a.stands), key=lambda a: (a.assessed_on, a.created))
    latest = assessments[0] if assessments else None
    wanted = {a.pk: a for a in [*assessments[:1], *(a for a in assessments if not a.is_final)]}
    wanted.update({a.pk: a for a in finals})
    figures = figures_of(wanted.values())
    verification = None
    if latest is not None and figures[latest.pk].processes:
        verification = assessment_verification(figures[latest.pk], now=now, history=False)
    down = flapping = Some(total=0)
    if flags["has_integrations"]:
        down, flapping = _integrations_attention(org, now)
    milestones = Milestone.objects.active().filter(roadmap__organization=org)
    overdue = list(
        milestones.filter(due_date__lt=today)
        .exclude(status=Milestone.Status.DONE)
        .select_related("roadmap")
        .order_by("due_date", "position", "pk")
    )
    counts = milestones.values_list("responsibility").annotate(
        done=Count("pk", filter=Q(status=Milestone.Status.DONE)), total=Count("pk")
    )
    milestone_counts = {key: (done, total) for key, done, total in counts.order_by()}
    dropped = list(
        VerifiedLevelSeen.objects.filter(
            dropped=True,
            process_score__assessment__in=[a for a in assessments if not a.is_final],
        )
        .select_related("process_score__process", "process_score__assessment")
        .order_by("changed", "pk")
    )
    return Snapshot(
        org=org,
        membership=membership,
        now=now,
        assessments=assessments,
        finals=finals,
        figures=figures,
        down=down,
        flapping=flapping,
        overdue=overdue,
        verification=verification,
        sites=sites,
        milestone_counts=milestone_counts,
        has_milestones=bool(milestone_counts),
        dropped=dropped,
        **flags,
    )


def _integrations_attention(org, now) -> tuple[Some, Some]:
    """The first `MAX_PER_KIND` down and flapping (not down) integrations with their health,
    and how many of each: three queries however many integrations (the database decides)."""
    every = Integration.objects.filter(organization=org)
    kinds = [
        every.with_status(now=now).filter(status_now=Status.DOWN),
        every.flapping(now=now).exclude(status_now=Status.DOWN),
    ]
    firsts = []
    for kind in kinds:  # the total on every row: one query each
        firsts.append(
            list(kind.annotate(total=Window(Count("pk"))).order_by("name", "pk")[:MAX_PER_KIND])
        )
    health = health_figures_list(
        integrations=[i for first in firsts for i in first], now=now, with_uptime=False
    )
    return tuple(
        Some([(i, health[i.pk]) for i in first], total=first[0].total if first else 0)
        for first in firsts
    )


def _share_frameworks(assessments) -> None:
    # One FrameworkVersion instance per version, so its definition is parsed once, not per row.
    shared = {}
    for a in assessments:
        a.framework = shared.setdefault(a.framework_id, a.framework)


# --- Needs attention ---------------------------------------------------------------------------


# --- The next step -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NextStep:
    text: str  # may hold a title: user text
    url: str


def next_step(s: Snapshot, checklist: list[SetupStep]) -> NextStep:
    """The one thing to do next, by the first rule that applies: set up, settle the open
    assessment's disputes, finish scoring it, finalize it, connect data, report, repair, plan."""
    if not (s.has_processes and s.assessments):
        step = next(step for step in checklist if not step.done)
        return NextStep(step.action, step.url)
    if s.open_assessments:
        a = s.open_assessments[0]
        f = s.figures[a.pk]
        if f.disputed:
            n = len(f.disputed)
            page = "agreement" if s.membership.can_facilitate else "detail"
            return NextStep(
                f"Settle {counted(n, 'disputed answer')} in “{a.title}”",
                s.url(f"assessments:assessment-{page}", a.pk),
            )
        if f.settled < f.total:
            return NextStep(
                f"Finish scoring “{a.title}”: {counted(f.total - f.settled, 'answer')} open",
                s.url("assessments:assessment-detail", a.pk),
            )
        return NextStep(
            f"Finalize “{a.title}”: every answer is settled",
            s.url("assessments:assessment-finalize", a.pk),
        )
    if not s.has_integrations:
        return NextStep("Connect your first integration", s.url("integration:integration-create"))
    if s.finals and not s.has_ready_report:
        return NextStep("Ask for the first report", s.url("assessments:report-list"))
    down = integrations_down(s)
    if down:
        return NextStep(f"Bring “{down[0].subject}” back up", down[0].url)
    if s.overdue:
        return NextStep(
            f"Catch up on {counted(len(s.overdue), 'overdue milestone')}",
            s.url("assessments:roadmap-list"),
        )
    if s.finals and not s.has_milestones:
        return NextStep(
            "Plan a roadmap from the final assessment", s.url("assessments:roadmap-create")
        )
    return NextStep("Start the next assessment", s.url("assessments:assessment-create"))


# --- Setting up a new organisation -------------------------------------------------------------


@dataclass(frozen=True)
class SetupStep:
    name: str
    action: str  # what to do, as a link
    url: str
    done: bool


def setup_checklist(s: Snapshot) -> list[SetupStep]:
    """Sites, processes, team, assessment, integration, first report: each ticked when done."""
    consultant = s.membership.role == Role.CONSULTANT
    return [
        SetupStep(
            "Sites",
            "Add your plants, stores and warehouses",
            # Settings are the owners'; a consultant adds sites from the suggestions page.
            s.url("assessments:starter" if consultant else "accounts:settings"),
            s.has_sites,
        ),
        SetupStep(
            "Processes",
            "List your business processes",
            # Owners and consultants start from the industry's typical processes.
            s.url(
                "assessments:starter" if s.membership.can_facilitate else "assessments:processes"
            ),
            s.has_processes,
        ),
        SetupStep(
            "Team",
            "Invite your team",
            s.url("accounts:members"),
            s.members > 1 or s.has_invitations,
        ),
        SetupStep(
            "Assessment",
            "Start your first assessment",
            s.url("assessments:assessment-create"),
            bool(s.assessments),
        ),
        SetupStep(
            "Integration",
            "Connect your first integration",
            s.url("integration:integration-create"),
            s.has_integrations,
        ),
        SetupStep(
            "First report",
            "Ask for the first report",
            s.url("assessments:report-list"),
            s.has_ready_report,
        ),
    ]


def needs_setup(s: Snapshot) -> bool:
    """A new organisation: no processes or no assessment yet."""
    return not (s.has_processes and s.assessments)


# --- The SAMR index over time and the COO's responsibilities -----------------------------------


def index_points(s: Snapshot) -> list[IndexPoint]:
    """The SAMR index of each final assessment that stands, oldest first (finals only)."""
    return [IndexPoint(a.title, a.assessed_on, s.figures[a.pk].samr_index) for a in s.finals]


@dataclass(frozen=True)
class ResponsibilityProgress:
    key: str
    name: str
    hint: str
    done: int
    total: int

    @property
    def share(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def responsibilities(s: Snapshot) -> list[ResponsibilityProgress]:
    """Each COO responsibility of the framework with its milestones done, from the roadmaps."""
    framework = s.latest.framework.definition if s.latest else default_framework()
    return [
        ResponsibilityProgress(
            r.key,
            r.name,
            RESPONSIBILITY_HINTS.get(r.key, ""),
            *s.milestone_counts.get(r.key, (0, 0)),
        )
        for r in framework.responsibilities
    ]


# --- The page ----------------------------------------------------------------------------------


@dataclass
class Home:
    snapshot: Snapshot
    attention: list[Attention]
    next_step: NextStep
    checklist: list[SetupStep] | None  # only while the organisation is being set up
    trend: list[IndexPoint]
    trend_chart: dict | None  # from two scored finals on
    responsibilities: list[ResponsibilityProgress] = field(default_factory=list)


def home(*, org: Organization, membership: Membership, now: datetime) -> Home:
    """The home page's content for one organisation at `now`."""
    s = home_snapshot(org=org, membership=membership, now=now)
    checklist = setup_checklist(s)
    trend = index_points(s)
    scored = [p for p in trend if p.samr_index is not None]
    return Home(
        snapshot=s,
        attention=needs_attention(s),
        next_step=next_step(s, checklist),
        checklist=checklist if needs_setup(s) else None,
        trend=trend,
        trend_chart=samr_trend(trend) if len(scored) >= 2 else None,
        responsibilities=responsibilities(s),
    )
