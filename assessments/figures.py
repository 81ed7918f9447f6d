"""An assessment's figures: rows in, `scoring` does the arithmetic.

`assessment_figures()` is the one place the page, the JSON export and the PDF get their numbers
from, so they always agree. It reads the assessment in a fixed number of queries.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q

from assessments import scoring
from assessments.framework.model import Criterion, Dimension, Question
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
    Side,
)
from assessments.scoring import NO_AGREEMENT, Settled, Settlement, Status


@dataclass
class CriterionResult:
    criterion: Criterion
    settled: Settled
    answers: list[CriterionAnswer]
    agreement: CriterionAgreement | None

    @property
    def status(self) -> Status | None:
        return Status(self.settled.value) if self.settled.counts else None


@dataclass
class ProcessResult:
    score: ProcessScore
    levels: dict[int, list[CriterionResult]]
    current: int
    target: int | None
    gap: int
    gap_weight: int
    blockers: list[CriterionResult]

    @property
    def process(self):
        """The process as assessed: a final assessment's keeps its name, area and value."""
        return self.score.process_as_assessed

    @property
    def criteria(self) -> list[CriterionResult]:
        return [c for level in sorted(self.levels) for c in self.levels[level]]

    @property
    def figures(self) -> scoring.ProcessFigures:
        """What the pure scoring rules read of it (the index, the gaps)."""
        return scoring.ProcessFigures(
            key=str(self.score.pk),
            name=self.process.name,
            business_value=self.process.business_value,
            current=self.current,
            target=self.target,
        )

    @property
    def scored(self) -> bool:
        """Someone answered one of its criteria: until then its level 0 means "not scored yet",
        not "manual", and pages say so."""
        return any(c.settled.state != Settlement.UNANSWERED for c in self.criteria)


@dataclass
class QuestionResult:
    question: Question
    sides: dict[str, Settled]
    answers: dict[str, list[ReadinessAnswer]]
    agreements: dict[str, ReadinessAgreement]


@dataclass
class DimensionResult:
    dimension: Dimension
    figures: scoring.DimensionFigures
    questions: list[QuestionResult]
    excluded_reason: str | None = None

    @property
    def in_scope(self) -> bool:
        return self.excluded_reason is None


@dataclass
class AssessmentFigures:
    assessment: Assessment
    processes: list[ProcessResult]
    dimensions: list[DimensionResult]
    samr_index: float | None
    target_index: float | None
    distribution: dict[int, int]
    overall_readiness: float | None
    convergence_gap: float | None
    settled: int = 0
    total: int = 0
    disputed: list = field(default_factory=list)

    @property
    def progress(self) -> int:
        """Share of questions with an answer that counts, in whole per cent."""
        return round(100 * self.settled / self.total) if self.total else 0

    @property
    def scored(self) -> bool:
        """Some process has an answer: before that the SAMR index is not scored yet, not 0."""
        return any(p.scored for p in self.processes)

    @property
    def answered(self) -> bool:
        """Anyone answered anything (a criterion or a readiness question)."""
        return self.scored or any(
            s.state != Settlement.UNANSWERED
            for d in self.dimensions
            for q in d.questions
            for s in q.sides.values()
        )


def assessment_figures(assessment: Assessment, *, assessors: bool = True) -> AssessmentFigures:
    """Every computed figure of an assessment, from its settled answers.

    `assessors=False` leaves each answer's assessor unloaded, for pages that show figures only:
    the same queries, without building a user per answer (half the time of a big assessment).
    """
    return figures_of([assessment], assessors=assessors)[assessment.pk]


def figures_of(assessments, *, assessors: bool = False) -> dict[int, AssessmentFigures]:
    """Assessment id -> its figures, for several assessments in the same six queries as one."""
    assessments = list(assessments)
    if not assessments:
        return {}
    rows = _Rows(assessments, assessors)
    return {a.pk: _figures(a, rows) for a in assessments}


class _Rows:
    """Every stored row the figures read, for a set of assessments, grouped by assessment."""

    def __init__(self, assessments, assessors):
        by_id = {a.pk: a for a in assessments}
        ids = list(by_id)
        self.scores = defaultdict(list)
        scores = ProcessScore.objects.filter(assessment__in=ids)
        for score in scores.select_related("process", "process__site"):
            score.assessment = by_id[score.assessment_id]  # as the related manager would
            self.scores[score.assessment_id].append(score)
        self.answers = defaultdict(lambda: defaultdict(list))  # by score id, then criterion
        rows = CriterionAnswer.objects.filter(process_score__assessment__in=ids)
        for answer in rows.select_related("assessor") if assessors else rows:
            self.answers[answer.process_score_id][answer.criterion_key].append(answer)
        self.agreements = defaultdict(dict)
        for agreement in CriterionAgreement.objects.filter(process_score__assessment__in=ids):
            self.agreements[agreement.process_score_id][agreement.criterion_key] = agreement
        self.excluded = defaultdict(dict)
        for assessment_id, key, reason in ExcludedDimension.objects.filter(
            assessment__in=ids
        ).values_list("assessment_id", "dimension_key", "reason"):
            self.excluded[assessment_id][key] = reason
        self.readiness = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
        rows = ReadinessAnswer.objects.filter(assessment__in=ids)
        for answer in rows.select_related("assessor") if assessors else rows:
            self.readiness[answer.assessment_id][answer.question_key][answer.side].append(answer)
        self.readiness_agreements = defaultdict(lambda: defaultdict(dict))
        for agreement in ReadinessAgreement.objects.filter(assessment__in=ids):
            by_question = self.readiness_agreements[agreement.assessment_id]
            by_question[agreement.question_key][agreement.side] = agreement


def _figures(assessment: Assessment, rows: _Rows) -> AssessmentFigures:
    framework = assessment.framework.definition
    processes = [
        _process_result(framework, s, rows.answers[s.pk], rows.agreements[s.pk])
        for s in rows.scores[assessment.pk]
    ]
    dimensions = _dimension_results(
        framework,
        rows.excluded[assessment.pk],
        rows.readiness[assessment.pk],
        rows.readiness_agreements[assessment.pk],
    )

    process_figures = [p.figures for p in processes]
    dimension_figures = [d.figures for d in dimensions]
    settled_items = [c.settled for p in processes for c in p.criteria] + [
        s for d in dimensions if d.in_scope for q in d.questions for s in q.sides.values()
    ]
    disputed = [
        c for p in processes for c in p.criteria if c.settled.state == Settlement.DISPUTED
    ] + [
        q
        for d in dimensions
        if d.in_scope
        for q in d.questions
        if any(s.state == Settlement.DISPUTED for s in q.sides.values())
    ]
    return AssessmentFigures(
        assessment=assessment,
        processes=processes,
        dimensions=dimensions,
        samr_index=scoring.samr_index(process_figures),
        target_index=scoring.target_index(process_figures),
        distribution=scoring.level_distribution(process_figures),
        overall_readiness=scoring.overall_readiness(dimension_figures),
        convergence_gap=scoring.convergence_gap(dimension_figures),
        settled=sum(1 for s in settled_items if s.counts),
        total=len(settled_items),
        disputed=disputed,
    )


@dataclass(frozen=True)
class LatestLevel:
    """A process's level in the latest assessment that scores it."""

    level: int
    name: str  # the name its framework gives that SAMR level
    score: ProcessScore

    @property
    def assessment(self) -> Assessment:
        return self.score.assessment


def latest_levels(processes: Iterable[Process]) -> dict[int, LatestLevel]:
    """Process id -> its level in the latest assessment (by date, then creation) where it is
    scored, i.e. someone answered one of its criteria. A process nobody answered for anywhere is
    left out: "not scored yet". Four queries, however many processes and assessments."""
    by_pk = {p.pk: p for p in processes}
    if not by_pk:
        return {}
    answered = Q(Exists(CriterionAnswer.objects.filter(process_score=OuterRef("pk")))) | Q(
        Exists(CriterionAgreement.objects.filter(process_score=OuterRef("pk")))
    )
    scores = list(
        ProcessScore.objects.filter(answered, process__in=list(by_pk))
        .select_related("assessment")
        .order_by("-assessment__assessed_on", "-assessment__created", "-assessment_id")
    )
    if not scores:
        return {}
    frameworks = {
        f.pk: f.definition
        for f in FrameworkVersion.objects.filter(pk__in={s.assessment.framework_id for s in scores})
    }
    answers = defaultdict(lambda: defaultdict(list))  # by score id, then criterion
    for answer in CriterionAnswer.objects.filter(process_score__in=scores):
        answers[answer.process_score_id][answer.criterion_key].append(answer)
    agreements = defaultdict(dict)
    for agreement in CriterionAgreement.objects.filter(process_score__in=scores):
        agreements[agreement.process_score_id][agreement.criterion_key] = agreement
    results: dict[int, LatestLevel] = {}
    for score in scores:
        if score.process_id in results:
            continue
        score.process = by_pk[score.process_id]
        framework = frameworks[score.assessment.framework_id]
        result = _process_result(framework, score, answers[score.pk], agreements[score.pk])
        if result.scored:
            name = framework.samr_level(result.current).name
            results[score.process_id] = LatestLevel(result.current, name, score)
    return results


def _process_result(framework, score, answers, agreements) -> ProcessResult:
    levels = {}
    for level in scoring.CRITERIA_LEVELS:
        levels[level] = []
        for criterion in framework.criteria_for(score.process_as_assessed.area, level):
            rows = answers.get(criterion.key, [])
            agreement = agreements.get(criterion.key)
            settled = scoring.settle(
                [Status(a.status) for a in rows],
                Status(agreement.status) if agreement else NO_AGREEMENT,
            )
            levels[level].append(CriterionResult(criterion, settled, rows, agreement))
    statuses = {level: [c.status for c in results] for level, results in levels.items()}
    current = scoring.current_level(statuses)
    by_position = {(b.level, b.index) for b in scoring.blockers(statuses)}
    blockers = [
        c
        for level, results in levels.items()
        for i, c in enumerate(results)
        if (level, i) in by_position
    ]
    target = score.target_level
    return ProcessResult(
        score=score,
        levels=levels,
        current=current,
        target=target,
        gap=scoring.gap(current=current, target=target),
        gap_weight=scoring.gap_weight(current=current, target=target),
        blockers=blockers,
    )


def _dimension_results(framework, excluded, answers, agreements) -> list[DimensionResult]:
    results = []
    for dimension in framework.dimensions:
        questions = []
        for question in dimension.questions:
            sides = {}
            for side in Side.values:
                agreement = agreements[question.key].get(side)
                sides[side] = scoring.settle(
                    [a.value for a in answers[question.key][side]],
                    agreement.value if agreement else NO_AGREEMENT,
                )
            questions.append(
                QuestionResult(question, sides, answers[question.key], agreements[question.key])
            )
        figures = scoring.dimension_readiness(
            key=dimension.key,
            it=[q.sides["it"].value for q in questions if q.sides["it"].counts],
            ot=[q.sides["ot"].value for q in questions if q.sides["ot"].counts],
            in_scope=dimension.key not in excluded,
        )
        results.append(DimensionResult(dimension, figures, questions, excluded.get(dimension.key)))
    return results
