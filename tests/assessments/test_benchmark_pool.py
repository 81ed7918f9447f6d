"""The benchmark pool as a file: export without names under the K rule, strict import."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Organization
from assessments.models import Assessment, BenchmarkEntry
from assessments.pool_exchange import MAX_BYTES, PoolError, pool_export, pool_import
from tests.assessments.benchmark_helpers import contributor, contributors


def export_text(tmp_path):
    out = tmp_path / "pool.json"
    call_command("benchmark_export", "-o", str(out))
    return out.read_text()


def test_no_file_below_five_contributors(db, framework, tmp_path):
    contributors(framework, [0, 1, 2, 3])
    with pytest.raises(CommandError, match="Fewer than 5"):
        export_text(tmp_path)
    assert not (tmp_path / "pool.json").exists()


def test_the_file_names_no_organisation_and_hides_small_industries(db, framework, tmp_path):
    contributors(framework, [0, 1, 2, 3, 4])
    contributor("lone", framework, 2, industry="energy")
    text = export_text(tmp_path)
    for org in Organization.objects.all():
        assert org.name not in text and org.slug not in text
    document = json.loads(text)
    assert len(document["entries"]) == 6
    industries = sorted(e["industry"] for e in document["entries"])
    assert industries == [""] + ["manufacturing"] * 5  # one energy organisation: no industry
    assert "verified" not in text


def _foreign(document):
    """The document as if from another install: other contributor ids."""
    for i, entry in enumerate(document["entries"]):
        entry["contributor"] = f"{i:032x}"
    return json.dumps(document).encode()


def test_import_adds_de_duplicated_and_labelled(db, framework):
    contributors(framework, [0, 1, 2, 3, 4])
    now = timezone.now()
    document = pool_export(now=now)
    own_back = pool_import(data=json.dumps(document).encode(), source="Back", now=now)
    assert (own_back.added, own_back.skipped) == (0, 5)  # its own figures are not counted twice
    data = _foreign(document)
    first = pool_import(data=data, source="Client installs", now=now)
    again = pool_import(data=data, source="Client installs", now=now)
    assert (first.added, again.added, again.skipped) == (5, 0, 5)
    assert set(BenchmarkEntry.objects.values_list("source", flat=True)) == {"Client installs"}


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["entries"][0].update(areas={"manufacturing": 7}), "entries.0.areas"),
        (lambda d: d["entries"][0].update(contributor="Acme"), "entries.0.contributor"),
        (lambda d: d["entries"][0].update(name="Acme"), "entries.0.name"),
        (lambda d: d["entries"][0].update(industry="mining"), "entries.0.industry"),
        (lambda d: d.update(format="other"), "format"),
    ],
)
def test_a_bad_document_is_refused_whole_with_where(db, framework, change, where):
    contributors(framework, [0, 1, 2, 3, 4])
    document = json.loads(_foreign(pool_export(now=timezone.now())))
    document["entries"][1]["contributor"] = "b" * 32
    change(document)
    with pytest.raises(PoolError, match=f"^{where}"):
        pool_import(data=json.dumps(document).encode(), source="X", now=timezone.now())
    assert BenchmarkEntry.objects.count() == 0


def test_a_large_or_broken_file_is_refused_before_parsing(db, tmp_path):
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (MAX_BYTES + 1))
    with pytest.raises(CommandError, match="larger than"):
        call_command("benchmark_import", str(big), "--source", "X")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(CommandError, match="not JSON"):
        call_command("benchmark_import", str(broken), "--source", "X")


def test_the_file_gives_the_month_not_the_day_and_de_duplicates_by_month(db, framework):
    contributors(framework, [0, 1, 2, 3, 4])
    now = timezone.now()
    document = pool_export(now=now)
    days = {a.assessed_on for a in Assessment.objects.finals()}
    assert {e["assessed_on"] for e in document["entries"]} == {d.strftime("%Y-%m") for d in days}
    assert all(len(e["assessed_on"]) == 7 for e in document["entries"])
    first = pool_import(data=_foreign(document), source="Client installs", now=now)
    assert first.added == 5
    held = {e.assessed_on for e in BenchmarkEntry.objects.all()}
    assert held == {d.replace(day=1) for d in days}
    # the same contributors another day of the same month, from an older file with full dates
    older = json.loads(_foreign(document))
    for entry in older["entries"]:
        entry["assessed_on"] += "-28"
    again = pool_import(data=json.dumps(older).encode(), source="Older file", now=now)
    assert (again.added, again.skipped) == (0, 5)


def test_an_older_file_with_full_dates_is_imported_as_months(db, framework):
    contributors(framework, [0, 1, 2, 3, 4])
    document = json.loads(_foreign(pool_export(now=timezone.now())))
    for entry in document["entries"]:
        entry["assessed_on"] = "2025-03-17"
    document["entries"][0]["assessed_on"] = "2025-04-02"
    result = pool_import(data=json.dumps(document).encode(), source="Old", now=timezone.now())
    assert result.added == 5
    months = sorted(e.assessed_on.isoformat() for e in BenchmarkEntry.objects.all())
    assert months == ["2025-03-01"] * 4 + ["2025-04-01"]


def test_a_malformed_month_is_refused(db, framework):
    contributors(framework, [0, 1, 2, 3, 4])
    document = json.loads(_foreign(pool_export(now=timezone.now())))
    document["entries"][2]["assessed_on"] = "2025-13"
    with pytest.raises(PoolError, match="^entries.2.assessed_on"):
        pool_import(data=json.dumps(document).encode(), source="X", now=timezone.now())
