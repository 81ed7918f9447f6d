from django.urls import reverse

from tests.assessments.conftest import answer_levels, make_assessment, make_process
from tests.conftest import client_for


def test_overview_shows_the_latest_assessment_figures(
    org, owner, framework, django_assert_max_num_queries
):
    assessment = make_assessment(
        org, framework, [make_process(org, "Press line", value=2)], title="Autumn"
    )
    answer_levels(assessment.process_scores.get(), owner, {1: "fully", 2: "fully"})
    client = client_for(owner)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("org-home", args=[org.slug]))
    body = response.content.decode()
    assert "Autumn" in body
    assert '<span class="figure-value">2.00</span>' in body  # one process at level 2


def test_overview_without_assessments_says_where_to_start(org, owner):
    body = client_for(owner).get(reverse("org-home", args=[org.slug])).content.decode()
    assert "Start here" in body
