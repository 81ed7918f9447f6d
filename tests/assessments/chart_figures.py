"""Hand-built figures and chart rows for the chart tests: no database, just the dataclasses."""

import datetime
from types import SimpleNamespace

from assessments import scoring
from assessments.charts.rows import ProcessRow
from assessments.figures import (
    AssessmentFigures,
    CriterionResult,
    DimensionResult,
    ProcessResult,
    QuestionResult,
)
from assessments.framework.loading import default_framework
from assessments.scoring import NO_AGREEMENT, Status


def criterion(key, statuses, agreed=NO_AGREEMENT, text="A criterion"):
    settled = scoring.settle([Status(s) for s in statuses], agreed)
    answers = [SimpleNamespace(status=s) for s in statuses]
    return CriterionResult(SimpleNamespace(key=key, text=text), settled, answers, None)


def process(pk, name, current, target=None, value=3, levels=None):
    as_assessed = SimpleNamespace(pk=pk, name=name, business_value=value)
    return ProcessResult(
        score=SimpleNamespace(process=as_assessed, process_as_assessed=as_assessed),
        levels=levels or {},
        current=current,
        target=target,
        gap=scoring.gap(current=current, target=target),
        gap_weight=scoring.gap_weight(current=current, target=target),
        blockers=[],
    )


def question(key, it, ot, agreed=None, text="A question"):
    """it/ot: each assessor's answers; agreed: {side: value} settled by the facilitator."""
    agreed = agreed or {}
    sides = {
        side: scoring.settle(values, agreed.get(side, NO_AGREEMENT))
        for side, values in (("it", it), ("ot", ot))
    }
    answers = {
        side: [SimpleNamespace(value=v) for v in values]
        for side, values in (("it", it), ("ot", ot))
    }
    return QuestionResult(SimpleNamespace(key=key, text=text), sides, answers, {})


def dimension(key, name, questions=(), excluded=None):
    figures = scoring.dimension_readiness(
        key=key,
        it=[q.sides["it"].value for q in questions if q.sides["it"].counts],
        ot=[q.sides["ot"].value for q in questions if q.sides["ot"].counts],
        in_scope=excluded is None,
    )
    return DimensionResult(SimpleNamespace(key=key, name=name), figures, list(questions), excluded)


def figures(processes=(), dimensions=(), title="Q1", on=datetime.date(2026, 1, 15)):
    pf = [
        scoring.ProcessFigures(
            str(p.process.pk), p.process.name, p.process.business_value, p.current, p.target
        )
        for p in processes
    ]
    df = [d.figures for d in dimensions]
    assessment = SimpleNamespace(
        title=title, assessed_on=on, framework=SimpleNamespace(definition=default_framework())
    )
    return AssessmentFigures(
        assessment=assessment,
        processes=list(processes),
        dimensions=list(dimensions),
        samr_index=scoring.samr_index(pf),
        target_index=scoring.target_index(pf),
        distribution=scoring.level_distribution(pf),
        overall_readiness=scoring.overall_readiness(df),
        convergence_gap=scoring.convergence_gap(df),
    )


def row(name, current, target=None, value=3, key=None):
    return ProcessRow(
        key=key or name,
        name=name,
        business_value=value,
        current=current,
        target=target,
        gap=scoring.gap(current=current, target=target),
        gap_weight=scoring.gap_weight(current=current, target=target),
    )
