"""An assessment nobody has answered yet says "not scored yet", never level 0 "Manual" or a
SAMR index of 0.00 (issue 13, defect 3)."""

import pytest
from django.urls import reverse

from assessments.figures import assessment_figures
from tests.assessments.conftest import answer_levels, make_assessment, make_process
from tests.conftest import client_for


@pytest.fixture
def fresh(org, framework):
    return make_assessment(org, framework, [make_process(org, "Press"), make_process(org, "Stock")])


def page(user, name, org, *args) -> str:
    response = client_for(user).get(reverse(name, args=[org.slug, *args]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_figures_know_whether_anything_was_scored(fresh, owner):
    figures = assessment_figures(fresh)
    assert not figures.scored and not figures.answered
    assert [p.scored for p in figures.processes] == [False, False]
    answer_levels(fresh.process_scores.get(process__name="Press"), owner, {1: "not"})
    figures = assessment_figures(fresh)
    assert figures.scored and figures.answered
    assert {p.process.name: p.scored for p in figures.processes} == {"Press": True, "Stock": False}


def test_a_new_assessment_is_not_scored_yet_on_every_page(org, fresh, owner):
    detail = page(owner, "assessments:assessment-detail", org, fresh.pk)
    assert detail.count("not scored yet") == 4  # the SAMR and verified indexes, both processes
    assert "0.00" not in detail and 'class="level level-0"' not in detail

    dashboard = page(owner, "assessments:assessment-dashboard", org, fresh.pk)
    assert "not scored yet" in dashboard and "No answers yet." in dashboard
    assert "The assessors gave the same answers everywhere" not in dashboard
    assert 'data-figure="samr_index">–<' in dashboard
    assert "chart-heatmap" not in dashboard

    overview = page(owner, "org-home", org)
    assert "not scored yet" in overview and "none scored yet" in overview


def test_the_first_answer_scores_its_process_only(org, fresh, owner):
    answer_levels(fresh.process_scores.get(process__name="Press"), owner, {1: "fully"})
    detail = page(owner, "assessments:assessment-detail", org, fresh.pk)
    assert 'class="level level-1"' in detail
    assert detail.count("not scored yet") == 1  # Stock
    dashboard = page(owner, "assessments:assessment-dashboard", org, fresh.pk)
    assert "chart-heatmap" in dashboard and "No answers yet." not in dashboard
