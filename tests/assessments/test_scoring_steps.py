"""The way through an assessment on the scoring pages (issue 13, item 7): every process and
readiness dimension with how much is answered, "save and next" to the next one with something
left, readiness choices that say what each level means, and a clear read-only state."""

import re

import pytest
from django.urls import reverse

from tests.assessments.conftest import (
    answer_dimension,
    answer_levels,
    make_assessment,
    make_process,
)
from tests.conftest import client_for


@pytest.fixture
def assessment(org, framework):
    return make_assessment(
        org, framework, [make_process(org, "A press"), make_process(org, "B stock")]
    )


def score_url(org, assessment, name):
    score = assessment.process_scores.get(process__name=name)
    return reverse("assessments:process-score", args=[org.slug, assessment.pk, score.pk])


def readiness_url(org, assessment, key):
    return reverse("assessments:readiness", args=[org.slug, assessment.pk, key])


def steps(body) -> list[tuple[str, str]]:
    nav = re.search(r'<nav id="scoring-steps".*?</nav>', body, re.S)[0]
    return re.findall(
        r'<span class="step-name">([^<]+)</span> <span class="step-count[^"]*">([^<]+)<', nav
    )


def test_each_page_lists_every_step_with_the_assessors_own_answers(org, assessment, owner, member):
    a_press = assessment.process_scores.get(process__name="A press")
    answer_levels(a_press, owner, {1: "fully", 2: "fully", 3: "fully", 4: "fully"})
    answer_levels(a_press, member, {1: "not"})
    answer_dimension(assessment, member, "connectivity", it=2, ot=1)
    total = len(assessment.framework.definition.criteria_for("manufacturing", 1)) * 4

    mine = dict(
        steps(client_for(owner).get(score_url(org, assessment, "A press")).content.decode())
    )
    assert mine["A press"] == f"{total}/{total}" and mine["B stock"] == f"0/{total}"
    assert mine["Connectivity and data access"] == "0/8"  # the member's answers are not the owner's
    theirs = dict(
        steps(
            client_for(member).get(readiness_url(org, assessment, "connectivity")).content.decode()
        )
    )
    assert theirs["Connectivity and data access"] == "8/8"
    assert theirs["A press"] == f"{total // 4}/{total}"


def test_save_and_next_leads_to_the_first_question_left_on_the_next_page(org, assessment, owner):
    a_press = assessment.process_scores.get(process__name="A press")
    answer_levels(a_press, owner, {1: "fully", 2: "fully", 3: "fully", 4: "fully"})
    body = client_for(owner).get(score_url(org, assessment, "A press")).content.decode()
    first = assessment.framework.definition.criteria_for("manufacturing", 1)[0].key
    target = f"{score_url(org, assessment, 'B stock')}#criterion-{first}"
    assert f'href="{target}" data-save-and-next>Save and next: B stock</a>' in body

    body = client_for(owner).get(score_url(org, assessment, "B stock")).content.decode()
    dimension = assessment.framework.definition.dimensions[0]
    question = dimension.questions[0].key
    assert f'href="{readiness_url(org, assessment, dimension.key)}#v-{question}-it"' in body


def test_readiness_choices_say_what_each_level_means(org, assessment, owner):
    body = client_for(owner).get(readiness_url(org, assessment, "connectivity")).content.decode()
    question = assessment.framework.definition.dimension("connectivity").questions[0]
    for level, text in question.levels.items():
        assert f'<option value="{level}">{level} · {text}</option>' in body
    assert '<option value="na">N/A: does not apply</option>' in body


def test_a_viewer_reads_the_answers_that_count_and_gets_no_controls(org, assessment, owner, viewer):
    answer_levels(assessment.process_scores.get(process__name="A press"), owner, {1: "fully"})
    body = client_for(viewer).get(score_url(org, assessment, "A press")).content.decode()
    assert "Read only: each question shows the answer that counts." in body
    assert 'type="radio"' not in body and "Save and next" not in body
    assert "Counts as: fully" in body and "Answers that count" in body
    body = client_for(viewer).get(readiness_url(org, assessment, "connectivity")).content.decode()
    assert 'name="value"' not in body  # no answer controls
    assert "Read only" in body
