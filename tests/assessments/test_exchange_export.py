"""Export of an assessment (JSON, CSV, XLSX): complete, with the same figures, per role."""

import csv
import io
import json

import openpyxl
import pytest
from django.urls import reverse

from assessments.exchange.export import figures_data
from assessments.figures import assessment_figures
from assessments.models import CriterionAgreement
from assessments.scoring import round_figure
from tests.assessments.exchange_checks import exported
from tests.conftest import client_for

# --- export ----------------------------------------------------------------------------------


def test_export_contains_everything(scored, owner, consultant, member):
    data = exported(scored)
    assert data["format"] == "ladder-assessment" and data["version"] == 2
    assert data["framework"] == {
        "key": scored.framework.key,
        "version": scored.framework.version,
        "title": scored.framework.title,
        "data": scored.framework.data,
    }
    assert data["assessment"] == {
        "title": "Q4 baseline",
        "state": "draft",
        "assessed_on": "2026-11-25",
        "site": "Riverside Plant",
    }
    processes = {p["name"]: p for p in data["processes"]}
    assert list(processes) == ["Month-end close", "Press line", "Stock counts"]
    press = processes["Press line"]
    assert {k: press[k] for k in ("area", "site", "owner", "business_value", "description")} == {
        "area": "manufacturing",
        "site": "Riverside Plant",
        "owner": owner.email,
        "business_value": 4,
        "description": "Stamping, two shifts",
    }
    assert (press["target_level"], press["rationale"]) == (3, "Board wants predictive maintenance")
    assert press["evidence"] == "https://wiki.acme.test/press"
    assert len(press["criteria"]) == 9 + 9 + 3  # owner and consultant on 1-3, member on 2
    assert {"assessor", "key", "status", "rationale", "evidence_url"} <= set(press["criteria"][0])
    by_owner = [c for c in press["criteria"] if c["assessor"] == owner.email]
    assert by_owner[0]["evidence_url"] == "https://mes.acme.test/line3"
    assert {c["assessor"] for c in press["criteria"]} == {
        owner.email,
        consultant.email,
        member.email,
    }
    assert len(press["agreements"]) == 3
    assert press["agreements"][0] | {"key": None} == {
        "key": None,
        "status": "largely",
        "reason": "Saw the MES feed",
        "agreed_by": owner.email,
    }
    assert processes["Stock counts"]["agreements"][0]["agreed_by"] == consultant.email
    assert data["excluded_dimensions"] == [{"key": "collaboration", "reason": "No OT team yet"}]
    questions = {d.key: len(d.questions) for d in scored.framework.definition.dimensions}
    assert len(data["readiness_answers"]) == 2 * (
        2 * questions["connectivity"] + questions["security"]
    ) + 2 * (questions["people-skills"] + questions["collaboration"])
    assert data["readiness_agreements"] == [
        {
            "question": scored.framework.definition.dimension("people-skills").questions[0].key,
            "side": "it",
            "value": None,
            "reason": "No IT staff on site",
            "agreed_by": owner.email,
        }
    ]


def test_export_figures_are_the_assessments_figures_rounded(scored):
    figures = assessment_figures(scored)
    data = exported(scored)["figures"]
    assert data["samr_index"] == round_figure(figures.samr_index) is not None
    assert data["target_index"] == round_figure(figures.target_index)
    assert data["overall_readiness"] == round_figure(figures.overall_readiness)
    assert data["convergence_gap"] == round_figure(figures.convergence_gap)
    assert data["distribution"] == {str(k): v for k, v in figures.distribution.items()}
    assert [
        (p["name"], p["current"], p["target"], p["gap"], p["gap_weight"]) for p in data["processes"]
    ] == [(p.process.name, p.current, p.target, p.gap, p.gap_weight) for p in figures.processes]
    assert [
        (d["key"], d["in_scope"], d["it"], d["ot"], d["combined"], d["gap"])
        for d in data["dimensions"]
    ] == [
        (
            d.dimension.key,
            d.in_scope,
            round_figure(d.figures.it),
            round_figure(d.figures.ot),
            round_figure(d.figures.combined),
            round_figure(d.figures.gap),
        )
        for d in figures.dimensions
    ]
    # The example is not trivial: a process at each of levels 1 and 2, a real IT/OT gap.
    assert {p["name"]: p["current"] for p in data["processes"]} == {
        "Month-end close": 1,
        "Press line": 2,
        "Stock counts": 1,
    }
    assert data["convergence_gap"] > 0


# --- views -----------------------------------------------------------------------------------


def export_url(assessment, format):
    return reverse(
        "assessments:assessment-export", args=[assessment.organization.slug, assessment.pk, format]
    )


@pytest.mark.parametrize("format", ["json", "csv", "xlsx"])
def test_a_viewer_downloads_every_format_with_a_filename(scored, viewer, format):
    response = client_for(viewer).get(export_url(scored, format))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="acme-q4-baseline-2026-11-25.{format}"'
    )


def test_the_json_download_is_the_export(scored, member):
    response = client_for(member).get(export_url(scored, "json"))
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["figures"] == figures_data(assessment_figures(scored))


def test_csv_has_a_row_per_criterion_and_per_question_side(scored, owner, consultant, member):
    response = client_for(owner).get(export_url(scored, "csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    definition = scored.framework.definition
    criteria = [r for r in rows if r["Section"] == "Criterion"]
    readiness = [r for r in rows if r["Section"] == "Readiness"]
    assert len(criteria) == 12 + 12 + 11  # manufacturing, retail, finance
    assert len(readiness) == 2 * sum(len(d.questions) for d in definition.dimensions)
    first = definition.criteria_for("manufacturing", 1)[0]
    press = next(r for r in criteria if r["Process"] == "Press line" and r["Key"] == first.key)
    assert press | {"Reason": ""} == {
        "Section": "Criterion",
        "Process": "Press line",
        "Area": "Manufacturing",
        "Level": "1",
        "Criterion": first.text,
        "Dimension": "",
        "Question": "",
        "Side": "",
        "Key": first.key,
        "Agreed answer": "Fully",
        "Settlement": "unanimous",
        "Reason": "",
        consultant.email: "Fully",
        member.email: "",
        owner.email: "Fully",
        "Target level": "3",
        "Current level": "2",
        "Basis": "claim",  # nothing bound, no evidence: the answer alone
        "Checks": "",  # ladder 2026.1 has no checks
        "Verified level": "0",
    }
    question = definition.dimension("connectivity").questions[0]
    ot = next(r for r in readiness if r["Key"] == question.key and r["Side"] == "OT")
    assert (ot["Agreed answer"], ot["Settlement"], ot[owner.email], ot[consultant.email]) == (
        "",
        "disputed",
        "1",
        "2",
    )


def test_csv_cells_that_look_like_formulas_stay_text(scored, owner):
    CriterionAgreement.objects.filter(process_score__assessment=scored).update(
        reason="=HYPERLINK()"
    )
    rows = list(
        csv.DictReader(
            io.StringIO(
                client_for(owner).get(export_url(scored, "csv")).content.decode("utf-8-sig")
            )
        )
    )
    assert "'=HYPERLINK()" in {r["Reason"] for r in rows}


def test_csv_header_cells_that_look_like_formulas_stay_text(scored, owner, member):
    # Assessor emails become column headers; an address may start with a formula character.
    member.email = "=1+2@acme.test"
    member.save()
    text = client_for(owner).get(export_url(scored, "csv")).content.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert "'=1+2@acme.test" in header
    assert not [h for h in header if h[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_xlsx_has_the_five_sheets_and_the_figures(scored, owner):
    CriterionAgreement.objects.filter(process_score__assessment=scored).update(reason="=1+1")
    response = client_for(owner).get(export_url(scored, "xlsx"))
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Summary", "Processes", "Criteria", "Checks", "Readiness"]
    summary = {row[0]: row[1] for row in workbook["Summary"].iter_rows(values_only=True) if row}
    figures = assessment_figures(scored)
    assert summary["SAMR index"] == round_figure(figures.samr_index)
    assert summary["IT/OT convergence gap"] == round_figure(figures.convergence_gap)
    processes = list(workbook["Processes"].iter_rows(values_only=True))
    assert processes[0][:3] == ("Process", "Area", "Site")
    assert [row[0] for row in processes[1:]] == ["Month-end close", "Press line", "Stock counts"]
    criteria = list(workbook["Criteria"].iter_rows(values_only=True))
    assert len(criteria) == 1 + 12 + 12 + 11
    assert "=1+1" in {row[criteria[0].index("Reason")] for row in criteria}  # text, not formula
    readiness = list(workbook["Readiness"].iter_rows(values_only=True))
    assert readiness[0][:3] == ("Dimension", "Question", "Side")


def test_an_unknown_format_is_404(scored, owner):
    assert client_for(owner).get(export_url(scored, "pdf")).status_code == 404


def test_export_is_get_only(scored, owner):
    assert client_for(owner).post(export_url(scored, "json")).status_code == 405


def test_outsider_cannot_export(scored, outsider):
    assert client_for(outsider).get(export_url(scored, "json")).status_code == 404
    own_org_url = export_url(scored, "json").replace("/o/acme/", "/o/globex/")
    assert client_for(outsider).get(own_org_url).status_code == 404
