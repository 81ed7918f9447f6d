"""The pages bench/load.py browses: a fixed number of queries whatever the assessment's or the
roadmap's size, and no row read again for every answer or card."""

from datetime import date

import pytest
from django.urls import reverse

from assessments.figures import assessment_figures
from assessments.models import AcceptanceCriterion, Milestone
from assessments.roadmaps.generate import roadmap_generate
from assessments.roadmaps.reading import board_milestones
from integration.models import Integration
from tests.assessments.conftest import (
    answer_dimension,
    answer_levels,
    make_assessment,
    make_process,
)
from tests.conftest import client_for


@pytest.fixture
def small_and_big(org, framework, owner, member):
    """Two assessments answered by two assessors: one process, and seven."""
    small = make_assessment(org, framework, [make_process(org, "P0")], title="Small")
    big = make_assessment(
        org,
        framework,
        [make_process(org, f"P{i}", area=("logistics", "energy")[i % 2]) for i in range(1, 8)],
        title="Big",
    )
    for assessment in (small, big):
        for score in assessment.process_scores.all():
            answer_levels(score, owner, {1: "fully", 2: "partial"})
            answer_levels(score, member, {1: "largely", 2: "fully"})
        answer_dimension(assessment, owner, "connectivity", it=3, ot=1)
        answer_dimension(assessment, member, "connectivity", it=2, ot=2)
    return small, big


def page_urls(assessment) -> dict[str, str]:
    args = [assessment.organization.slug, assessment.pk]
    score = assessment.process_scores.order_by("pk").last()
    return {
        "dashboard": reverse("assessments:assessment-dashboard", args=args),
        "process": reverse("assessments:process-score", args=[*args, score.pk]),
        "readiness": reverse("assessments:readiness", args=[*args, "connectivity"]),
    }


# Session, user, membership, the object(s) the page is about, six for the figures, the page's
# own (the viewer's answers, the processes' integrations and their status changes; on the
# dashboard the verification instead: checks, evidence, accepted N/A), the org switcher; the
# scoring pages one more for the way through the assessment (the assessor's answers on the
# other pages). The process page reads verification instead of the integrations' status:
# checks, evidence, N/A acceptances, what facilitators did to them (the audit trail), and for a
# facilitator the organisation's integrations and their metrics for the binding forms.
MOST = {"dashboard": 14, "process": 18, "readiness": 13}
WITH_CHECKS = 21  # with integrations (and metrics), the checks' bindings and history


@pytest.mark.parametrize("page", MOST)
def test_figure_pages_take_a_fixed_number_of_queries(
    small_and_big, owner, page, django_assert_max_num_queries
):
    client = client_for(owner)
    client.get(page_urls(small_and_big[0])[page])  # stores the organisation in the session
    for assessment in small_and_big:
        url = page_urls(assessment)[page]
        with django_assert_max_num_queries(MOST[page]):
            assert client.get(url).status_code == 200


@pytest.mark.parametrize("page", MOST)
def test_figure_pages_do_not_read_a_user_per_answer(
    small_and_big, owner, page, django_assert_max_num_queries
):
    client = client_for(owner)
    url = page_urls(small_and_big[1])[page]
    client.get(url)
    with django_assert_max_num_queries(MOST[page]) as captured:
        client.get(url)
    answers = [
        q["sql"]
        for q in captured.captured_queries
        if 'FROM "assessments_criterionanswer"' in q["sql"]
        or 'FROM "assessments_readinessanswer"' in q["sql"]
    ]
    assert answers
    assert not [sql for sql in answers if '"accounts_user"' in sql]


def test_the_board_reads_its_roadmap_and_framework_once_not_per_card(
    org, framework, owner, member, django_assert_max_num_queries
):
    processes = [make_process(org, f"Big {i}", area="retail", value=3) for i in range(5)]
    assessment = make_assessment(org, framework, processes)
    assessment.process_scores.update(target_level=4)
    roadmap = roadmap_generate(
        assessment=assessment, user=owner, start_date=date(2026, 1, 1), capacity=3
    )
    integration = Integration.objects.create(organization=org, name="Line sensors")
    AcceptanceCriterion.objects.bulk_create(
        AcceptanceCriterion(milestone=m, integration=integration, kind="freshness", threshold=60)
        for m in Milestone.objects.all()
    )
    url = reverse("assessments:roadmap-board", args=[org.slug, roadmap.pk])
    client = client_for(member)
    client.get(url)
    with django_assert_max_num_queries(7) as captured:
        html = client.get(url).content.decode()
    assert html.count('id="card-') == roadmap.milestones.count() == 20
    sql = [q["sql"] for q in captured.captured_queries]
    assert sum('"assessments_frameworkversion"."data"' in s for s in sql) == 1
    assert sum('"assessments_roadmap"."baseline"' in s for s in sql) == 1


def test_cards_of_one_roadmap_share_its_framework_on_my_milestones_too(org, framework, owner):
    processes = [make_process(org, f"Big {i}", area="retail", value=3) for i in range(3)]
    assessment = make_assessment(org, framework, processes)
    assessment.process_scores.update(target_level=4)
    roadmap_generate(assessment=assessment, user=owner, start_date=date(2026, 1, 1), capacity=3)
    cards = board_milestones(Milestone.objects.all())  # as "My milestones" asks
    assert len(cards) > 5
    assert len({id(card.roadmap) for card in cards}) == 1
    assert len({id(card.roadmap.framework) for card in cards}) == 1


def test_figures_bring_each_answers_assessor_unless_told_not_to(
    small_and_big, owner, member, django_assert_num_queries
):
    """Exports, the agreement page and the report name the assessors: no query per answer."""
    figures = assessment_figures(small_and_big[1])
    with django_assert_num_queries(0):
        emails = {
            a.assessor.email for p in figures.processes for c in p.criteria for a in c.answers
        }
    assert emails == {owner.email, member.email}


def test_the_process_page_reads_checks_and_evidence_in_a_fixed_number_of_queries(
    small_and_big, owner, django_assert_max_num_queries
):
    """Bound checks with history and evidence on every process: still a fixed number."""
    from django.utils import timezone

    import audit.trail as audit
    from assessments.audit_areas import AuditArea
    from assessments.models.verification import (
        CheckBinding,
        CheckResult,
        CriterionEvidence,
        ProcessCheck,
    )

    big = small_and_big[1]
    framework = big.framework.definition
    now = timezone.now()
    for n, score in enumerate(big.process_scores.select_related("process")):
        integration = Integration.objects.create(organization=big.organization, name=f"I{n}")
        criteria = [
            c for level in (1, 2, 3) for c in framework.criteria_for(score.process.area, level)
        ]
        for check in [check for c in criteria for check in c.checks]:
            row = ProcessCheck.objects.create(
                process=score.process,
                framework=big.framework,
                check_key=check.key,
                state="passing",
                evaluated=now,
                measured=1.0,
            )
            for role in check.roles:
                CheckBinding.objects.create(
                    process_check=row, role=role, integration=integration, bound_by=owner
                )
            CheckResult.objects.create(
                process_check=row, state="passing", threshold=1, first=now, last=now
            )
            for grace in (3, 5):
                audit.record(
                    organization=big.organization,
                    actor=owner,
                    area=AuditArea.CHECKS,
                    action="tune",
                    subject=f"Check {check.key}",
                    obj=row,
                    before={"grace_days": None},
                    after={"grace_days": grace},
                    scope=score.process,
                )
        CriterionEvidence.objects.create(
            process=score.process,
            criterion_key=criteria[0].key,
            description="x",
            effective=now.date(),
            accepted=now,
            accepted_by=owner,
        )
    url = page_urls(big)["process"]
    client = client_for(owner)
    client.get(url)
    with django_assert_max_num_queries(WITH_CHECKS):
        html = client.get(url).content.decode()
    assert html.count('class="check-strip"') >= 2
    assert html.count('class="check-actions"') == html.count('class="check-strip"')
    assert "In force" in html
