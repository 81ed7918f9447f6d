import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils.html import escape

from assessments.models import CriterionAnswer, ExcludedDimension, ReadinessAnswer
from assessments.services import criterion_answer_save
from tests.assessments.conftest import answer_levels, make_assessment, make_process
from tests.conftest import client_for

HX = {"HX-Request": "true"}


@pytest.fixture
def assessment(org, framework):
    return make_assessment(org, framework, [make_process(org, "Press line")])


@pytest.fixture
def score(assessment):
    return assessment.process_scores.get()


def answer_url(org, score):
    return reverse("assessments:criterion-answer", args=[org.slug, score.assessment_id, score.pk])


def first_criterion(score, level=1):
    return score.assessment.framework.definition.criteria_for("manufacturing", level)[0]


def test_scoring_page_lists_every_criterion_and_my_answers(org, member, score):
    criterion = first_criterion(score)
    criterion_answer_save(
        score=score, criterion_key=criterion.key, assessor=member, status="largely"
    )
    response = client_for(member).get(
        reverse("assessments:process-score", args=[org.slug, score.assessment_id, score.pk])
    )
    body = response.content.decode()
    assert response.status_code == 200
    framework = score.assessment.framework.definition
    for level in (1, 2, 3, 4):
        for c in framework.criteria_for("manufacturing", level):
            assert c.text in body
    assert 'value="largely" checked' in body
    assert "Blocking level 1" in body


def test_autosave_stores_the_answer_and_returns_saved_state_with_new_level(org, member, score):
    answer_levels(score, member, {1: "fully"})
    criterion = first_criterion(score)
    response = client_for(member).post(
        answer_url(org, score),
        {"criterion_key": criterion.key, "status": "partial", "rationale": "Paper on nights"},
        headers=HX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Saved" in body and "<html" not in body
    assert 'id="level-panel" hx-swap-oob="true"' in body  # the level panel refreshes
    assert 'id="progress" class="progress-wrap" hx-swap-oob="true"' in body
    answer = CriterionAnswer.objects.get(
        process_score=score, criterion_key=criterion.key, assessor=member
    )
    assert (answer.status, answer.rationale) == ("partial", "Paper on nights")
    assert "Manual" in body  # a partial level-1 criterion drops the process to 0


def test_autosave_refuses_bad_status_and_bad_link_next_to_the_field(org, member, score):
    criterion = first_criterion(score)
    response = client_for(member).post(
        answer_url(org, score), {"criterion_key": criterion.key, "status": "maybe"}, headers=HX
    )
    assert response.status_code == 400
    assert "Choose how far this is met" in response.content.decode()
    response = client_for(member).post(
        answer_url(org, score),
        {"criterion_key": criterion.key, "status": "fully", "evidence_url": "not a link"},
        headers=HX,
    )
    assert response.status_code == 400
    assert "Evidence link: Enter a valid URL" in response.content.decode()
    assert not CriterionAnswer.objects.exists()


def test_autosave_refuses_a_criterion_of_another_area(org, member, score):
    retail = score.assessment.framework.definition.criteria_for("retail", 1)[0]
    response = client_for(member).post(
        answer_url(org, score), {"criterion_key": retail.key, "status": "fully"}, headers=HX
    )
    assert response.status_code == 400
    assert "is not a criterion of Press line" in response.content.decode()
    assert not CriterionAnswer.objects.exists()


def test_final_assessment_refuses_answers_through_the_view(org, owner, score):
    score.assessment.finalize()
    response = client_for(owner).post(
        answer_url(org, score),
        {"criterion_key": first_criterion(score).key, "status": "fully"},
        headers=HX,
    )
    assert response.status_code == 409
    assert "final and read-only" in response.content.decode()
    assert not CriterionAnswer.objects.exists()


def test_viewer_cannot_answer(org, viewer, score):
    response = client_for(viewer).post(
        answer_url(org, score), {"criterion_key": first_criterion(score).key, "status": "fully"}
    )
    assert response.status_code == 403


def test_target_autosaves_and_refuses_out_of_range(org, member, score):
    target_url = reverse(
        "assessments:process-target", args=[org.slug, score.assessment_id, score.pk]
    )
    client = client_for(member)
    assert (
        client.post(target_url, {"target_level": "3", "rationale": "OEE"}, headers=HX).status_code
        == 200
    )
    score.refresh_from_db()
    assert score.target_level == 3
    assert client.post(target_url, {"target_level": "9"}, headers=HX).status_code == 400
    score.refresh_from_db()
    assert score.target_level == 3


def readiness_url(name, org, assessment, key="connectivity"):
    return reverse(f"assessments:{name}", args=[org.slug, assessment.pk, key])


def test_readiness_answers_per_side_and_na(org, member, assessment):
    question = assessment.framework.definition.dimension("connectivity").questions[0]
    client = client_for(member)
    for side, value in (("it", "3"), ("ot", "na")):
        response = client.post(
            readiness_url("readiness-answer", org, assessment),
            {"question_key": question.key, "side": side, "value": value},
            headers=HX,
        )
        assert response.status_code == 200
    answers = dict(ReadinessAnswer.objects.values_list("side", "value"))
    assert answers == {"it": 3, "ot": None}
    page = client.get(readiness_url("readiness", org, assessment)).content.decode()
    assert question.text in page


def test_readiness_refuses_bad_value_and_unknown_dimension(org, member, assessment):
    question = assessment.framework.definition.dimension("connectivity").questions[0]
    client = client_for(member)
    response = client.post(
        readiness_url("readiness-answer", org, assessment),
        {"question_key": question.key, "side": "it", "value": "7"},
        headers=HX,
    )
    assert response.status_code == 400
    assert not ReadinessAnswer.objects.exists()
    assert client.get(readiness_url("readiness", org, assessment, "astrology")).status_code == 404


def test_out_of_scope_needs_a_reason_and_a_facilitator(org, member, owner, assessment):
    scope_url = readiness_url("dimension-scope", org, assessment, "collaboration")
    assert client_for(member).post(scope_url, {"reason": "x"}).status_code == 403
    assert client_for(owner).post(scope_url, {"reason": ""}).status_code == 400
    assert not ExcludedDimension.objects.exists()
    client_for(owner).post(scope_url, {"reason": "No OT team on this site"})
    assert ExcludedDimension.objects.get().reason == "No OT team on this site"
    client_for(owner).post(scope_url, {"in_scope": "1"})
    assert not ExcludedDimension.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_assessors_saving_at_once_keep_both_answers(org, owner, member, score):
    criterion = first_criterion(score)
    barrier = threading.Barrier(2)
    errors = []

    def save(user, status):
        try:
            barrier.wait(timeout=5)
            for _ in range(5):
                criterion_answer_save(
                    score=score, criterion_key=criterion.key, assessor=user, status=status
                )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(u, s))
        for u, s in ((owner, "fully"), (member, "partial"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    saved = dict(CriterionAnswer.objects.values_list("assessor__email", "status"))
    assert saved == {owner.email: "fully", member.email: "partial"}


@pytest.mark.parametrize(
    "title",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<div hx-get="/o/acme/members/" hx-trigger="load">x</div>',
    ],
)
def test_the_409_for_a_final_assessment_escapes_its_title(org, owner, score, title):
    score.assessment.title = title
    score.assessment.save()
    score.assessment.finalize()
    response = client_for(owner).post(
        answer_url(org, score),
        {"criterion_key": first_criterion(score).key, "status": "fully"},
        headers=HX,
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert title not in body
    assert escape(title) in body
