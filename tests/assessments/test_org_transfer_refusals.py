"""`import_org` refuses what it cannot store as it was, storing nothing; files and streams."""

import gzip
import io
import json
import sys
import tracemalloc
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Organization, User
from assessments.exchange.validation import InvalidExport
from assessments.models import Assessment, FrameworkVersion, Milestone, Process
from assessments.orgtransfer.exporting import organization_export
from assessments.orgtransfer.files import MAX_DOCUMENT_BYTES, document_read
from integration.models import HealthEvent, Integration, MinuteRollup
from tests.assessments.org_transfer_helpers import demo_acme, export, import_, read


@pytest.fixture
def acme(db):
    return demo_acme()


def test_a_gzip_file_and_standard_output(acme, tmp_path):
    path = export(acme, tmp_path=tmp_path, name="acme.json.gz")
    with open(path, "rb") as f:
        assert f.read(2) == b"\x1f\x8b"
    import_(path, "--slug", "acme-gz")
    assert Organization.objects.filter(slug="acme-gz").exists()

    out = StringIO()
    call_command("export_org", "acme", stdout=out)
    document = json.loads(out.getvalue())
    assert (document["format"], document["version"]) == ("ladder-organization", 3)
    assert document == json.loads(json.dumps(organization_export(organization=acme))) | {
        "exported_at": document["exported_at"]
    }


def stored_counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (
            Organization,
            User,
            Process,
            Assessment,
            Milestone,
            Integration,
            HealthEvent,
            FrameworkVersion,
            MinuteRollup,
        )
    }


def _last_assessment_figures_changed(document):
    document["assessments"][-1]["export"]["figures"]["samr_index"] += 1


def _unknown_milestone_owner(document):
    document["roadmaps"][0]["milestones"][-1]["owner"] = "nobody@elsewhere.test"


def _broken_rollup(document):
    document["integrations"][-1]["metrics"][0]["series"][0]["hour_rollups"][0][1] = "many"


def _rollup_counting_more_bad_readings_than_readings(document):
    row = document["integrations"][-1]["metrics"][0]["series"][0]["hour_rollups"][0]
    row[7:9] = [1, row[1]]  # one uncertain and every reading bad


def _repeated_rollup(document):
    rows = document["integrations"][0]["metrics"][0]["series"][0]["minute_rollups"]
    rows.append(rows[0])


def _answer_to_an_unknown_criterion(document):
    document["assessments"][0]["export"]["processes"][0]["criteria"][0]["key"] = "made-up"


def _bad_milestone_status(document):
    document["roadmaps"][0]["milestones"][0]["status"] = "half-done"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(format="ladder-assessment"), "format: 'ladder-assessment'"),
        (
            lambda d: d.update(version=4),
            "version: 4 is not supported; this Ladder reads 1, 2 and 3",
        ),
        (lambda d: d.pop("version"), "version: null is not supported"),
        (lambda d: d["organization"].update(slug="northwind"), "'northwind' is taken"),
        (lambda d: d["organization"].update(slug="not a slug!"), "organization.slug:"),
        (_last_assessment_figures_changed, r"assessments\[2\]\.export\.figures: .*samr_index"),
        (_unknown_milestone_owner, "'nobody@elsewhere.test' is not one of the document's people"),
        (_broken_rollup, r"hour_rollups\[0\]\[1\]: must be a whole number"),
        (_repeated_rollup, "the database refused it"),
        (
            _rollup_counting_more_bad_readings_than_readings,
            r"hour_rollups\[0\]: 1 uncertain and \d+ bad readings of only \d+",
        ),
        (_answer_to_an_unknown_criterion, r"assessments\[0\]\.export\.processes\[0\]"),
        (_bad_milestone_status, r"roadmaps\[0\]\.milestones\[0\]\.status"),
        (lambda d: d.pop("processes"), "processes: missing"),
        (
            lambda d: d["processes"][0].update(area="space"),
            r"processes\[0\]\.area: 'space' is not an area of the document's frameworks",
        ),
        (
            lambda d: d["frameworks"][0].update(version="9"),
            r"frameworks\[0\]: key and version differ from data's acme-ladder 1",
        ),
        (lambda d: d["audit"][0].update(area="gossip"), r"audit\[0\]\.area:"),
        (lambda d: d["audit"][0].update(area=["roadmaps"]), r"audit\[0\]\.area:"),
        (lambda d: d["audit"][0].update(roadmap=99), r"audit\[0\]\.roadmap:"),
    ],
)
def test_a_refused_file_says_what_is_wrong_and_stores_nothing(acme, tmp_path, change, problem):
    path = export(acme, tmp_path=tmp_path)
    document = read(path)
    document["organization"]["slug"] = "acme-copy"
    change(document)
    (tmp_path / "changed.json").write_text(json.dumps(document))
    before = stored_counts()

    with pytest.raises(CommandError, match=problem) as refused:
        import_(str(tmp_path / "changed.json"))

    assert "nothing was stored" in str(refused.value)
    assert stored_counts() == before


def test_a_slug_already_taken_is_refused(acme, tmp_path):
    path = export(acme, tmp_path=tmp_path)
    before = stored_counts()
    with pytest.raises(CommandError, match="'acme' is taken in this install; .* --slug"):
        import_(path)
    assert stored_counts() == before


def test_a_file_that_is_not_json_is_refused(db, tmp_path):
    (tmp_path / "notes.json").write_text("coo@acme.example, owner\n")
    with pytest.raises(CommandError, match="not a JSON file: line 1"):
        import_(str(tmp_path / "notes.json"))
    with pytest.raises(CommandError, match="cannot be read"):
        import_(str(tmp_path / "missing.json"))
    assert not Organization.objects.exists()


def test_standard_input_is_read_with_a_dash(acme, tmp_path, monkeypatch):
    path = export(acme, tmp_path=tmp_path)
    with open(path, "rb") as f:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(f.read())))
    output = import_("-", "--slug", "acme-stdin")
    assert "Imported Acme Precision Components as /o/acme-stdin/" in output
    assert Organization.objects.get(slug="acme-stdin").assessments.count() == 3


def test_an_unknown_organisation_is_refused(db):
    with pytest.raises(CommandError, match="no organisation with the slug 'nope'"):
        call_command("export_org", "nope", stdout=StringIO())


# Size: the document is read and decompressed as a stream, never past the cap.


def bomb(tmp_path, megabytes: int) -> str:
    """A gzip file of a few KB that expands to `megabytes` MB (a JSON string of spaces)."""
    path = tmp_path / "bomb.json.gz"
    with gzip.open(path, "wb") as f:
        f.write(b'{"format": "ladder-organization", "x": "')
        for _ in range(megabytes):
            f.write(b" " * 1024 * 1024)
        f.write(b'"}')
    return str(path)


def test_a_gzip_bomb_is_refused_without_being_expanded(db, tmp_path):
    path = bomb(tmp_path, 64)
    tracemalloc.start()
    try:
        with pytest.raises(InvalidExport) as refused:
            document_read(path, max_bytes=1024 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.errors == [
        f"{path}: the document is over 1 MB (after decompression); nothing was read further "
        "(import_org --max-mb raises the limit)"
    ]
    assert peak < 8 * 1024 * 1024  # 64 MB when the whole file was inflated first


def test_import_org_refuses_a_document_over_max_mb_and_stores_nothing(db, tmp_path):
    path = bomb(tmp_path, 3)
    with pytest.raises(CommandError, match=r"nothing was stored:\n  .*over 2 MB.*--max-mb"):
        import_(path, "--max-mb", "2")
    plain = tmp_path / "big.json"
    plain.write_bytes(b'{"x": "' + b" " * 3 * 1024 * 1024 + b'"}')
    with pytest.raises(CommandError, match="over 2 MB"):
        import_(str(plain), "--max-mb", "2")
    assert not Organization.objects.exists()


def test_the_default_cap_is_far_above_a_real_export(acme, tmp_path):
    path = export(acme, "--with-points", tmp_path=tmp_path, name="acme.json.gz")
    with gzip.open(path) as f:
        assert len(f.read()) < MAX_DOCUMENT_BYTES // 100
