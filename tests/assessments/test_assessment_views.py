from datetime import date

from django.urls import reverse

from assessments.models import Assessment, CriterionAgreement, ProcessScore
from tests.assessments.conftest import answer_levels, make_assessment, make_process
from tests.conftest import client_for


def url(name, org, *args):
    return reverse(f"assessments:{name}", args=[org.slug, *args])


def test_list_shows_assessments_of_the_organisation_only(org, other_org, framework, member):
    make_assessment(org, framework, title="Acme Q4")
    make_assessment(other_org, framework, title="Globex Q4")
    body = client_for(member).get(url("assessment-list", org)).content.decode()
    assert "Acme Q4" in body and "Globex Q4" not in body


def test_member_creates_a_draft_with_chosen_processes(org, member, framework):
    press = make_process(org, "Press line")
    make_process(org, "Stock counts")
    archived = make_process(org, "Old line")
    archived.archived = True
    archived.save()
    client = client_for(member)
    form = client.get(url("assessment-create", org)).content.decode()
    assert "Old line" not in form
    response = client.post(
        url("assessment-create", org),
        {"title": "Q1 2027", "assessed_on": "2027-01-15", "processes": [press.pk]},
    )
    assessment = Assessment.objects.get(title="Q1 2027")
    assert response.url == url("assessment-detail", org, assessment.pk)
    assert assessment.state == "draft" and assessment.assessed_on == date(2027, 1, 15)
    assert list(assessment.process_scores.values_list("process__name", flat=True)) == ["Press line"]
    assert assessment.framework.key == "ladder"


def test_create_refuses_missing_title_and_foreign_process(org, other_org, member, framework):
    theirs = make_process(other_org, "Their line")
    response = client_for(member).post(
        url("assessment-create", org), {"title": "", "processes": [theirs.pk]}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "This field is required" in body
    assert "Select a valid choice" in body
    assert not Assessment.objects.exists()


def test_new_assessment_can_start_from_the_last_final_one(org, owner, framework):
    press = make_process(org, "Press line")
    baseline = make_assessment(org, framework, [press], title="Baseline")
    score = baseline.process_scores.get()
    answer_levels(score, owner, {1: "fully", 2: "largely"})
    score.target_level = 3
    score.save()
    baseline.finalize()
    client_for(owner).post(
        url("assessment-create", org),
        {
            "title": "Follow-up",
            "assessed_on": "2027-03-01",
            "processes": [press.pk],
            "based_on": baseline.pk,
        },
    )
    follow_up = Assessment.objects.get(title="Follow-up")
    new_score = follow_up.process_scores.get()
    assert new_score.target_level == 3
    assert CriterionAgreement.objects.filter(process_score=new_score).count() == 6
    from assessments.figures import assessment_figures

    assert assessment_figures(follow_up).processes[0].current == 2


def test_detail_shows_levels_and_readiness(org, viewer, owner, framework):
    assessment = make_assessment(org, framework, [make_process(org, "Press line")])
    answer_levels(assessment.process_scores.get(), owner, {1: "fully"})
    body = client_for(viewer).get(url("assessment-detail", org, assessment.pk)).content.decode()
    assert "Press line" in body
    assert 'class="level level-1"' in body
    assert "Connectivity and data access" in body


def test_lifecycle_submit_then_finalize_by_facilitator(org, member, consultant, framework):
    assessment = make_assessment(org, framework)
    state_url = url("assessment-state", org, assessment.pk)
    client_for(member).post(state_url, {"action": "submit"})
    assessment.refresh_from_db()
    assert assessment.state == "review"
    finalize_url = url("assessment-finalize", org, assessment.pk)
    assert client_for(member).post(finalize_url).status_code == 403
    assessment.refresh_from_db()
    assert assessment.state == "review"  # members cannot finalize
    client_for(consultant).post(finalize_url)
    assessment.refresh_from_db()
    assert assessment.state == "final" and assessment.finalized is not None


def test_final_cannot_be_reopened_and_says_why(org, owner, framework):
    assessment = make_assessment(org, framework)
    assessment.finalize()
    response = client_for(owner).post(
        url("assessment-state", org, assessment.pk), {"action": "reopen"}, follow=True
    )
    assert "cannot become draft" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.state == "final"


def test_unknown_action_is_400(org, owner, framework):
    assessment = make_assessment(org, framework)
    response = client_for(owner).post(
        url("assessment-state", org, assessment.pk), {"action": "explode"}
    )
    assert response.status_code == 400


def test_viewer_cannot_change_state(org, viewer, framework):
    assessment = make_assessment(org, framework)
    assert (
        client_for(viewer)
        .post(url("assessment-state", org, assessment.pk), {"action": "submit"})
        .status_code
        == 403
    )


def test_state_change_needs_post(org, owner, framework):
    assessment = make_assessment(org, framework)
    assert client_for(owner).get(url("assessment-state", org, assessment.pk)).status_code == 405


def test_process_score_of_another_assessment_is_404(org, owner, framework):
    first = make_assessment(org, framework, [make_process(org, "A")])
    second = make_assessment(org, framework, [make_process(org, "B")], title="Second")
    foreign_score = ProcessScore.objects.get(assessment=second)
    response = client_for(owner).get(url("process-score", org, first.pk, foreign_score.pk))
    assert response.status_code == 404
