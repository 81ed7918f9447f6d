"""Finalizing is deliberate and guarded; a final assessment is corrected by a revision, never
changed; trends and the portfolio count finals only (issue 13, defects 1 and 4)."""

from datetime import date

import pytest
from django.urls import reverse

from assessments import lifecycle
from assessments.figures import assessment_figures
from assessments.models import (
    Assessment,
    CriterionAgreement,
    CriterionAnswer,
    ExcludedDimension,
    IllegalTransition,
    ReadinessAnswer,
)
from assessments.reports.content import previous_final
from assessments.reports.portfolio import portfolio_rows
from assessments.services import dimension_scope_set
from audit.models import AuditEvent
from tests.assessments.conftest import (
    answer_dimension,
    answer_levels,
    make_assessment,
    make_process,
    scored_assessment,
)
from tests.conftest import client_for


def url(name, org, *args):
    return reverse(f"assessments:{name}", args=[org.slug, *args])


@pytest.fixture
def disputed(org, framework, owner, member):
    """Press line: level 1 answered fully by the owner and partly by the member (disputed),
    level 2 fully by both; security readiness answered alike; connectivity out of scope."""
    assessment = make_assessment(org, framework, [make_process(org, "Press line")])
    score = assessment.process_scores.get()
    answer_levels(score, owner, {1: "fully", 2: "fully"})
    answer_levels(score, member, {1: "partial", 2: "fully"})
    answer_dimension(assessment, owner, "security", it=3, ot=1)
    answer_dimension(assessment, member, "security", it=3, ot=1)
    dimension_scope_set(
        assessment=assessment, dimension_key="connectivity", in_scope=False, reason="No plant"
    )
    return assessment


def test_the_summary_says_what_the_figures_will_rest_on(disputed):
    figures = assessment_figures(disputed)
    summary = lifecycle.finalize_summary(figures)
    level_1 = len(figures.processes[0].levels[1])
    assert summary.disputed == level_1 == len(figures.disputed)
    assert summary.settled == figures.settled and summary.total == figures.total
    assert summary.unanswered == summary.total - summary.settled - summary.disputed > 0
    assert [name for name, _ in summary.excluded] == ["Connectivity and data access"]
    assert not summary.complete


def test_disputed_answers_refuse_finalizing_without_a_reason(disputed, consultant):
    with pytest.raises(lifecycle.FinalizeRefused, match="disputed"):
        lifecycle.assessment_finalize(assessment=disputed, user=consultant, reason="  ")
    disputed.refresh_from_db()
    assert disputed.state == "draft"
    assert not AuditEvent.objects.filter(action="finalize").exists()

    lifecycle.assessment_finalize(assessment=disputed, user=consultant, reason="Pilot line only")
    disputed.refresh_from_db()
    assert disputed.state == "final" and disputed.finalized is not None
    event = AuditEvent.objects.get(action="finalize")
    figures = assessment_figures(disputed)
    summary = lifecycle.finalize_summary(figures)
    assert event.after == {
        "state": "Final",
        "verified index": 0.0,  # nothing bound, no evidence: every answer rests on the claim
        "settled": f"{summary.settled} of {summary.total}",
        "disputed": summary.disputed,
        "reason": "Pilot line only",
    }


def test_the_page_offers_finalize_as_a_step_not_a_button(org, disputed, consultant):
    body = client_for(consultant).get(url("assessment-detail", org, disputed.pk)).content.decode()
    assert 'value="finalize"' not in body  # no one-click finalize
    assert url("assessment-finalize", org, disputed.pk) in body
    assert "Finalize…" in body


def test_the_old_one_click_finalize_is_refused(org, disputed, consultant):
    response = client_for(consultant).post(
        url("assessment-state", org, disputed.pk), {"action": "finalize"}
    )
    assert response.status_code == 400
    disputed.refresh_from_db()
    assert disputed.state == "draft"


def test_the_confirmation_shows_the_numbers_and_the_refusal_sits_at_the_reason(
    org, disputed, consultant
):
    client = client_for(consultant)
    finalize = url("assessment-finalize", org, disputed.pk)
    summary = lifecycle.finalize_summary(assessment_figures(disputed))
    page = client.get(finalize).content.decode()
    assert f"{summary.settled} of {summary.total}" in page
    assert f"<strong>{summary.disputed}</strong> disputed" in page
    assert f"<strong>{summary.unanswered}</strong> unanswered" in page
    assert "Out of scope: <strong>Connectivity and data access</strong> (No plant)" in page

    refused = client.post(finalize, {"reason": ""})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert 'id="id_reason_error"' in body and "disputed" in body
    disputed.refresh_from_db()
    assert disputed.state == "draft"

    done = client.post(finalize, {"reason": "Pilot line only"}, follow=True)
    disputed.refresh_from_db()
    assert disputed.state == "final"
    assert done.content.decode().count("final and read-only") == 1  # one banner, not two


def test_only_facilitators_finalize(org, disputed, member, viewer, outsider):
    finalize = url("assessment-finalize", org, disputed.pk)
    assert client_for(member).get(finalize).status_code == 403
    assert client_for(member).post(finalize, {"reason": "x"}).status_code == 403
    assert client_for(viewer).get(finalize).status_code == 403
    assert client_for(outsider).get(finalize).status_code == 404
    disputed.refresh_from_db()
    assert disputed.state == "draft"


def test_a_final_assessment_reopens_as_a_revision_and_stays_as_it_was(
    org, disputed, consultant, owner, member
):
    lifecycle.assessment_finalize(assessment=disputed, user=consultant, reason="Pilot")
    final_figures = assessment_figures(disputed)
    CriterionAgreement.objects.create(
        process_score=disputed.process_scores.get(),
        criterion_key=final_figures.processes[0].criteria[0].criterion.key,
        status="largely",
        reason="Seen on site",
        agreed_by=consultant,
    )  # an agreement made before finalizing would be here too; it travels like any other
    before = {
        "answers": CriterionAnswer.objects.filter(process_score__assessment=disputed).count(),
        "readiness": disputed.readiness_answers.count(),
    }

    response = client_for(consultant).post(url("assessment-revise", org, disputed.pk))
    revision = Assessment.objects.get(revision_of=disputed)
    assert response.url == url("assessment-detail", org, revision.pk)
    assert (revision.state, revision.revision, revision.title) == (
        "draft",
        1,
        f"{disputed.title} (revision 1)",
    )
    assert revision.framework == disputed.framework and revision.assessed_on == disputed.assessed_on
    copied = CriterionAnswer.objects.filter(process_score__assessment=revision)
    assert copied.count() == before["answers"]
    assert {a.assessor for a in copied} == {owner, member}
    assert ReadinessAnswer.objects.filter(assessment=revision).count() == before["readiness"]
    assert ExcludedDimension.objects.get(assessment=revision).reason == "No plant"
    assert CriterionAgreement.objects.filter(process_score__assessment=revision).count() == 1
    assert lifecycle.finalize_summary(assessment_figures(revision)) == lifecycle.finalize_summary(
        assessment_figures(disputed)
    )
    client = client_for(consultant)
    page = client.get(url("assessment-detail", org, revision.pk)).content.decode()
    assert "Revision 1 of" in page and url("assessment-detail", org, disputed.pk) in page
    page = client.get(url("assessment-detail", org, disputed.pk)).content.decode()
    assert "A revision is in progress" in page and "Reopen as a revision" in page
    event = AuditEvent.objects.get(action="revised")
    assert event.actor == consultant and event.after == {
        "revision of": disputed.title,
        "revision": 1,
    }

    # The revision changes; the final one does not.
    answer_levels(revision.process_scores.get(), member, {1: "fully"})
    disputed.refresh_from_db()
    assert disputed.state == "final"
    assert (
        CriterionAnswer.objects.filter(process_score__assessment=disputed).count()
        == (before["answers"])
    )
    assert assessment_figures(disputed).samr_index == final_figures.samr_index


def test_only_a_final_assessment_is_revised_and_only_by_a_facilitator(
    org, disputed, consultant, member, outsider
):
    with pytest.raises(IllegalTransition):
        lifecycle.assessment_revise(assessment=disputed, user=consultant)
    disputed.finalize()
    assert client_for(member).post(url("assessment-revise", org, disputed.pk)).status_code == 403
    assert client_for(outsider).post(url("assessment-revise", org, disputed.pk)).status_code == 404
    assert not Assessment.objects.filter(revision_of=disputed).exists()


def test_a_final_revision_supersedes_the_final_it_corrects(org, framework, owner, consultant):
    press = make_process(org, "Press", value=2)
    first = scored_assessment(org, framework, owner, [press], levels={"Press": 1}, title="Q1")
    first.finalize()
    revision = lifecycle.assessment_revise(assessment=first, user=consultant)
    assert list(Assessment.objects.finals()) == [first]  # a draft revision supersedes nothing
    lifecycle.assessment_finalize(assessment=revision, user=consultant)
    assert list(Assessment.objects.finals()) == [revision]
    assert previous_final(revision) is None  # the final it corrects is not "before" it
    second = lifecycle.assessment_revise(assessment=revision, user=consultant)
    assert second.title == "Q1 (revision 2)"


def test_the_portfolio_counts_finals_and_names_a_newer_draft_as_one(
    org, framework, owner, consultant
):
    press = make_process(org, "Press", value=2)
    old = scored_assessment(
        org,
        framework,
        owner,
        [press],
        levels={"Press": 1},
        title="Old",
        assessed_on=date(2026, 1, 1),
    )
    old.finalize()
    new = scored_assessment(
        org,
        framework,
        owner,
        [press],
        levels={"Press": 3},
        title="New",
        assessed_on=date(2026, 3, 1),
    )
    new.finalize()
    draft = make_assessment(
        org, framework, [press], title="Half done", assessed_on=date(2026, 6, 1)
    )

    (row,) = [r for r in portfolio_rows(user=consultant) if r.organization == org]
    assert row.latest == new and row.previous == old and row.draft == draft
    assert row.figures.samr_index == assessment_figures(new).samr_index == 3
    assert row.trend.delta == 2  # final against final, never the draft's 0

    page = client_for(consultant).get("/portfolio/").content.decode()
    assert "Half done" in page and '<span class="state state-draft">Draft</span>' in page
