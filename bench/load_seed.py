"""bench/load.py's data: the demo plus bigger organisations ("Globex 1", ...), and the map of
every organisation's pages, the people who browse them and the ingest tokens."""

from __future__ import annotations

import os
import random
from datetime import timedelta


def prepare(args) -> dict:
    from django.core.management import call_command
    from django.utils import timezone

    from integration.services import telemetry_retention_apply

    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    rng = random.Random(args.seed)
    for k in range(1, args.orgs + 1):
        big_org_create(k, args.processes, rng)
    telemetry_retention_apply(now=timezone.now())
    return site_map(args)


AREAS = ["manufacturing", "logistics", "energy", "finance", "retail"]


def big_org_create(k: int, processes: int, rng: random.Random):
    """An organisation of `processes` processes, 8 integrations, two assessments, a roadmap."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.demo import DEMO_PASSWORD
    from accounts.models import Membership, Organization, Role, Site, User
    from assessments.models import CriterionAnswer, Process, ReadinessAnswer
    from assessments.roadmaps.editing import milestone_status_set, milestone_update
    from assessments.roadmaps.generate import roadmap_generate
    from assessments.services import assessment_create
    from integration.services import integration_create

    slug = f"globex-{k}"
    today = timezone.localdate()
    password = make_password(DEMO_PASSWORD)
    with transaction.atomic():
        org = Organization.objects.create(name=f"Globex {k}", slug=slug, brand_colour="#334155")
        sites = [
            Site.objects.create(organization=org, name=f"Site {j}", location="Manchester, UK")
            for j in range(1, 5)
        ]
        people = []
        for name, role in [("owner", Role.OWNER)] + [(f"member{j}", Role.MEMBER) for j in (1, 2)]:
            user = User.objects.create(
                email=f"{name}@{slug}.example", first_name=name.title(), last_name=f"Globex {k}"
            )
            user.password = password
            user.save(update_fields=["password"])
            Membership.objects.create(user=user, organization=org, role=role)
            people.append(user)
        owner = people[0]
        integrations = [
            integration_create(organization=org, name=f"Line {j} telemetry", interval_seconds=60)[0]
            for j in range(1, 9)
        ]
        procs, levels = [], {}
        for i in range(processes):
            area = AREAS[i % len(AREAS)]
            process = Process.objects.create(
                organization=org,
                name=f"{area.title()} process {i + 1:02d}",
                area=area,
                site=rng.choice(sites + [None]),
                owner=rng.choice(people),
                business_value=rng.randint(1, 5),
            )
            process.integrations.add(*rng.sample(integrations, rng.randint(0, 2)))
            base = rng.randint(0, 3)
            now = min(base + rng.randint(0, 1), 4)
            levels[process.pk] = (base, now, min(now + rng.randint(1, 2), 4))
            procs.append(process)
        baseline = assessment_create(
            organization=org,
            user=owner,
            title="Baseline, last quarter",
            processes=procs,
            assessed_on=today - timedelta(days=95),
        )
        answers, readiness = [], []
        _answers(baseline, owner, levels, 0, rng, answers, readiness)
        CriterionAnswer.objects.bulk_create(answers)
        ReadinessAnswer.objects.bulk_create(readiness)
        baseline.finalize()
        current = assessment_create(
            organization=org,
            user=owner,
            title="Current assessment",
            processes=procs,
            assessed_on=today - timedelta(days=3),
        )
        answers, readiness = [], []
        _answers(current, owner, levels, 1, rng, answers, readiness)
        _answers(current, people[1], levels, 1, rng, answers, readiness, dissent=0.1)
        CriterionAnswer.objects.bulk_create(answers)
        ReadinessAnswer.objects.bulk_create(readiness)
    roadmap = roadmap_generate(
        assessment=current,
        user=owner,
        start_date=today - timedelta(days=60),
        capacity=6,
        title="Integration roadmap",
    )
    milestones = list(roadmap.milestones.in_plan_order())
    statuses = ["done", "done", "in_progress", "blocked"]
    for i, milestone in enumerate(milestones[: len(milestones) // 3]):
        milestone_update(
            milestone=milestone, user=owner, changes={"owner": people[i % len(people)]}
        )
        milestone_status_set(milestone=milestone, user=owner, status=statuses[i % 4])


def _answers(assessment, assessor, levels, stage, rng, answers, readiness, dissent=0.0):
    from assessments.demo import criterion_statuses
    from assessments.models import CriterionAnswer, ReadinessAnswer

    framework = assessment.framework.definition
    for score in assessment.process_scores.select_related("process"):
        level = levels[score.process_id][stage]
        if stage:
            score.target_level = levels[score.process_id][2]
            score.rationale = "Walked through on site with the process owner."
            score.save(update_fields=["target_level", "rationale"])
        for _step, _i, criterion, status in criterion_statuses(
            framework, score.process.area, level
        ):
            if rng.random() < dissent:
                status = rng.choice(["not", "partial", "largely", "fully"])
            answers.append(
                CriterionAnswer(
                    process_score=score,
                    criterion_key=criterion.key,
                    assessor=assessor,
                    status=status,
                )
            )
    for dimension in framework.dimensions:
        it, ot = rng.randint(1, 4), rng.randint(0, 3)
        for question in dimension.questions:
            for side, value in (("it", it), ("ot", ot)):
                if rng.random() < dissent:
                    value = max(value - 1, 0)
                readiness.append(
                    ReadinessAnswer(
                        assessment=assessment,
                        question_key=question.key,
                        side=side,
                        assessor=assessor,
                        value=value,
                    )
                )


def site_map(args) -> dict:
    """Every organisation's pages by kind, the people who browse them, the ingest tokens."""
    from django.urls import reverse

    from accounts.models import Membership, Organization
    from assessments.models import Assessment, Roadmap
    from integration.demo_specs import DEAD, DEMO_INTEGRATIONS
    from integration.models import IngestToken, Integration

    pages = {}
    for org in Organization.objects.order_by("pk"):
        s = org.slug
        assessments = list(Assessment.objects.filter(organization=org).order_by("pk"))
        dimensions = [d.key for d in assessments[0].framework.definition.dimensions]
        pages[s] = {
            "overview": [reverse("org-home", args=[s])],
            "dashboard": [
                reverse("assessments:assessment-dashboard", args=[s, a.pk]) for a in assessments
            ],
            "process": [
                reverse("assessments:process-score", args=[s, a.pk, score.pk])
                for a in assessments
                for score in a.process_scores.all()
            ],
            "readiness": [
                reverse("assessments:readiness", args=[s, a.pk, key])
                for a in assessments
                for key in dimensions
            ],
            "board": [
                reverse("assessments:roadmap-board", args=[s, r.pk])
                for r in Roadmap.objects.filter(organization=org)
            ],
            "integrations": [reverse("integration:integration-list", args=[s])],
            "integration": [
                reverse("integration:integration-detail", args=[s, i.pk])
                for i in Integration.objects.filter(organization=org)
            ],
        }
    people = {}
    for m in Membership.objects.select_related("user", "organization").order_by("pk"):
        people.setdefault(m.user.email, []).append(m.organization.slug)
    dead = {spec.name for spec in DEMO_INTEGRATIONS if spec.behaviour == DEAD}
    by_org = {}
    for i in Integration.objects.exclude(name__in=dead).order_by("organization_id", "name"):
        by_org.setdefault(i.organization_id, []).append(i)
    chosen = []
    while len(chosen) < args.integrations and any(by_org.values()):
        for pool in by_org.values():
            if pool and len(chosen) < args.integrations:
                chosen.append(pool.pop(0))
    tokens = [] if args.profile else [IngestToken.objects.issue(integration=i)[1] for i in chosen]
    counts = {
        org.slug: f"{org.processes.count()} processes"
        for org in Organization.objects.order_by("pk")
    }
    return {
        "pages": pages,
        "people": people,
        "tokens": tokens,
        "summary": f"{counts}, {len(people)} people, ingest to {len(tokens)} integrations",
    }
