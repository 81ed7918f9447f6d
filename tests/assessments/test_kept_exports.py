"""Every export file an earlier version wrote still imports, with the figures it states.

The files in tests/fixtures/exports/ are kept, never regenerated (see the README there): a new
format version adds a file, and this test must pass on each one.
"""

import gzip
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Organization
from assessments.exchange.export import figures_data
from assessments.exchange.importing import assessment_import
from assessments.exchange.reading import export_parse
from assessments.figures import assessment_figures
from assessments.models import Assessment, CriterionAnswer, ReadinessAnswer
from tests.conftest import client_for

KEPT = Path(__file__).resolve().parent.parent / "fixtures" / "exports"
ASSESSMENTS = sorted(KEPT.glob("assessment-*.json"))
ORGANIZATIONS = sorted(KEPT.glob("organization-*.json*"))

# What the files say, written out so that a file read differently fails here too.
STATED = {
    "assessment-v1.json": {"samr_index": 1.81, "processes": 6, "answers": 142},
    "assessment-own-framework-v1.json": {"samr_index": 2.0, "processes": 1, "answers": 9},
    "assessment-v2.json": {"samr_index": 1.81, "processes": 6, "answers": 142},
    "assessment-own-framework-v2.json": {"samr_index": 2.0, "processes": 1, "answers": 9},
}
ORGANIZATION_STATED = {
    "organization-v1.json.gz": {
        "Baseline, last quarter": {"samr_index": 1.14, "processes": 6, "answers": 71},
        "Current assessment": {"samr_index": 1.81, "processes": 6, "answers": 142},
        "On our own ladder": {"samr_index": 2.0, "processes": 1, "answers": 9},
    },
    "organization-v2.json.gz": {
        "Baseline, last quarter": {"samr_index": 1.14, "processes": 6, "answers": 71},
        "Current assessment": {"samr_index": 1.81, "processes": 6, "answers": 142},
        "On our own ladder": {"samr_index": 2.0, "processes": 1, "answers": 9},
    },
}


def figures(assessment) -> dict:
    return figures_data(assessment_figures(Assessment.objects.get(pk=assessment.pk)))


def test_every_kept_file_states_its_figures_here():
    assert {p.name for p in ASSESSMENTS} == set(STATED)
    assert {p.name for p in ORGANIZATIONS} == set(ORGANIZATION_STATED)


@pytest.mark.parametrize("path", ASSESSMENTS, ids=lambda p: p.name)
def test_kept_assessment_export_imports_with_its_figures(path, other_org, outsider):
    data = export_parse(path.read_bytes())
    stated = STATED[path.name]
    assert data["figures"]["samr_index"] == stated["samr_index"]
    assert len(data["processes"]) == stated["processes"]
    assert sum(len(p["criteria"]) for p in data["processes"]) == stated["answers"]

    imported = assessment_import(organization=other_org, data=data, user=outsider)

    assert figures(imported) == data["figures"]
    assert figures(imported)["samr_index"] == stated["samr_index"]
    assert imported.process_scores.count() == stated["processes"]


@pytest.mark.parametrize("path", ASSESSMENTS, ids=lambda p: p.name)
def test_kept_assessment_export_imports_through_the_page(path, other_org, outsider):
    url = reverse("assessments:assessment-import", args=[other_org.slug])
    upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type="application/json")

    response = client_for(outsider).post(url, {"file": upload})

    assert response.status_code == 302
    imported = other_org.assessments.get()
    assert response.url == reverse(
        "assessments:assessment-detail", args=[other_org.slug, imported.pk]
    )
    assert figures(imported) == json.loads(path.read_bytes())["figures"]


@pytest.mark.parametrize("path", ORGANIZATIONS, ids=lambda p: p.name)
def test_kept_organization_document_imports_with_its_figures(path, db):
    raw = path.read_bytes()
    document = json.loads(gzip.decompress(raw) if path.suffix == ".gz" else raw)
    in_file = {a["export"]["assessment"]["title"]: a["export"] for a in document["assessments"]}
    stated = ORGANIZATION_STATED[path.name]
    assert {t: e["figures"]["samr_index"] for t, e in in_file.items()} == {
        t: s["samr_index"] for t, s in stated.items()
    }

    # Twice: as it is into an empty install, then under a new slug beside the first copy
    # (people and framework already there, integration ids taken).
    for slug in (document["organization"]["slug"], "kept-copy"):
        call_command("import_org", str(path), "--slug", slug, stdout=StringIO())
        org = Organization.objects.get(slug=slug)

        assert org.name == document["organization"]["name"]
        assert org.processes.count() == len(document["processes"])
        assert org.integrations.count() == len(document["integrations"])
        for title, export in in_file.items():
            assessment = org.assessments.get(title=title)
            assert figures(assessment) == export["figures"]
            assert figures(assessment)["samr_index"] == stated[title]["samr_index"]
            assert assessment.process_scores.count() == stated[title]["processes"]
            answers = CriterionAnswer.objects.filter(process_score__assessment=assessment)
            assert answers.count() == stated[title]["answers"]
            assert ReadinessAnswer.objects.filter(assessment=assessment).count() == len(
                export["readiness_answers"]
            )
        assert [r.milestones.count() for r in org.roadmaps.order_by("title")] == [
            len(r["milestones"]) for r in sorted(document["roadmaps"], key=lambda r: r["title"])
        ]


def test_a_kept_export_on_an_older_shipped_version_keeps_that_version(other_org, outsider):
    """New assessments start on the newest shipped version; an export made on 2026.1 still
    lands on the shipped 2026.1, not on a copy owned by the organisation."""
    data = export_parse((KEPT / "assessment-v1.json").read_bytes())

    imported = assessment_import(organization=other_org, data=data, user=outsider)

    assert imported.framework.organization is None
    assert (imported.framework.key, imported.framework.version) == ("ladder", "2026.1")
