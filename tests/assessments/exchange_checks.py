"""What the export and import tests compare: the export as it travels, every figure of an
assessment, and how many rows are stored."""

import json

from accounts.models import Site
from assessments.exchange.export import assessment_export
from assessments.figures import assessment_figures
from assessments.models import (
    Assessment,
    CriterionAgreement,
    CriterionAnswer,
    ExcludedDimension,
    FrameworkVersion,
    Process,
    ProcessScore,
    ReadinessAgreement,
    ReadinessAnswer,
)

STORED = (
    Assessment,
    ProcessScore,
    Process,
    Site,
    FrameworkVersion,
    CriterionAnswer,
    CriterionAgreement,
    ReadinessAnswer,
    ReadinessAgreement,
    ExcludedDimension,
)


def figures_of(assessment):
    """Every figure, unrounded, plus what counts for each criterion and question side."""
    f = assessment_figures(Assessment.objects.get(pk=assessment.pk))
    return {
        "samr_index": f.samr_index,
        "target_index": f.target_index,
        "distribution": f.distribution,
        "overall_readiness": f.overall_readiness,
        "convergence_gap": f.convergence_gap,
        "settled": f.settled,
        "total": f.total,
        "processes": {
            p.process.name: (
                p.process.business_value,
                p.current,
                p.target,
                p.gap,
                p.gap_weight,
                [(c.criterion.key, c.settled.counts and c.settled.value) for c in p.criteria],
            )
            for p in f.processes
        },
        "dimensions": {
            d.dimension.key: (
                d.figures,
                [
                    (q.question.key, s, v.counts and v.value)
                    for q in d.questions
                    for s, v in q.sides.items()
                ],
            )
            for d in f.dimensions
        },
    }


def stored_counts():
    return {model.__name__: model.objects.count() for model in STORED}


def exported(assessment) -> dict:
    """The export as it travels: through JSON text."""
    return json.loads(json.dumps(assessment_export(assessment=assessment)))
