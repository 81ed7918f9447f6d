import pytest

from assessments.models import (
    Assessment,
    CriterionAnswer,
    FrameworkVersion,
    Process,
    ProcessScore,
    ReadinessAnswer,
)


@pytest.fixture
def framework(db):
    return FrameworkVersion.objects.shipped()


def make_process(org, name="Press line 3 maintenance", area="manufacturing", value=3):
    return Process.objects.create(organization=org, name=name, area=area, business_value=value)


def make_assessment(org, framework, processes=(), **extra):
    assessment = Assessment.objects.create(
        organization=org, framework=framework, title=extra.pop("title", "Q4 baseline"), **extra
    )
    for process in processes:
        ProcessScore.objects.create(assessment=assessment, process=process)
    return assessment


def answer_levels(score, assessor, statuses_by_level):
    """Answer every criterion of the given levels with one status, e.g. {1: "fully"}."""
    framework = score.assessment.framework.definition
    for level, status in statuses_by_level.items():
        for criterion in framework.criteria_for(score.process.area, level):
            CriterionAnswer.objects.update_or_create(
                process_score=score,
                criterion_key=criterion.key,
                assessor=assessor,
                defaults={"status": status},
            )


def answer_dimension(assessment, assessor, dimension_key, it, ot):
    dimension = assessment.framework.definition.dimension(dimension_key)
    for question in dimension.questions:
        for side, value in (("it", it), ("ot", ot)):
            ReadinessAnswer.objects.update_or_create(
                assessment=assessment,
                question_key=question.key,
                side=side,
                assessor=assessor,
                defaults={"value": value},
            )
