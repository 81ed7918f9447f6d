"""One restore of scores, answers and agreements, used by both importers."""

import json

from assessments.exchange import importing
from assessments.exchange.importing import assessment_import
from assessments.exchange.reading import export_read
from assessments.exchange.restoring import answers_restore
from assessments.models import Assessment, CriterionAnswer, ReadinessAgreement
from assessments.orgtransfer import assessment_entries
from assessments.orgtransfer.exporting import organization_export
from assessments.orgtransfer.importing import organization_import
from tests.assessments.conftest import make_assessment, make_process
from tests.assessments.exchange_checks import exported


def test_both_importers_store_answers_through_the_one_restore(
    scored, other_org, outsider, owner, monkeypatch
):
    scored.organization.assessments.update(created_by=owner)  # a move keeps who created each
    restored = []

    def spy(**kwargs):
        restored.append(kwargs["assessment"])
        answers_restore(**kwargs)

    monkeypatch.setattr(importing, "answers_restore", spy)
    monkeypatch.setattr(assessment_entries, "answers_restore", spy)
    imported = assessment_import(organization=other_org, data=exported(scored), user=outsider)
    document = json.loads(json.dumps(organization_export(organization=scored.organization)))
    moved = organization_import(data=document, slug="acme-copy").organization
    assert restored == [imported, *moved.assessments.order_by("created", "pk")]


def test_carry_says_which_answers_and_agreement_are_stored(scored, other_org, outsider):
    plan = export_read(exported(scored))
    processes = [make_process(other_org, p.name, p.area, p.business_value) for p in plan.processes]
    assessment = make_assessment(other_org, scored.framework, state=Assessment.State.FINAL)
    seen = []

    def carry(answered, path):
        """Only agreements, agreed by nobody; no answers."""
        seen.append(path)
        agreement = answered.agreement
        return [], agreement and type(agreement)(agreement.value, agreement.reason, None)

    answers_restore(
        assessment=assessment, plan=plan, processes=processes, carry=carry, now=scored.created
    )
    scores = assessment.process_scores.order_by("pk")
    assert [s.process for s in scores] == processes
    # A final assessment keeps each process as the file has it.
    assert [(s.frozen_name, s.frozen_business_value) for s in scores] == [
        (p.name, p.business_value) for p in plan.processes
    ]
    assert not CriterionAnswer.objects.filter(process_score__assessment=assessment).exists()
    agreements = ReadinessAgreement.objects.filter(assessment=assessment)
    assert agreements.count() == sum(1 for a in plan.readiness.values() if a.agreement)
    assert {a.updated for a in agreements} == {scored.created}
    assert set(seen) == {f"processes[{i}]" for i in range(len(plan.processes))} | {""}
    assert assessment.excluded_dimensions.count() == len(plan.excluded)
