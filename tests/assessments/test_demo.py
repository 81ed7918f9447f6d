import io

from django.core.management import call_command

from assessments.figures import assessment_figures
from assessments.models import Assessment


def test_demo_has_a_final_baseline_and_a_disputed_draft_per_organisation(db):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # idempotent
    for slug in ("acme", "northwind"):
        assessments = {a.title: a for a in Assessment.objects.filter(organization__slug=slug)}
        assert set(assessments) == {"Baseline, last quarter", "Current assessment"}
        baseline, draft = assessments["Baseline, last quarter"], assessments["Current assessment"]
        assert baseline.state == "final" and draft.state == "draft"
        before, after = assessment_figures(baseline), assessment_figures(draft)
        assert after.samr_index > before.samr_index  # the organisation moved up the ladder
        assert before.disputed == [] and len(after.disputed) > 0  # assessors disagree on a few
        assert after.progress >= 80
