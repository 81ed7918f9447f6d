import threading
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.urls import reverse
from django.utils.html import escape

from assessments.figures import assessment_figures
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


def score_url(org, score):
    return reverse("assessments:process-score", args=[org.slug, score.assessment_id, score.pk])


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


def fragment(body, element_id):
    """The attributes and the text of the element with `element_id` in an htmx answer."""

    class Find(HTMLParser):
        attrs, text, depth = None, "", 0

        def handle_starttag(self, tag, attrs):
            if self.depth:
                self.depth += tag not in ("input", "br", "img")
            elif dict(attrs).get("id") == element_id:
                self.attrs, self.depth = dict(attrs), 1

        def handle_endtag(self, tag):
            self.depth = max(self.depth - 1, 0) if self.depth else 0

        def handle_data(self, data):
            if self.depth:
                self.text += data

    found = Find()
    found.feed(body)
    assert found.attrs is not None, f"no #{element_id} in {body}"
    return found.attrs, " ".join(found.text.split())


def test_autosave_refuses_bad_status_and_bad_link_next_to_the_field(org, member, score):
    key = first_criterion(score).key
    response = client_for(member).post(
        answer_url(org, score), {"criterion_key": key, "status": "maybe"}, headers=HX
    )
    assert response.status_code == 400
    body = response.content.decode()
    attrs, text = fragment(body, f"error-status-{key}")
    assert text == "maybe is not one of the choices."
    assert attrs["role"] == "alert" and "hx-disable" in attrs and attrs["hx-swap-oob"] == "true"
    assert fragment(body, f"state-{key}")[1] == "Not saved"
    response = client_for(member).post(
        answer_url(org, score),
        {"criterion_key": key, "status": "fully", "evidence_url": "sharepoint/work-orders"},
        headers=HX,
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert fragment(body, f"error-evidence_url-{key}")[1].startswith("Enter a full web address")
    assert fragment(body, f"error-status-{key}")[1] == ""  # the status is fine: its slot clears
    assert "Saved" not in body
    assert not CriterionAnswer.objects.exists()


def test_the_page_points_each_field_at_its_error_slot(org, member, score):
    key = first_criterion(score).key
    body = client_for(member).get(score_url(org, score)).content.decode()
    assert f'id="evidence-{key}" name="evidence_url"' in body
    assert f'aria-describedby="error-evidence_url-{key}"' in body
    assert f'role="radiogroup" aria-labelledby="legend-{key}"' in body
    assert f'aria-describedby="error-status-{key}"' in body
    attrs, text = fragment(body, f"error-status-{key}")
    assert (attrs["role"], "hx-disable" in attrs, text) == ("alert", True, "")
    assert "novalidate data-autosave" in body  # the server judges every link (autosave.js)
    assert "js/autosave.js" in body


def test_autosave_answer_carries_the_rows_counts_as_the_level_and_the_progress(org, member, score):
    key = first_criterion(score).key
    response = client_for(member).post(
        answer_url(org, score), {"criterion_key": key, "status": "fully"}, headers=HX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert fragment(body, f"state-{key}")[1] == "Saved"
    attrs, text = fragment(body, f"counts-{key}")
    assert attrs["hx-swap-oob"] == "true" and text == "Counts as: fully"
    assert 'id="level-panel" hx-swap-oob="true"' in body
    assert "Not scored yet" not in body and "Manual" in body
    total = assessment_figures(score.assessment).total
    attrs, text = fragment(body, "progress")
    assert attrs["hx-swap-oob"] == "true" and f"1 of {total} answers settled" in text
    for field in ("status", "rationale", "evidence_url"):
        assert fragment(body, f"error-{field}-{key}")[1] == ""


def test_the_level_panel_says_not_scored_until_the_first_answer(org, member, score):
    body = client_for(member).get(score_url(org, score)).content.decode()
    assert "Not scored yet" in body
    assert '<span class="level level-0">0</span> Manual' not in body
    criterion_answer_save(
        score=score, criterion_key=first_criterion(score).key, assessor=member, status="not"
    )
    body = client_for(member).get(score_url(org, score)).content.decode()
    assert "Not scored yet" not in body
    assert '<span class="level level-0">0</span> Manual' in body


def test_autosave_without_htmx_says_what_was_not_saved(org, member, score):
    response = client_for(member).post(
        answer_url(org, score),
        {"criterion_key": first_criterion(score).key, "status": "fully", "evidence_url": "x"},
        follow=True,
    )
    assert "Not saved: Enter a full web address" in response.content.decode()
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


def test_readiness_refuses_bad_value_next_to_the_select_and_unknown_dimension(
    org, member, assessment
):
    question = assessment.framework.definition.dimension("connectivity").questions[0]
    client = client_for(member)
    response = client.post(
        readiness_url("readiness-answer", org, assessment),
        {"question_key": question.key, "side": "it", "value": "7"},
        headers=HX,
    )
    assert response.status_code == 400
    body = response.content.decode()
    attrs, text = fragment(body, f"error-value-{question.key}-it")
    assert text == "7 is not one of the choices."
    assert attrs["role"] == "alert" and attrs["hx-swap-oob"] == "true"
    assert fragment(body, f"state-{question.key}-it")[1] == "Not saved"
    assert not ReadinessAnswer.objects.exists()
    assert client.get(readiness_url("readiness", org, assessment, "astrology")).status_code == 404


def test_readiness_answer_carries_counts_as_the_summaries_and_the_progress(
    org, member, owner, assessment
):
    question = assessment.framework.definition.dimension("connectivity").questions[0]
    url = readiness_url("readiness-answer", org, assessment)
    client_for(owner).post(url, {"question_key": question.key, "side": "ot", "value": "1"})
    response = client_for(member).post(
        url, {"question_key": question.key, "side": "it", "value": "3"}, headers=HX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert fragment(body, f"state-{question.key}-it")[1] == "Saved"
    attrs, text = fragment(body, f"counts-{question.key}-it")
    assert attrs["hx-swap-oob"] == "true" and text == "Counts as: 3"
    attrs, text = fragment(body, "dimension-figures")
    assert attrs["hx-swap-oob"] == "true" and text == "IT 3.00 · OT 1.00 · gap 2.00"
    assert "2 of" in fragment(body, "progress")[1]
    assert fragment(body, f"error-value-{question.key}-it")[1] == ""


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
