"""The report's appendix: every criterion and readiness question with each assessor's answer."""

from __future__ import annotations

from dataclasses import dataclass

from assessments import scoring
from assessments.figures import AssessmentFigures
from assessments.models import STATUS_CHOICES

STATUS_LABELS = dict(STATUS_CHOICES)


@dataclass
class AnswerLine:
    assessor: str
    answer: str
    note: str
    link: str = ""


@dataclass
class CriterionLine:
    label: str
    text: str
    counts_as: str
    state: str
    answers: list[AnswerLine]
    agreement: str


@dataclass
class ProcessAppendix:
    name: str
    area: str
    current: str
    target: str
    rationale: str
    evidence: list[str]
    criteria: list[CriterionLine]


@dataclass
class QuestionLine:
    label: str
    text: str
    sides: dict[str, str]  # side -> counts as
    answers: list[AnswerLine]
    agreements: list[str]


@dataclass
class DimensionAppendix:
    name: str
    excluded_reason: str | None
    questions: list[QuestionLine]


def web_link(url: str) -> str:
    """`url` if it is an http(s) address, else "": the PDF makes it a link.

    The answer form and the import accept only web addresses; this keeps a `javascript:` or
    `data:` URL that got in some other way from becoming a link."""
    return url if url.lower().startswith(("https://", "http://")) else ""


def process_appendix(figures: AssessmentFigures, names) -> list[ProcessAppendix]:
    framework = figures.assessment.framework.definition
    areas = {a.key: a.name for a in framework.areas}
    result = []
    for p in figures.processes:
        lines = []
        for level in sorted(p.levels):
            for index, c in enumerate(p.levels[level], start=1):
                lines.append(
                    CriterionLine(
                        label=f"L{level}.{index}",
                        text=c.criterion.text,
                        counts_as=_counts_as(c.settled, STATUS_LABELS.get),
                        state=c.settled.state.value,
                        answers=[
                            AnswerLine(
                                assessor=str(a.assessor),
                                answer=STATUS_LABELS.get(a.status, a.status),
                                note=a.rationale,
                                link=web_link(a.evidence_url),
                            )
                            for a in sorted(c.answers, key=lambda a: str(a.assessor))
                        ],
                        agreement=(
                            f"Agreed {STATUS_LABELS.get(c.agreement.status, c.agreement.status)}: "
                            f"{c.agreement.reason}"
                            if c.agreement
                            else ""
                        ),
                    )
                )
        result.append(
            ProcessAppendix(
                name=p.process.name,
                area=areas.get(p.process.area, p.process.area),
                current=f"{p.current} {names[p.current]}",
                target=scoring.NO_FIGURE if p.target is None else f"{p.target} {names[p.target]}",
                rationale=p.score.rationale,
                evidence=[line.strip() for line in p.score.evidence.splitlines() if line.strip()],
                criteria=lines,
            )
        )
    return result


def _counts_as(settled, label) -> str:
    if settled.state == scoring.Settlement.DISPUTED:
        return "disputed"
    if settled.state == scoring.Settlement.UNANSWERED:
        return "unanswered"
    return label(settled.value, str(settled.value))


def _readiness_label(value) -> str:
    return "N/A" if value is None else str(value)


def dimension_appendix(figures: AssessmentFigures) -> list[DimensionAppendix]:
    result = []
    for d in figures.dimensions:
        questions = []
        for number, q in enumerate(d.questions, start=1):
            answers = [
                AnswerLine(
                    assessor=str(a.assessor),
                    answer=f"{side.upper()} {_readiness_label(a.value)}",
                    note=a.comment,
                )
                for side in ("it", "ot")
                for a in sorted(q.answers.get(side, []), key=lambda a: str(a.assessor))
            ]
            questions.append(
                QuestionLine(
                    label=f"Q{number}",
                    text=q.question.text,
                    sides={
                        side: _counts_as(q.sides[side], lambda v, _d: _readiness_label(v))
                        for side in ("it", "ot")
                    },
                    answers=answers,
                    agreements=[
                        f"{side.upper()} agreed {_readiness_label(a.value)}: {a.reason}"
                        for side, a in sorted(q.agreements.items())
                    ],
                )
            )
        result.append(DimensionAppendix(d.dimension.name, d.excluded_reason, questions))
    return result
