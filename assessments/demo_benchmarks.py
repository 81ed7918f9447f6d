"""Demo benchmarks: the demo organisations opt in, and nine more organisations with no demo
member (eight in manufacturing) each have a final assessment, so the benchmark page has figures
for every demo user (quartiles from 10 strangers up: the COO of Acme has 12), the manufacturing
cut shows, and so does the verified view (their finals
record verification, with accepted evidence behind some level-1 criteria). Every one is marked
`is_demo`: the demo benchmarks only among themselves and none goes into a pool export."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Industry, Membership, Organization, Role, User
from accounts.services import benchmark_opt_in_set
from assessments.demo import criterion_statuses
from assessments.figures import assessment_figures
from assessments.models import (
    Assessment,
    CriterionAnswer,
    CriterionEvidence,
    Process,
    ReadinessAnswer,
)
from assessments.services import assessment_create
from assessments.verified.status import freeze_verification

TITLE = "Benchmark baseline"
# (slug, name, industry, level shift, readiness shift, processes with evidence)
PEERS = [
    ("harrow-castings", "Harrow Castings", Industry.MANUFACTURING, 0, 0, 2),
    ("pennine-plastics", "Pennine Plastics", Industry.MANUFACTURING, 1, 1, 3),
    ("calder-machining", "Calder Machining", Industry.MANUFACTURING, 2, 1, 1),
    ("wolds-packaging", "Wolds Packaging", Industry.MANUFACTURING, 0, -1, 0),
    ("trent-valley-metals", "Trent Valley Metals", Industry.MANUFACTURING, 1, 0, 2),
    ("solway-energy", "Solway Energy", Industry.ENERGY, 1, 2, 1),
    ("tees-forge", "Tees Forge", Industry.MANUFACTURING, 2, 2, 2),
    ("mersey-components", "Mersey Components", Industry.MANUFACTURING, 0, 1, 1),
    ("humber-assembly", "Humber Assembly", Industry.MANUFACTURING, 1, -1, 0),
]
# (process name, area, business value, base level)
PEER_PROCESSES = [
    ("Line maintenance", "manufacturing", 5, 1),
    ("Quality inspection", "manufacturing", 4, 2),
    ("Production scheduling", "manufacturing", 3, 0),
    ("Outbound shipping", "logistics", 3, 1),
    ("Month-end close", "finance", 2, 2),
]


@transaction.atomic
def demo_benchmarks_create(orgs: dict[str, Organization], *, now=None) -> None:
    """Opt the demo organisations in and build the peer organisations; safe to rerun."""
    now = now or timezone.now()
    for slug, org in orgs.items():
        owner = User.objects.get(email=f"coo@{slug}.example")
        benchmark_opt_in_set(organization=org, user=owner, opt_in=True)
    for slug, name, industry, shift, readiness, evidenced in PEERS:
        org, _ = Organization.objects.update_or_create(
            slug=slug, defaults={"name": name, "industry": industry, "is_demo": True}
        )
        owner, made = User.objects.get_or_create(email=f"owner@{slug}.example")
        if made:  # nobody logs in as a peer: its figures are the point, not its pages
            owner.set_unusable_password()
            owner.save(update_fields=["password"])
        Membership.objects.get_or_create(user=owner, organization=org, role=Role.OWNER)
        benchmark_opt_in_set(organization=org, user=owner, opt_in=True)
        if not Assessment.objects.filter(organization=org, title=TITLE).exists():
            _peer_assessment(org, owner, shift, readiness, evidenced, now)


def _peer_assessment(org, owner, shift, readiness, evidenced, now):
    processes = [
        Process.objects.get_or_create(
            organization=org, name=name, defaults={"area": area, "business_value": value}
        )[0]
        for name, area, value, _ in PEER_PROCESSES
    ]
    assessment = assessment_create(
        organization=org,
        user=owner,
        title=TITLE,
        processes=processes,
        assessed_on=timezone.localdate(now) - timedelta(days=40),
    )
    framework = assessment.framework.definition
    levels = {name: min(base + shift, 4) for name, _, _, base in PEER_PROCESSES}
    answers = []
    for score in assessment.process_scores.select_related("process"):
        level = levels[score.process.name]
        for _, _, criterion, status in criterion_statuses(framework, score.process.area, level):
            answers.append(
                CriterionAnswer(
                    process_score=score, criterion_key=criterion.key, assessor=owner, status=status
                )
            )
    CriterionAnswer.objects.bulk_create(answers)
    ReadinessAnswer.objects.bulk_create(
        ReadinessAnswer(
            assessment=assessment,
            question_key=question.key,
            side=side,
            assessor=owner,
            value=max(0, min(4, base + readiness + i % 2)),
        )
        for i, dimension in enumerate(framework.dimensions)
        for question in dimension.questions
        for side, base in (("it", 2), ("ot", 1))
    )
    for process in processes[:evidenced]:
        for criterion in framework.criteria_for(process.area, 1):
            CriterionEvidence.objects.create(
                process=process,
                criterion_key=criterion.key,
                description="Walkthrough record.",
                effective=timezone.localdate(now) - timedelta(days=60),
                valid_days=org.evidence_validity_days,
                added_by=owner,
                accepted_by=owner,
                accepted=now - timedelta(days=59),
            )
    assessment.finalize(now=now - timedelta(days=39))
    freeze_verification(assessment_figures(assessment), now=assessment.finalized)
