"""How a process's integrations are doing, asked of `integration` through its service API.

Whether a claimed level is backed by data is verification's question
(`assessments.verified`); here only whether one of a process's integrations is late or down,
which the roadmap's priority reads.

The pages show claimed and verified levels instead (`assessments.verified`); the flag stays for
the process page and the PDF until they show them too. `any_down` still feeds the roadmap's
1.25 for shaky data (`roadmaps.inputs`).

The other way round, `backed_by_integration` tells an integration's page what its data backs
(registered with `integration.backing` in `AssessmentsConfig.ready()`).
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import prefetch_related_objects
from django.urls import reverse

from accounts.models import Site
from assessments.figures import latest_levels
from assessments.models import AcceptanceCriterion, Process
from integration.backing import Backed
from integration.health import Status
from integration.listing import Facet
from integration.models import Integration
from integration.services.health import health_figures_list

# Up to this many processes the integrations list's process filter lists them (a site's or all).
PROCESS_CHOICES = 200


@dataclass
class ProcessEvidence:
    integrations: list = field(default_factory=list)  # (Integration, HealthFigures)

    @property
    def any_down(self) -> bool:
        """One of its integrations is late or down: the roadmap fixes the data (×1.25)."""
        return any(h.status in (Status.DOWN, Status.LATE) for _, h in self.integrations)


def process_evidence(*, processes, now: datetime) -> dict:
    """Process id -> ProcessEvidence: its integrations with their health (two queries)."""
    links = {p.pk: list(p.integrations.all()) for p in _with_integrations(processes)}
    integrations = {i.pk: i for linked in links.values() for i in linked}
    figures = health_figures_list(integrations=integrations.values(), now=now, with_uptime=False)
    return {
        pk: ProcessEvidence(integrations=[(i, figures[i.pk]) for i in linked])
        for pk, linked in links.items()
    }


def _with_integrations(processes):
    processes = list(processes)
    prefetch_related_objects(processes, "integrations")
    return processes


def backed_by_integration(*, integration: Integration) -> list[Backed]:
    """The organisation's active processes linked to `integration`, each with its level in the
    latest assessment that scores it, then the milestones whose acceptance criteria check it
    (seven queries)."""
    org = integration.organization
    processes = list(
        Process.objects.filter(organization=org, integrations=integration.pk, archived=False)
    )
    levels = latest_levels(processes)
    rows = []
    for process in processes:
        level = levels.get(process.pk)
        if level is None:
            url = reverse("assessments:processes", kwargs={"org_slug": org.slug})
            detail = "not scored yet"
        else:
            url = reverse(
                "assessments:process-score",
                kwargs={
                    "org_slug": org.slug,
                    "assessment_id": level.assessment.pk,
                    "score_id": level.score.pk,
                },
            )
            detail = f"level {level.level} {level.name} in {level.assessment.title}"
        rows.append(Backed("Process", process.name, url, detail))
    criteria = AcceptanceCriterion.objects.filter(
        integration=integration.pk,
        milestone__roadmap__organization=org,
        milestone__retired=None,
    ).select_related("milestone__roadmap")
    checks: dict = {}
    for criterion in criteria.order_by("milestone__roadmap__title", "milestone__title", "pk"):
        checks.setdefault(criterion.milestone, []).append(str(criterion))
    for milestone, rules in checks.items():
        url = reverse(
            "assessments:milestone-detail",
            kwargs={"org_slug": org.slug, "milestone_id": milestone.pk},
        )
        detail = f"{milestone.roadmap.title}: {'; '.join(rules)}"
        rows.append(Backed("Milestone", milestone.title, url, detail))
    return rows


def integration_facets(*, organization) -> list[Facet]:
    """The integrations list's filters: by one of the organisation's active processes, and by
    site (the integrations of the site's active processes)."""
    links = Process.integrations.through.objects.filter(process__archived=False)

    def by_process(integrations, process):
        return integrations.filter(pk__in=links.filter(process=process).values("integration_id"))

    def by_site(integrations, site):
        return integrations.filter(pk__in=links.filter(process__site=site).values("integration_id"))

    def offer(chosen):
        return _offered_processes(processes, site=chosen.get("site"))

    processes = Process.objects.filter(organization=organization, archived=False).only("name")
    sites = Site.objects.filter(organization=organization)
    return [
        Facet("process", "Process", "All processes", processes, by_process, offer),
        Facet("site", "Site", "All sites", sites, by_site),
    ]


def _offered_processes(processes, *, site) -> tuple[list, str]:
    """(processes to list, note): the chosen site's, or all; none past `PROCESS_CHOICES`
    (a thousand options made most of the list's cost at breadth), then the note says how."""
    if site is not None:
        processes = processes.filter(site=site)
    found = list(processes[: PROCESS_CHOICES + 1])
    if len(found) <= PROCESS_CHOICES:
        return found, ""
    where = "This site has" if site is not None else "There are"
    return [], (
        f"{where} over {PROCESS_CHOICES} processes, too many to list: "
        + ("choose a site and Filter to list its processes, or " if site is None else "")
        + "use a process's “In the integrations list” link on the Processes page."
    )
