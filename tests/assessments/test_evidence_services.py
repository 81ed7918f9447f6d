"""Evidence for a criterion (added by anyone who writes, accepted by facilitators, expiring) and
accepting an N/A answer's reason: the services and the process page's forms."""

from datetime import timedelta

import pytest
from django.urls import reverse

from assessments.figures import assessment_figures
from assessments.lifecycle import assessment_finalize
from assessments.models import CriterionAnswer
from assessments.models.verification import CriterionEvidence, NaAcceptance
from assessments.verified.evidence import EvidenceRefused, evidence_accept, evidence_add, na_accept
from assessments.verified.status import assessment_verification
from audit.models import AuditEvent
from tests.assessments import test_verified_evaluate as evaluated
from tests.assessments.conftest import NOW
from tests.conftest import client_for

scored = evaluated.scored  # a process claiming level 2, every criterion up to it fully met


def level_one(assessment):
    """A level 1 criterion: it has no check, so evidence can carry it."""
    return assessment.framework.definition.criteria_for("manufacturing", 1)[0].key


def basis(assessment, key, now=NOW):
    figures = assessment_figures(assessment)
    process = assessment_verification(figures, now=now).of(
        assessment.process_scores.get().process_id
    )
    criterion = process.criterion(key)
    return criterion.basis, process


def add(assessment, user, effective=None):
    score = assessment.process_scores.get()
    return evidence_add(
        process=score.process,
        framework=assessment.framework,
        criterion_key=level_one(assessment),
        description="Shift log scanned into the MES since March",
        effective=effective or NOW.date(),
        user=user,
    )


def test_accepted_evidence_evidences_until_it_expires(scored, owner, member):
    key = level_one(scored)
    item = add(scored, member)
    assert item.valid_days == scored.organization.evidence_validity_days
    assert basis(scored, key)[0] == "claim"  # not accepted yet
    evidence_accept(evidence=item, user=owner, accept=True, now=NOW)
    found, process = basis(scored, key)
    assert found == "evidence" and process.evidence >= 1
    later = NOW + timedelta(days=item.valid_days + 1)
    assert basis(scored, key, now=later)[0] == "claim"
    assert AuditEvent.objects.filter(action="evidence accept").exists()


def test_withdrawn_acceptance_no_longer_counts(scored, owner):
    item = add(scored, owner)
    evidence_accept(evidence=item, user=owner, accept=True, now=NOW)
    evidence_accept(evidence=item, user=owner, accept=False, now=NOW)
    item.refresh_from_db()
    assert item.accepted is None and basis(scored, level_one(scored))[0] == "claim"


def test_validity_follows_the_organisation(scored, owner):
    scored.organization.evidence_validity_days = 30
    scored.organization.save()
    assert add(scored, owner).valid_days == 30


def test_evidence_for_another_areas_criterion_is_refused(scored, owner):
    score = scored.process_scores.get()
    other = scored.framework.definition.criteria_for("logistics", 1)[0].key
    with pytest.raises(EvidenceRefused, match="no criterion"):
        evidence_add(
            process=score.process,
            framework=scored.framework,
            criterion_key=other,
            description="x",
            effective=NOW.date(),
            user=owner,
        )


def test_members_cannot_accept_and_viewers_cannot_add(scored, member, viewer):
    item = add(scored, member)
    with pytest.raises(EvidenceRefused):
        evidence_accept(evidence=item, user=member, accept=True, now=NOW)
    with pytest.raises(EvidenceRefused):
        add(scored, viewer)


def answer_na(assessment, user, key):
    score = assessment.process_scores.get()
    CriterionAnswer.objects.filter(process_score=score, criterion_key=key).update(status="na")
    return score


def test_na_acceptance_counts_and_lapses_when_the_answer_changes(frozen, scored, owner):
    key = level_one(scored)
    score = answer_na(scored, owner, key)
    figures = assessment_figures(scored)
    pid = score.process_id
    assert not assessment_verification(figures, now=NOW).of(pid).criterion(key).na_accepted
    na_accept(score=score, criterion_key=key, user=owner, accept=True, now=NOW)
    assert assessment_verification(figures, now=NOW).of(pid).criterion(key).na_accepted
    CriterionAnswer.objects.filter(process_score=score, criterion_key=key).update(
        updated=NOW + timedelta(hours=1)
    )
    assert not assessment_verification(figures, now=NOW).of(pid).criterion(key).na_accepted


def test_na_acceptance_needs_a_settled_na(scored, owner):
    with pytest.raises(EvidenceRefused, match="N/A"):
        na_accept(
            score=scored.process_scores.get(),
            criterion_key=level_one(scored),
            user=owner,
            accept=True,
            now=NOW,
        )


def test_na_acceptance_refused_on_a_final_assessment(scored, owner, frozen):
    key = level_one(scored)
    score = answer_na(scored, owner, key)
    assessment_finalize(assessment=scored, user=owner)
    score.refresh_from_db()
    with pytest.raises(EvidenceRefused, match="final"):
        na_accept(score=score, criterion_key=key, user=owner, accept=True, now=NOW)


# --- The page's forms ---------------------------------------------------------------------------


def url(assessment, name, arg):
    score = assessment.process_scores.get()
    return reverse(f"assessments:{name}", args=["acme", assessment.pk, score.pk, arg])


def test_member_adds_evidence_on_the_page_and_owner_accepts(scored, owner, member, frozen):
    key = level_one(scored)
    response = client_for(member).post(
        url(scored, "evidence-add", key),
        {"description": "Signed shift reports", "effective": "2026-11-01"},
    )
    assert response.status_code == 302 and response.url.endswith(f"#verify-{key}")
    item = CriterionEvidence.objects.get()
    assert (
        client_for(member)
        .post(url(scored, "evidence-accept", item.pk), {"accept": "1"})
        .status_code
        == 403
    )
    assert (
        client_for(owner).post(url(scored, "evidence-accept", item.pk), {"accept": "1"}).status_code
        == 302
    )
    item.refresh_from_db()
    assert item.accepted_by == owner
    page = reverse(
        "assessments:process-score", args=["acme", scored.pk, scored.process_scores.get().pk]
    )
    html = client_for(owner).get(page).content.decode()
    assert "In force" in html and "Evidenced" in html


def test_expired_evidence_shows_as_expired(scored, owner, frozen):
    item = add(scored, owner, effective=NOW.date() - timedelta(days=400))
    evidence_accept(evidence=item, user=owner, accept=True, now=NOW)
    score = scored.process_scores.get()
    page = reverse("assessments:process-score", args=["acme", scored.pk, score.pk])
    html = client_for(owner).get(page).content.decode()
    assert "Expired" in html and "In force" not in html
    assert basis(scored, level_one(scored))[0] == "claim"


def test_evidence_without_description_is_refused_next_to_the_field(scored, member, frozen):
    key = level_one(scored)
    response = client_for(member).post(
        url(scored, "evidence-add", key), {"description": " ", "effective": "2026-11-01"}
    )
    assert response.status_code == 400
    assert f'id="error-description-{key}"' in response.content.decode()
    assert "Say what shows" in response.content.decode()
    assert not CriterionEvidence.objects.exists()


@pytest.mark.parametrize("effective", ["9999-12-01", "2027-06-01", "1900-01-01"])
def test_an_effective_date_out_of_range_is_refused_next_to_the_field(
    scored, member, owner, frozen, effective
):
    key = level_one(scored)
    response = client_for(member).post(
        url(scored, "evidence-add", key), {"description": "Audit", "effective": effective}
    )
    assert response.status_code == 400
    assert f'id="error-effective-{key}"' in response.content.decode()
    assert "effective date" in response.content.decode()
    assert not CriterionEvidence.objects.exists()
    page = reverse(
        "assessments:process-score",
        args=[scored.organization.slug, scored.pk, scored.process_scores.get().pk],
    )
    assert client_for(owner).get(page).status_code == 200


def test_viewer_cannot_add_evidence(scored, viewer, frozen):
    key = level_one(scored)
    response = client_for(viewer).post(
        url(scored, "evidence-add", key), {"description": "x", "effective": "2026-11-01"}
    )
    assert response.status_code == 403


def test_other_orgs_evidence_is_404(scored, owner, outsider, other_org, frozen):
    from assessments.models import Process

    theirs = Process.objects.create(organization=other_org, name="Theirs", area="manufacturing")
    item = CriterionEvidence.objects.create(
        process=theirs, criterion_key=level_one(scored), description="x", effective=NOW.date()
    )
    response = client_for(owner).post(url(scored, "evidence-accept", item.pk), {"accept": "1"})
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.accepted is None


def test_na_accept_on_the_page(frozen, scored, owner, member):
    key = level_one(scored)
    score = answer_na(scored, owner, key)
    assert (
        client_for(member).post(url(scored, "na-accept", key), {"accept": "1"}).status_code == 403
    )
    assert client_for(owner).post(url(scored, "na-accept", key), {"accept": "1"}).status_code == 302
    assert NaAcceptance.objects.filter(process_score=score, criterion_key=key).exists()
    page = reverse("assessments:process-score", args=["acme", scored.pk, score.pk])
    assert "N/A reason accepted" in client_for(owner).get(page).content.decode()
    assert client_for(owner).post(url(scored, "na-accept", key), {"accept": "0"}).status_code == 302
    assert not NaAcceptance.objects.exists()
