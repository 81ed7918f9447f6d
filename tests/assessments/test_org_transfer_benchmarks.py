"""An organisation's benchmark opt-in is an owner's consent for one install: it does not move
with `export_org` / `import_org`, and the import says so (in its output and the trail)."""

import json
from io import StringIO

from django.core.management import call_command

from accounts.models import Organization
from accounts.services import benchmark_opt_in_set


def moved(org, tmp_path, slug) -> tuple[Organization, str, str]:
    path = tmp_path / f"{slug}.json"
    exported, imported = StringIO(), StringIO()
    call_command("export_org", org.slug, "-o", str(path), stdout=exported)
    call_command("import_org", str(path), "--slug", slug, stdout=imported)
    return Organization.objects.get(slug=slug), exported.getvalue(), imported.getvalue()


def test_the_opt_in_stays_behind_and_the_import_says_so(org, owner, tmp_path):
    benchmark_opt_in_set(organization=org, user=owner, opt_in=True)
    org.refresh_from_db()
    assert len(org.benchmark_contributor) == 32
    copy, exported, imported = moved(org, tmp_path, "acme-moved")
    assert "benchmark opt-in are not exported" in exported
    document = json.loads((tmp_path / "acme-moved.json").read_text())
    assert "benchmark" not in json.dumps(document["organization"])
    assert org.benchmark_contributor not in json.dumps(document)
    assert (copy.benchmark_opt_in, copy.benchmark_contributor) == (False, "")
    assert "Benchmarks: off here (it shared its figures where it came from)." in imported
    assert "Settings → Benchmarks" in imported
    # the trail it brought says "opted in": the last word is that it shares nothing here
    last = copy.audit_events.filter(subject="benchmarks").order_by("at", "pk").last()
    assert (last.action, last.actor, last.after) == (
        "benchmarks opted out",
        None,
        {"benchmark_opt_in": False},
    )


def test_an_organisation_that_never_shared_arrives_off_with_nothing_added(org, owner, tmp_path):
    copy, _, imported = moved(org, tmp_path, "acme-moved")
    assert not copy.benchmark_opt_in
    assert "Benchmarks: off here. " in imported
    assert not copy.audit_events.filter(subject="benchmarks").exists()
