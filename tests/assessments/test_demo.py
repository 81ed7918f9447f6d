import io

from django.core.management import call_command

from assessments.demo_data import DEMO_LINKS, PROCESSES
from assessments.figures import assessment_figures
from assessments.models import Assessment
from integration.demo import DEMO_INTEGRATIONS


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


def test_demo_links_name_processes_of_the_same_organisation():
    specs = {spec.name: spec for spec in DEMO_INTEGRATIONS}
    assert set(DEMO_LINKS) == set(specs)
    for name, processes in DEMO_LINKS.items():
        known = {process[0] for process in PROCESSES[specs[name].org]}
        assert processes and set(processes) <= known, name
    assert DEMO_LINKS["Press line 3 vibration to CMMS"] == ["Press line 3 maintenance"]
