"""Verified maturity in the exports (JSON, CSV, XLSX, the organisation document) and the PDF:
the same figures as `assessment_verification`, surviving a move; a final assessment's stay."""

import csv
import io
import json

import openpyxl
import pytest

from assessments.exchange.export import assessment_export
from assessments.exchange.importing import assessment_import
from assessments.exchange.spreadsheets import assessment_csv, assessment_xlsx
from assessments.exchange.verification_data import check_since
from assessments.figures import assessment_figures
from assessments.lifecycle import assessment_finalize
from assessments.models import Assessment
from assessments.models.verification import (
    CheckBinding,
    CriterionEvidence,
    ProcessCheck,
    VerificationSnapshot,
)
from assessments.orgtransfer.exporting import VERSION, organization_export
from assessments.orgtransfer.importing import organization_import
from assessments.scoring import format_figure
from assessments.verified.bindings import check_bind
from assessments.verified.evaluate import evaluate_round
from assessments.verified.status import assessment_verification
from integration.models import Integration
from tests.assessments.conftest import NOW, answer_levels, make_assessment, make_process
from tests.assessments.report_pdfs import build_report, pdf_of, pdf_text
from tests.assessments.test_verified_evaluate import DAY, feed

PASSING = "mfg-2-machine-data-arrives"  # uptime over 7 days, fed and evaluated: passing
OVERDUE = "mfg-2-live-oee-fresh"  # failing for ten days: past its 7 days of grace


@pytest.fixture
def case(org, framework, owner, frozen):
    """A process claiming level 2: one check passing on real rollups, one overdue, and
    accepted evidence for every level 1 criterion, so it is verified at level 1."""
    line = Integration.objects.create(
        organization=org, name="Press line", created=NOW - 30 * DAY, interval_seconds=300
    )
    process = make_process(org)
    process.integrations.add(line)
    assessment = make_assessment(org, framework, [process], created_by=owner)
    answer_levels(assessment.process_scores.get(), owner, {1: "fully", 2: "fully", 3: "not"})
    definition = framework.definition
    for key in (PASSING, OVERDUE):
        check_bind(
            process=process,
            framework=framework,
            check_key=key,
            role=definition.check(key).roles[0],
            integration=line,
            user=owner,
        )
    feed(line, start=NOW - 8 * DAY, end=NOW)
    evaluate_round(now=NOW)
    ProcessCheck.objects.filter(check_key=OVERDUE).update(
        state="failing", failing_since=NOW - 10 * DAY, measured=7200.0
    )
    for criterion in definition.criteria_for("manufacturing", 1):
        CriterionEvidence.objects.create(
            process=process,
            criterion_key=criterion.key,
            description=f"Audit record for {criterion.key}",
            effective=(NOW - 10 * DAY).date(),
            accepted=NOW - 9 * DAY,
            accepted_by=owner,
            added_by=owner,
        )
    return assessment


def verification(assessment, now=NOW):
    figures = assessment_figures(Assessment.objects.get(pk=assessment.pk))
    return assessment_verification(figures, now=now)


def test_the_case_is_not_trivial(case):
    process = next(iter(verification(case).processes.values()))
    assert (process.claimed, process.verified) == (2, 1)
    standings = {c.key: c.standing for v in process.criteria for c in v.checks}
    assert standings[PASSING] == "passing" and standings[OVERDUE] == "overdue"
    bases = {c.key: c.basis for c in process.criteria}
    assert bases["mfg-1-digital-records"] == "evidence"
    assert bases["mfg-2-machine-data"] == "data" and bases["mfg-2-live-oee"] == "claim"


# --- JSON ------------------------------------------------------------------------------------


def test_the_json_export_carries_the_verification(case):
    data = assessment_export(assessment=case, now=NOW)
    expected = next(iter(verification(case).processes.values()))
    assert data["version"] == 2
    (process,) = data["verification"]["processes"]
    assert process["name"] == "Press line 3 maintenance"
    assert (process["claimed_level"], process["verified_level"]) == (2, 1)
    assert (process["data"], process["evidence"], process["claim"]) == (
        expected.data,
        expected.evidence,
        expected.claim,
    )
    criteria = {c["key"]: c for c in process["criteria"]}
    assert {k: c["basis"] for k, c in criteria.items()} == {
        c.key: c.basis for c in expected.criteria
    }
    checks = {c["key"]: c for v in criteria.values() for c in v["checks"]}
    passing, overdue = checks[PASSING], checks[OVERDUE]
    assert list(passing)[:6] == ["key", "status", "measured", "threshold", "window", "since"]
    assert (passing["status"], passing["measured"], passing["threshold"], passing["window"]) == (
        "passing",
        pytest.approx(1.0),
        0.95,
        "7d",
    )
    assert passing["since"] == NOW.isoformat()  # its only history run began at NOW
    assert (overdue["status"], overdue["since"]) == ("overdue", (NOW - 10 * DAY).isoformat())
    assert data["verification"]["verified_index"] == verification(case).verified_index
    json.dumps(data)  # all of it JSON


def test_a_json_export_imports_as_a_draft_that_works_it_out_live(case, other_org, outsider):
    data = json.loads(json.dumps(assessment_export(assessment=case, now=NOW)))
    imported = assessment_import(organization=other_org, data=data, user=outsider)
    assert imported.state == "draft"
    assert not VerificationSnapshot.objects.filter(assessment=imported).exists()
    process = next(iter(verification(imported).processes.values()))
    # Nothing is bound or evidenced in the other organisation: the claim alone.
    assert (process.claimed, process.verified) == (2, 0)


# --- CSV and XLSX ----------------------------------------------------------------------------


def test_csv_and_xlsx_carry_basis_checks_and_verified_level(case):
    expected = next(iter(verification(case).processes.values()))
    rows = list(csv.DictReader(io.StringIO(assessment_csv(assessment=case, now=NOW))))
    criteria = {r["Key"]: r for r in rows if r["Section"] == "Criterion"}
    for c in expected.criteria:
        assert criteria[c.key]["Basis"] == c.basis
        assert criteria[c.key]["Verified level"] == "1"
    machine = criteria["mfg-2-machine-data"]["Checks"]
    assert f"{PASSING}: passing (1 / 0.95, 7d, since {NOW.isoformat()})" in machine
    assert f"{OVERDUE}: overdue (7200 / " in criteria["mfg-2-live-oee"]["Checks"]

    book = openpyxl.load_workbook(io.BytesIO(assessment_xlsx(assessment=case, now=NOW)))
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True) if r}
    assert summary["Verified index"] == pytest.approx(verification(case).verified_index)
    header, *processes = book["Processes"].iter_rows(values_only=True)
    row = dict(zip(header, processes[0], strict=True))
    assert (row["Current level"], row["Verified level"]) == (2, 1)
    assert (row["Met on data"], row["Met on evidence"], row["Met on claim"]) == (
        expected.data,
        expected.evidence,
        expected.claim,
    )
    header, *checks = book["Checks"].iter_rows(values_only=True)
    by_name = {r[2]: dict(zip(header, r, strict=True)) for r in checks}
    overdue = next(r for r in by_name.values() if r["Status"] == "overdue")
    assert overdue["Since"] == (NOW - 10 * DAY).isoformat()
    assert overdue["Bound by"] == "Press line (owner@acme.test)"


# --- The organisation document ---------------------------------------------------------------


def test_a_moved_organisation_keeps_checks_bindings_evidence_and_frozen_figures(case, owner):
    final = case
    assessment_finalize(assessment=final, user=owner)
    frozen_before = verification(final)
    document = json.loads(json.dumps(organization_export(organization=final.organization)))
    assert document["version"] == VERSION  # 2 brought verification; later versions keep it
    assert {c["check_key"] for c in document["checks"]} == {PASSING, OVERDUE}
    assert len(document["evidence"]) == 3

    report = organization_import(data=document, slug="acme-moved")
    org = report.organization
    checks = ProcessCheck.objects.filter(process__organization=org)
    assert {(c.check_key, c.state) for c in checks} == {(PASSING, "passing"), (OVERDUE, "failing")}
    bindings = CheckBinding.objects.filter(process_check__process__organization=org)
    assert {b.integration.name for b in bindings} == {"Press line"}
    assert {b.integration.organization_id for b in bindings} == {org.pk}
    assert CriterionEvidence.objects.filter(process__organization=org, accepted__isnull=False)
    assert report.counts["check bindings"] == 2

    moved = org.assessments.get()
    assert moved.is_final and VerificationSnapshot.objects.filter(assessment=moved).exists()
    # Much later, with the checks long stale here: the final assessment's figures stay.
    after = verification(moved, now=NOW + 60 * DAY)
    assert after.verified_index == frozen_before.verified_index
    (was,) = frozen_before.processes.values()
    (now,) = after.processes.values()
    assert now.model_dump(exclude={"process_id"}) == was.model_dump(exclude={"process_id"})


def test_a_moved_draft_works_out_the_same_standing_live(case):
    document = json.loads(json.dumps(organization_export(organization=case.organization)))
    org = organization_import(data=document, slug="acme-draft").organization
    moved = org.assessments.get()
    assert not VerificationSnapshot.objects.filter(assessment=moved).exists()
    (was,) = verification(case).processes.values()
    (now,) = verification(moved).processes.values()
    assert (now.claimed, now.verified, now.data, now.evidence, now.claim) == (
        was.claimed,
        was.verified,
        was.data,
        was.evidence,
        was.claim,
    )


def test_a_document_with_a_check_on_an_unknown_integration_is_refused(case):
    from assessments.exchange.validation import InvalidExport

    document = json.loads(json.dumps(organization_export(organization=case.organization)))
    document["checks"][0]["bindings"][0]["integration"] = "Nowhere"
    with pytest.raises(InvalidExport, match=r"checks\[0\]\.bindings\[0\]\.integration"):
        organization_import(data=document, slug="acme-bad")


def test_a_final_assessment_with_broken_verification_data_is_refused(case, owner):
    from assessments.exchange.validation import InvalidExport

    assessment_finalize(assessment=case, user=owner)
    document = json.loads(json.dumps(organization_export(organization=case.organization)))
    verification_data = document["assessments"][0]["export"]["verification"]
    verification_data["processes"][0]["verified_level"] = "high"
    with pytest.raises(InvalidExport, match=r"assessments\[0\]\.export\.verification"):
        organization_import(data=document, slug="acme-broken")
    assert not ProcessCheck.objects.filter(process__organization__slug="acme-broken").exists()


# --- The PDF ---------------------------------------------------------------------------------


def section(text: str) -> str:
    start = text.index("Claimed vs verified The claimed level")
    return text[start : text.index("Integration health", start)]


@pytest.mark.usefixtures("media")
def test_the_pdf_shows_the_verification_figures(
    case, consultant, django_capture_on_commit_callbacks
):
    report = build_report(consultant, case, capture=django_capture_on_commit_callbacks)
    text = pdf_text(pdf_of(report))
    expected = verification(case)
    index = format_figure(expected.verified_index)
    assert f"VERIFIED INDEX {index} of 4" in text  # the label is set in capitals
    (process,) = expected.processes.values()
    row = f"Press line 3 maintenance 2 Augmentation 1 Substitution {process.data} "
    row += f"{process.evidence} {process.claim}"
    part = section(text)
    assert row in part, part
    names = {c.key: c.name for v in process.criteria for c in v.checks}
    assert names[PASSING] in part and names[OVERDUE] in part
    assert "Passing, measured 1" in part and "Overdue, measured 7200" in part
    assert "Press line (" in part and "bound by owner@acme.test" in part
    since = check_since(next(c for v in process.criteria for c in v.checks if c.key == OVERDUE))
    assert f"since {since:%-d %b %Y, %H:%M}" in part
    assert report.figures["verification"]["verified_index"] == index
    # Unbound checks are counted, not listed: the board reads the checks that judge data.
    unbound = [c for v in process.criteria for c in v.checks if c.standing == "unbound"]
    assert unbound and all(c.name not in part for c in unbound)
    assert f"{len(unbound)} more checks of the framework on these processes are not bound" in (
        " ".join(part.split())
    )


@pytest.mark.usefixtures("media")
def test_a_final_assessments_pdf_never_changes_when_the_checks_do(
    case, owner, consultant, django_capture_on_commit_callbacks, frozen
):
    assessment_finalize(assessment=case, user=owner)
    first = section(
        pdf_text(pdf_of(build_report(consultant, case, capture=django_capture_on_commit_callbacks)))
    )
    frozen.move_to(NOW + 20 * DAY)
    evaluate_round(now=NOW + 20 * DAY)  # the data stopped: the passing check fails
    CheckBinding.objects.filter(process_check__check_key=OVERDUE).delete()
    assert ProcessCheck.objects.get(check_key=PASSING).state == "failing"
    second = section(
        pdf_text(pdf_of(build_report(consultant, case, capture=django_capture_on_commit_callbacks)))
    )
    assert second == first
    assert "Passing, measured 1" in second
