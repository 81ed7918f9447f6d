"""Demo processes and assessments: a final baseline from last quarter and a current draft.

Two assessors answer the draft and disagree on a few answers, so the agreement page has work.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from assessments.demo_data import (
    DEMO_CRITERIA,
    DEMO_LINKS,
    IMPROVED,
    PROCESSES,
    READINESS,
    ROADMAP_PROGRESS,
    ROADMAP_TITLE,
    SECOND_ASSESSOR,
)
from assessments.models import (
    Assessment,
    CriterionAnswer,
    Milestone,
    Process,
    ReadinessAnswer,
)
from assessments.services import assessment_create
from integration.models import Integration


@transaction.atomic
def demo_assessments_create(orgs: dict[str, Organization]) -> None:
    """Processes, a final baseline and a current draft per demo organisation; safe to rerun."""
    for slug, org in orgs.items():
        owner = User.objects.get(email=f"coo@{slug}.example")
        processes = _processes(org, slug)
        _link_integrations(org, processes)
        today = timezone.localdate()
        if not Assessment.objects.filter(organization=org, title="Baseline, last quarter").exists():
            baseline = assessment_create(
                organization=org,
                user=owner,
                title="Baseline, last quarter",
                processes=processes,
                assessed_on=today - timedelta(days=95),
            )
            _answer(baseline, owner, slug, stage=0)
            baseline.finalize()
        if not Assessment.objects.filter(organization=org, title="Current assessment").exists():
            draft = assessment_create(
                organization=org,
                user=owner,
                title="Current assessment",
                processes=processes,
                assessed_on=today - timedelta(days=3),
            )
            _answer(draft, owner, slug, stage=1)
            _answer(
                draft, User.objects.get(email=SECOND_ASSESSOR[slug]), slug, stage=1, dissent=True
            )


def _link_integrations(org, processes):
    """Link the demo integrations to the processes they serve (assessments.demo_data.DEMO_LINKS)."""
    by_name = {p.name: p for p in processes}
    for integration in Integration.objects.filter(organization=org, name__in=DEMO_LINKS):
        for name in DEMO_LINKS[integration.name]:
            if name in by_name:
                by_name[name].integrations.add(integration)


def _processes(org, slug):
    processes = []
    for name, area, site, owner, value, _levels in PROCESSES[slug]:
        process, _ = Process.objects.update_or_create(
            organization=org,
            name=name,
            defaults={
                "area": area,
                "site": org.sites.filter(name=site).first(),
                "owner": User.objects.filter(email=owner).first(),
                "business_value": value,
                "description": f"{name} at {site or org.name}.",
            },
        )
        processes.append(process)
    return processes


def criterion_statuses(framework, area, level):
    """(step, index, criterion, status) for every criterion of steps 1 to 4 of a process at
    `level`: the steps below it fully met, its own largely, the next partially, the rest not."""
    for step in (1, 2, 3, 4):
        for i, criterion in enumerate(framework.criteria_for(area, step)):
            status = (
                "fully"
                if step < level
                else "largely"
                if step == level
                else "partial"
                if step == level + 1
                else "not"
            )
            yield step, i, criterion, status


def _answer(assessment, assessor, slug, *, stage, dissent=False):
    framework = assessment.framework.definition
    levels = {name: spec for name, *_, spec in PROCESSES[slug]}
    answers = []
    for score in assessment.process_scores.select_related("process"):
        level = levels[score.process.name][stage]
        score.target_level = levels[score.process.name][2]
        score.rationale = "Walked through on site with the process owner."
        score.save()
        for step, i, criterion, status in criterion_statuses(framework, score.process.area, level):
            # The second assessor rates the first criterion of the next level higher.
            if dissent and step == level + 1 and i == 0:
                status = "largely"
            answers.append(
                CriterionAnswer(
                    process_score=score,
                    criterion_key=criterion.key,
                    assessor=assessor,
                    status=status,
                )
            )
    CriterionAnswer.objects.bulk_create(answers, ignore_conflicts=True)
    readiness = []
    for dimension in framework.dimensions:
        it, ot = READINESS[slug][dimension.key]
        if stage and dimension.key in IMPROVED:
            ot += 1
        for i, question in enumerate(dimension.questions):
            for side, value in (("it", it), ("ot", ot)):
                if dissent and side == "ot" and i == 0:
                    value = max(value - 1, 0)
                readiness.append(
                    ReadinessAnswer(
                        assessment=assessment,
                        question_key=question.key,
                        side=side,
                        assessor=assessor,
                        value=min(value, 4),
                    )
                )
    ReadinessAnswer.objects.bulk_create(readiness, ignore_conflicts=True)


@transaction.atomic
def demo_roadmaps_create(orgs: dict[str, Organization]) -> None:
    """A roadmap per demo organisation from its current assessment, started 75 days ago, with
    milestones in every status, owners, due dates, comments and some overdue, and acceptance
    criteria on the demo integrations, checked at once; safe to rerun."""
    from assessments.roadmaps.editing import (
        milestone_comment_add,
        milestone_status_set,
        milestone_update,
    )
    from assessments.roadmaps.generate import roadmap_generate

    today = timezone.localdate()
    start = today - timedelta(days=75)
    for slug, org in orgs.items():
        if org.roadmaps.filter(title=ROADMAP_TITLE).exists():
            _criteria(org, slug)  # the integrations may have come since
            continue
        owner = User.objects.get(email=f"coo@{slug}.example")
        assessment = Assessment.objects.get(organization=org, title="Current assessment")
        roadmap = roadmap_generate(
            assessment=assessment,
            user=owner,
            start_date=start,
            capacity=4,
            title=ROADMAP_TITLE,
            now=_moment(start),
        )
        helper = User.objects.get(email=SECOND_ASSESSOR[slug])
        milestones = list(roadmap.milestones.select_related("process__owner").in_plan_order())
        for i, milestone in enumerate(milestones):
            person = (milestone.process.owner if milestone.process else None) or (
                owner if i % 2 == 0 else helper
            )
            changes = {"owner": person}
            if i in (3, 4):  # under way and late
                changes["due_date"] = today - timedelta(days=4 + 3 * i)
            milestone_update(
                milestone=milestone, user=owner, changes=changes, now=_moment(start, 2)
            )
            if i >= len(ROADMAP_PROGRESS):
                continue
            status, days, comment = ROADMAP_PROGRESS[i]
            milestone_status_set(
                milestone=milestone, user=person, status=status, now=_moment(start, days)
            )
            if comment:
                milestone_comment_add(
                    milestone=milestone, user=person, text=comment, now=_moment(start, days, 1)
                )
        _criteria(org, slug)


def _criteria(org, slug):
    from assessments.roadmaps.acceptance import criterion_add, criterion_check
    from integration.models import Integration

    roadmap = org.roadmaps.get(title=ROADMAP_TITLE)
    owner = User.objects.get(email=f"coo@{slug}.example")
    integrations = {i.name: i for i in Integration.objects.filter(organization=org)}
    now = timezone.now()
    for process, name, fields in DEMO_CRITERIA.get(slug, []):
        integration = integrations.get(name)
        milestone = (
            roadmap.milestones.active()
            .filter(kind=Milestone.Kind.STEP, process__name=process)
            .order_by("to_level")
            .first()
        )
        if integration is None or milestone is None:
            continue
        if milestone.criteria.filter(integration=integration, kind=fields["kind"]).exists():
            continue
        criterion = criterion_add(
            milestone=milestone, user=owner, integration=integration, now=now, **fields
        )
        criterion_check(criterion=criterion, now=now)


def _moment(day, days=0, hours=0):
    from datetime import datetime, time

    start = timezone.make_aware(datetime.combine(day, time(9, 30)))
    return start + timedelta(days=days, hours=hours)
