"""Import of an exported assessment, by service and by page: same figures, all or nothing."""

import html
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Site
from assessments.exchange import reading
from assessments.exchange.importing import assessment_import
from assessments.exchange.reading import MAX_IMPORT_BYTES, export_parse, export_read
from assessments.exchange.validation import InvalidExport
from assessments.models import (
    Assessment,
    CriterionAgreement,
    CriterionAnswer,
    FrameworkVersion,
    Process,
    ReadinessAgreement,
    ReadinessAnswer,
)
from tests.assessments.exchange_checks import exported, figures_of, stored_counts
from tests.conftest import client_for

# --- import ----------------------------------------------------------------------------------


def test_round_trip_into_another_organisation_gives_the_same_figures(scored, other_org, outsider):
    imported = assessment_import(organization=other_org, data=exported(scored), user=outsider)
    assert imported.organization == other_org
    assert figures_of(imported) == figures_of(scored)
    assert exported(imported)["figures"] == exported(scored)["figures"]


def test_import_elsewhere_keeps_no_ones_answers_and_settles_them_with_agreements(
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
    # The consultant is a member of globex too, but only the importer's answers come as answers.
    assert not CriterionAnswer.objects.filter(process_score__assessment=imported).exists()
    definition = imported.framework.definition
    level = {n: [c.key for c in definition.criteria_for("manufacturing", n)] for n in (1, 2, 3)}
    agreements = {a.criterion_key: a for a in press.criterion_agreements.all()}
    assert (
        agreements[level[1][0]].reason
        == "Imported from Q4 baseline: unanimous answer of 2 assessors"
    )
    assert agreements[level[1][0]].agreed_by == outsider
    assert (agreements[level[2][0]].reason, agreements[level[2][0]].agreed_by) == (
        "Saw the MES feed",
        None,  # the file names the owner of acme, not the importer
    )
    assert not set(level[3]) & set(agreements), "level 3 was disputed: it stays open"
    stock = imported.process_scores.get(process__name="Stock counts")
    assert stock.criterion_agreements.get(status="na").agreed_by is None
    close = imported.process_scores.get(process__name="Month-end close")
    assert {a.reason for a in close.criterion_agreements.all()} == {
        "Imported from Q4 baseline: unanimous answer of 1 assessor"
    }
    assert imported.excluded_dimensions.get().reason == "No OT team yet"
    assert not ReadinessAnswer.objects.filter(assessment=imported).exists()


def test_import_matches_sites_and_owners_by_name_and_email(scored, other_org, outsider, owner):
    site = Site.objects.create(organization=other_org, name="Riverside Plant")
    data = exported(scored)
    data["processes"][1]["owner"] = outsider.email.upper()
    imported = assessment_import(organization=other_org, data=data, user=outsider)
    press = imported.process_scores.get(process__name="Press line").process
    assert (imported.site, press.site, press.owner) == (site, site, outsider)


def test_import_into_the_same_organisation_keeps_only_the_importers_answers(
    scored, org, consultant
):
    processes = Process.objects.count()
    imported = assessment_import(organization=org, data=exported(scored), user=consultant)
    assert Process.objects.count() == processes  # matched by name
    assert figures_of(imported) == figures_of(scored)
    for model, lookup in (
        (CriterionAnswer, "process_score__assessment"),
        (ReadinessAnswer, "assessment"),
    ):
        assessors = model.objects.filter(**{lookup: imported}).values_list("assessor", flat=True)
        assert set(assessors) == {consultant.pk}
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
        _set(["version"], 3), "version: 3 is not supported; this Ladder reads 1 and 2", id="version"
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
        "framework ladder 2026.2",
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


# --- the import page -------------------------------------------------------------------------


def upload(data: bytes, name="export.json"):
    return SimpleUploadedFile(name, data, content_type="application/json")


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


# --- repeated answers ------------------------------------------------------------------------


def _many_answers(data, n):
    """`n` answers by distinct assessors to the file's first readiness question side."""
    first = data["readiness_answers"][0]
    data["readiness_answers"] += [{**first, "assessor": f"assessor{i}@many.test"} for i in range(n)]
    return data


def test_a_second_answer_by_the_same_assessor_is_refused_with_where_the_first_is(scored):
    data = exported(scored)
    first = data["readiness_answers"][0]
    data["readiness_answers"].append({**first, "value": 0})
    repeat = len(data["readiness_answers"]) - 1
    with pytest.raises(InvalidExport) as refused:
        export_read(data)
    assert refused.value.errors == [
        f"readiness_answers[{repeat}]: a second answer by {first['assessor']} to "
        f"{first['question']} ({first['side']}); the first is readiness_answers[0]"
    ]


def test_checking_for_repeated_answers_takes_time_in_proportion_to_the_answers(scored, monkeypatch):
    # Counts comparisons of question sides instead of timing: 2,000 answers to one question
    # compared pairwise would take about two million.
    comparisons = 0

    class Counted(reading.QuestionSide):
        __hash__ = reading.QuestionSide.__hash__

        def __eq__(self, other):
            nonlocal comparisons
            comparisons += 1
            return tuple.__eq__(self, other)

    monkeypatch.setattr(reading, "QuestionSide", Counted)
    plan = export_read(_many_answers(exported(scored), 2000))
    assert len(plan.readiness[next(iter(plan.readiness))].answers) >= 2000
    assert comparisons < 10 * 2000


# --- whose answers ---------------------------------------------------------------------------


def test_an_import_attributes_no_answer_or_agreement_to_another_member(
    scored, org, owner, member, consultant
):
    imported = assessment_import(organization=org, data=exported(scored), user=consultant)
    others = [owner, member]
    assert not CriterionAnswer.objects.filter(
        process_score__assessment=imported, assessor__in=others
    ).exists()
    assert not ReadinessAnswer.objects.filter(assessment=imported, assessor__in=others).exists()
    assert not CriterionAgreement.objects.filter(
        process_score__assessment=imported, agreed_by__in=others
    ).exists()
    assert not ReadinessAgreement.objects.filter(assessment=imported, agreed_by__in=others).exists()
    assert figures_of(imported) == figures_of(scored)
    named = sorted([owner.email, member.email, consultant.email])
    assert imported.imported_note == (
        f"Imported by {consultant.email} from a file naming the assessors {', '.join(named)}; "
        "the answers here are the importer's or settled as agreements."
    )
    page = client_for(member).get(
        reverse("assessments:assessment-detail", args=[org.slug, imported.pk])
    )
    assert imported.imported_note in html.unescape(page.content.decode())
