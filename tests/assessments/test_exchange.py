"""Export (JSON, CSV, XLSX) and import of an assessment: complete, same figures, all or nothing."""

import csv
import html
import io
import json
from datetime import date

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Site
from assessments.exchange import (
    MAX_IMPORT_BYTES,
    InvalidExport,
    assessment_export,
    assessment_import,
    export_parse,
    figures_data,
)
from assessments.figures import assessment_figures
from assessments.models import (
    Assessment,
    CriterionAgreement,
    CriterionAnswer,
    ExcludedDimension,
    FrameworkVersion,
    Process,
    ProcessScore,
    ReadinessAgreement,
    ReadinessAnswer,
)
from assessments.scoring import round_figure
from tests.assessments.conftest import (
    answer_dimension,
    answer_levels,
    make_assessment,
    make_process,
)
from tests.conftest import client_for

STORED = (
    Assessment,
    ProcessScore,
    Process,
    Site,
    FrameworkVersion,
    CriterionAnswer,
    CriterionAgreement,
    ReadinessAnswer,
    ReadinessAgreement,
    ExcludedDimension,
)


@pytest.fixture
def scored(org, framework, owner, member, consultant):
    """Three processes and readiness answered by three assessors who disagree here and there.

    The consultant is also a member of other_org; the owner and the member are not.
    """
    site = org.sites.get()
    press = make_process(org, "Press line", value=4)
    press.site, press.owner, press.description = site, owner, "Stamping, two shifts"
    press.save()
    stock = make_process(org, "Stock counts", area="retail", value=2)
    close = make_process(org, "Month-end close", area="finance", value=5)
    assessment = make_assessment(
        org, framework, [press, stock, close], site=site, assessed_on=date(2026, 11, 25)
    )
    scores = {s.process.name: s for s in assessment.process_scores.select_related("process")}
    definition = framework.definition

    press_score = scores["Press line"]
    press_score.target_level, press_score.rationale = 3, "Board wants predictive maintenance"
    press_score.evidence = "https://wiki.acme.test/press"
    press_score.save()
    answer_levels(press_score, owner, {1: "fully", 2: "largely", 3: "partial"})
    answer_levels(press_score, consultant, {1: "fully", 2: "largely", 3: "largely"})
    answer_levels(press_score, member, {2: "partial"})
    for criterion in definition.criteria_for("manufacturing", 2):
        CriterionAgreement.objects.create(
            process_score=press_score,
            criterion_key=criterion.key,
            status="largely",
            reason="Saw the MES feed",
            agreed_by=owner,
        )
    CriterionAnswer.objects.filter(process_score=press_score, assessor=owner).update(
        rationale="Checked on the floor", evidence_url="https://mes.acme.test/line3"
    )

    stock_score = scores["Stock counts"]
    answer_levels(stock_score, owner, {1: "fully"})
    CriterionAgreement.objects.create(
        process_score=stock_score,
        criterion_key=definition.criteria_for("retail", 2)[0].key,
        status="na",
        reason="No stores of our own",
        agreed_by=consultant,
    )

    close_score = scores["Month-end close"]
    close_score.target_level = 2
    close_score.save()
    answer_levels(close_score, consultant, {1: "fully"})

    answer_dimension(assessment, owner, "connectivity", it=3, ot=1)
    answer_dimension(assessment, consultant, "connectivity", it=3, ot=2)  # OT disputed
    answer_dimension(assessment, owner, "security", it=2, ot=2)
    answer_dimension(assessment, owner, "people-skills", it=4, ot=1)
    ReadinessAgreement.objects.create(
        assessment=assessment,
        question_key=definition.dimension("people-skills").questions[0].key,
        side="it",
        value=None,
        reason="No IT staff on site",
        agreed_by=owner,
    )
    answer_dimension(assessment, member, "collaboration", it=4, ot=0)
    ExcludedDimension.objects.create(
        assessment=assessment, dimension_key="collaboration", reason="No OT team yet"
    )
    return assessment


def figures_of(assessment):
    """Every figure, unrounded, plus what counts for each criterion and question side."""
    f = assessment_figures(Assessment.objects.get(pk=assessment.pk))
    return {
        "samr_index": f.samr_index,
        "target_index": f.target_index,
        "distribution": f.distribution,
        "overall_readiness": f.overall_readiness,
        "convergence_gap": f.convergence_gap,
        "settled": f.settled,
        "total": f.total,
        "processes": {
            p.process.name: (
                p.process.business_value,
                p.current,
                p.target,
                p.gap,
                p.gap_weight,
                [(c.criterion.key, c.settled.counts and c.settled.value) for c in p.criteria],
            )
            for p in f.processes
        },
        "dimensions": {
            d.dimension.key: (
                d.figures,
                [
                    (q.question.key, s, v.counts and v.value)
                    for q in d.questions
                    for s, v in q.sides.items()
                ],
            )
            for d in f.dimensions
        },
    }


def stored_counts():
    return {model.__name__: model.objects.count() for model in STORED}


def exported(assessment) -> dict:
    """The export as it travels: through JSON text."""
    return json.loads(json.dumps(assessment_export(assessment=assessment)))


# --- export ----------------------------------------------------------------------------------


def test_export_contains_everything(scored, owner, consultant, member):
    data = exported(scored)
    assert data["format"] == "ladder-assessment" and data["version"] == 1
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


# --- import ----------------------------------------------------------------------------------


def test_round_trip_into_another_organisation_gives_the_same_figures(scored, other_org, outsider):
    imported = assessment_import(organization=other_org, data=exported(scored), user=outsider)
    assert imported.organization == other_org
    assert figures_of(imported) == figures_of(scored)
    assert exported(imported)["figures"] == exported(scored)["figures"]


def test_import_elsewhere_keeps_members_answers_and_settles_the_rest_with_agreements(
    scored, other_org, outsider, consultant, owner
):
    imported = assessment_import(organization=other_org, data=exported(scored), user=outsider)
    assert (imported.title, imported.state) == ("Q4 baseline (imported)", "draft")
    assert imported.site is None  # globex has no "Riverside Plant" and none is created
    assert imported.framework == FrameworkVersion.objects.shipped()
    press = imported.process_scores.get(process__name="Press line")
    assert press.process.organization == other_org
    assert (press.process.business_value, press.process.owner, press.process.site) == (
        4,
        None,
        None,
    )
    assert press.target_level == 3
    # Only the consultant is a member of globex: their answers stay theirs, nobody else's come.
    answers = CriterionAnswer.objects.filter(process_score__assessment=imported)
    assert {a.assessor for a in answers} == {consultant}
    definition = imported.framework.definition
    level = {n: [c.key for c in definition.criteria_for("manufacturing", n)] for n in (1, 2, 3)}
    assert set(answers.filter(process_score=press).values_list("criterion_key", flat=True)) == set(
        level[1] + level[2]
    ), "level 3 was disputed: the consultant's answers alone would settle it, so they stay out"
    agreements = {a.criterion_key: a for a in press.criterion_agreements.all()}
    assert (
        agreements[level[1][0]].reason
        == "Imported from Q4 baseline: unanimous answer of 2 assessors"
    )
    assert agreements[level[1][0]].agreed_by == outsider
    assert (agreements[level[2][0]].reason, agreements[level[2][0]].agreed_by) == (
        "Saw the MES feed",
        None,  # the owner of acme is not a member of globex
    )
    stock = imported.process_scores.get(process__name="Stock counts")
    assert stock.criterion_agreements.get(status="na").agreed_by == consultant
    close = imported.process_scores.get(process__name="Month-end close")
    assert not close.criterion_agreements.exists()  # its only assessor came along
    assert imported.excluded_dimensions.get().reason == "No OT team yet"
    assert not ReadinessAnswer.objects.filter(assessment=imported).exclude(assessor=consultant)


def test_import_matches_sites_and_owners_by_name_and_email(scored, other_org, outsider, owner):
    site = Site.objects.create(organization=other_org, name="Riverside Plant")
    data = exported(scored)
    data["processes"][1]["owner"] = outsider.email.upper()
    imported = assessment_import(organization=other_org, data=data, user=outsider)
    press = imported.process_scores.get(process__name="Press line").process
    assert (imported.site, press.site, press.owner) == (site, site, outsider)


def test_import_into_the_same_organisation_copies_every_answer(scored, org, consultant):
    processes = Process.objects.count()
    imported = assessment_import(organization=org, data=exported(scored), user=consultant)
    assert Process.objects.count() == processes  # matched by name
    assert figures_of(imported) == figures_of(scored)
    assert len(assessment_figures(imported).disputed) == len(assessment_figures(scored).disputed)
    for model, lookup in (
        (CriterionAnswer, "process_score__assessment"),
        (CriterionAgreement, "process_score__assessment"),
        (ReadinessAnswer, "assessment"),
        (ReadinessAgreement, "assessment"),
    ):
        assert (
            model.objects.filter(**{lookup: imported}).count()
            == model.objects.filter(**{lookup: scored}).count()
        )
    agreement = CriterionAgreement.objects.filter(process_score__assessment=imported).first()
    assert agreement.agreed_by is not None


def test_an_unknown_framework_version_is_stored_for_the_organisation_once(
    scored, other_org, outsider
):
    data = exported(scored)
    data["framework"]["data"]["criteria"]["manufacturing"]["1"][0]["text"] = "Our own wording"
    first = assessment_import(organization=other_org, data=data, user=outsider)
    assert first.framework.organization == other_org
    assert first.framework.data == data["framework"]["data"]
    assert figures_of(first) == figures_of(scored)
    second = assessment_import(organization=other_org, data=data, user=outsider)
    assert second.framework == first.framework


def test_an_existing_process_with_another_area_or_value_is_refused(scored, other_org, outsider):
    Process.objects.create(organization=other_org, name="Press line", area="retail")
    Process.objects.create(
        organization=other_org, name="Stock counts", area="retail", business_value=5
    )
    before = stored_counts()
    with pytest.raises(InvalidExport) as refused:
        assessment_import(organization=other_org, data=exported(scored), user=outsider)
    assert refused.value.errors == [
        "processes[1].area: 'Press line' is in area retail here but manufacturing in the file, "
        "so its answers would not apply",
        "processes[1].business_value: 'Press line' has business value 3 here but 4 in the file, "
        "so the figures would differ; make them the same and import again",
        "processes[2].business_value: 'Stock counts' has business value 5 here but 2 in the "
        "file, so the figures would differ; make them the same and import again",
    ]
    assert stored_counts() == before


def _drop(path):
    def mutate(data):
        *parents, last = path
        for step in parents:
            data = data[step]
        del data[last]

    return mutate


def _set(path, value):
    def mutate(data):
        *parents, last = path
        for step in parents:
            data = data[step]
        data[last] = value

    return mutate


MALFORMED = [
    pytest.param(
        _set(["format"], "excel"), "format: 'excel' is not a Ladder assessment", id="format"
    ),
    pytest.param(
        _set(["version"], 2), "version: 2 is not supported; this Ladder reads 1", id="version"
    ),
    pytest.param(_drop(["processes"]), "processes: missing", id="missing-key"),
    pytest.param(
        _drop(["processes", 0, "business_value"]),
        "processes[0].business_value: missing",
        id="missing-nested-key",
    ),
    pytest.param(
        _set(["processes", 2, "criteria", 0, "status"], "maybe"),
        "processes[2].criteria[0].status: 'maybe' is not one of not, partial, largely, fully, na",
        id="bad-status",
    ),
    pytest.param(
        _set(["processes", 1, "criteria", 0, "key"], "mfg-9-magic"),
        "processes[1].criteria[0].key: 'mfg-9-magic' is not a criterion of the area manufacturing",
        id="unknown-criterion",
    ),
    pytest.param(
        _set(["readiness_answers", 0, "question"], "telepathy"),
        "readiness_answers[0].question: 'telepathy' is not a readiness question of "
        "framework ladder 2026.1",
        id="unknown-question",
    ),
    pytest.param(
        _set(["readiness_answers", 1, "value"], 7),
        "readiness_answers[1].value: must be a whole number 0 to 4 or null, got 7",
        id="bad-readiness-value",
    ),
    pytest.param(
        _set(["readiness_agreements", 0, "side"], "both"),
        "readiness_agreements[0].side: 'both' is not one of it, ot",
        id="bad-side",
    ),
    pytest.param(
        _set(["processes", 0, "business_value"], "high"),
        "processes[0].business_value: must be a whole number 1 to 5, got 'high'",
        id="bad-business-value",
    ),
    pytest.param(
        _set(["assessment", "assessed_on"], "25/11/2026"),
        "assessment.assessed_on: '25/11/2026' is not a date (YYYY-MM-DD)",
        id="bad-date",
    ),
    pytest.param(
        _set(["processes", 1, "criteria", 0, "evidence_url"], "not a link"),
        "processes[1].criteria[0].evidence_url: 'not a link' is not a web address",
        id="bad-url",
    ),
    pytest.param(
        _set(["processes", 0, "area"], "bakery"),
        "processes[0].area: 'bakery' is not an area of the framework; expected one of "
        "manufacturing, retail, logistics, energy, finance",
        id="unknown-area",
    ),
    pytest.param(
        _drop(["framework", "data", "areas"]),
        "framework.data: areas: missing",
        id="broken-framework",
    ),
    pytest.param(
        _set(["processes", 2, "name"], "Press line"),
        "processes[2].name: 'Press line' is also processes[1]",
        id="duplicate-process",
    ),
    pytest.param(
        _set(["processes"], {"name": "Press line"}),
        "processes: must be a list, got an object",
        id="wrong-type",
    ),
]


@pytest.mark.parametrize("mutate,message", MALFORMED)
def test_a_malformed_export_is_refused_with_where_and_what_and_nothing_is_stored(
    scored, other_org, outsider, mutate, message
):
    data = exported(scored)
    mutate(data)
    before = stored_counts()
    with pytest.raises(InvalidExport) as refused:
        assessment_import(organization=other_org, data=data, user=outsider)
    assert any(error.startswith(message) for error in refused.value.errors), refused.value.errors
    assert stored_counts() == before


def test_every_problem_is_listed_but_not_endlessly(scored, other_org, outsider):
    data = exported(scored)
    for answer in data["readiness_answers"]:
        answer["value"] = 9
    with pytest.raises(InvalidExport) as refused:
        assessment_import(organization=other_org, data=data, user=outsider)
    assert len(refused.value.errors) == 21
    assert refused.value.errors[-1].startswith("… and ")


@pytest.mark.parametrize(
    "raw,message",
    [
        (b"{not json", "not a JSON file: line 1, column 2"),
        (b"\xff\xfe{}", "not a JSON file: byte 0 is not UTF-8 text"),
        (b'{"value": NaN}', "not a JSON file: NaN is not a number JSON allows"),
        (b" " * (MAX_IMPORT_BYTES + 1), "the file is 5.0"),
    ],
)
def test_a_file_that_is_not_json_is_refused(raw, message):
    with pytest.raises(InvalidExport) as refused:
        export_parse(raw)
    assert refused.value.errors[0].startswith(message)


def test_a_list_is_not_an_export(other_org, outsider):
    with pytest.raises(InvalidExport) as refused:
        assessment_import(organization=other_org, data=[], user=outsider)
    assert refused.value.errors == ["top level: must be an object, got a list"]


# --- views -----------------------------------------------------------------------------------


def export_url(assessment, format):
    return reverse(
        "assessments:assessment-export", args=[assessment.organization.slug, assessment.pk, format]
    )


def upload(data: bytes, name="export.json"):
    return SimpleUploadedFile(name, data, content_type="application/json")


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


def test_xlsx_has_the_four_sheets_and_the_figures(scored, owner):
    CriterionAgreement.objects.filter(process_score__assessment=scored).update(reason="=1+1")
    response = client_for(owner).get(export_url(scored, "xlsx"))
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Summary", "Processes", "Criteria", "Readiness"]
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


def test_owner_imports_through_the_page(scored, other_org, outsider):
    url = reverse("assessments:assessment-import", args=[other_org.slug])
    client = client_for(outsider)
    page = client.get(url)
    assert page.status_code == 200
    assert "unanimous answer of N assessors" in html.unescape(page.content.decode())
    content = json.dumps(exported(scored)).encode()
    response = client.post(url, {"file": upload(content)})
    imported = Assessment.objects.get(organization=other_org)
    assert response.status_code == 302
    assert response.url == reverse(
        "assessments:assessment-detail", args=[other_org.slug, imported.pk]
    )
    assert figures_of(imported) == figures_of(scored)


def test_the_page_lists_what_is_wrong_and_stores_nothing(scored, other_org, outsider):
    data = exported(scored)
    data["processes"][2]["criteria"][0]["status"] = "maybe"
    before = stored_counts()
    response = client_for(outsider).post(
        reverse("assessments:assessment-import", args=[other_org.slug]),
        {"file": upload(json.dumps(data).encode())},
    )
    assert response.status_code == 400
    assert (
        "processes[2].criteria[0].status: 'maybe' is not one of not, partial, largely, fully, na"
        in html.unescape(response.content.decode())
    )
    assert stored_counts() == before


def test_the_page_refuses_a_file_that_is_not_json(other_org, outsider):
    response = client_for(outsider).post(
        reverse("assessments:assessment-import", args=[other_org.slug]),
        {"file": upload(b"PK\x03\x04 a spreadsheet")},
    )
    assert response.status_code == 400
    assert "not a JSON file" in response.content.decode()


def test_the_page_refuses_a_body_over_5_mb(other_org, outsider):
    before = stored_counts()
    response = client_for(outsider).post(
        reverse("assessments:assessment-import", args=[other_org.slug]),
        {"file": upload(b" " * (MAX_IMPORT_BYTES + 100 * 1024))},
    )
    assert response.status_code == 413
    assert "larger than 5.0" in html.unescape(response.content.decode())
    assert stored_counts() == before


def test_a_file_just_over_5_mb_is_refused_by_the_form(other_org, outsider):
    response = client_for(outsider).post(
        reverse("assessments:assessment-import", args=[other_org.slug]),
        {"file": upload(b" " * (MAX_IMPORT_BYTES + 1))},
    )
    assert response.status_code == 400
    assert "larger than 5.0" in html.unescape(response.content.decode())


@pytest.mark.parametrize("who", ["viewer", "member"])
def test_only_owners_and_consultants_import(org, who, request):
    client = client_for(request.getfixturevalue(who))
    url = reverse("assessments:assessment-import", args=[org.slug])
    assert client.get(url).status_code == 403
    assert client.post(url, {"file": upload(b"{}")}).status_code == 403


def test_a_consultant_imports_and_an_outsider_gets_404(org, consultant, outsider):
    url = reverse("assessments:assessment-import", args=[org.slug])
    assert client_for(consultant).get(url).status_code == 200
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(outsider).post(url, {"file": upload(b"{}")}).status_code == 404
