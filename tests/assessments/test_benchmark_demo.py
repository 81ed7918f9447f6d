"""Demo organisations (`Organization.is_demo`, set by seed_demo) form a pool of their own:
never exported, never a real organisation's peer; a demo organisation sees only the demo's."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import Organization
from assessments.models import BenchmarkEntry
from assessments.pool import benchmark_figures
from tests.assessments.benchmark_helpers import contributor, contributors
from tests.conftest import client_for


def demo(orgs):
    Organization.objects.filter(pk__in=[o.pk for o in orgs]).update(is_demo=True)
    for org in orgs:
        org.refresh_from_db()


def manufacturing(figures):
    return next(r for r in figures.rows if r.kind == "area" and r.key == "manufacturing")


def test_demo_organisations_are_left_out_of_the_pool_export(db, framework, tmp_path):
    contributors(framework, [0, 1, 2, 3])
    demo(contributors(framework, [1, 2, 3, 4, 4], prefix="d"))
    out = tmp_path / "pool.json"
    with pytest.raises(CommandError, match="Fewer than 5"):  # four real ones
        call_command("benchmark_export", "-o", str(out))
    contributor("real", framework, 2)
    call_command("benchmark_export", "-o", str(out))
    demo_ids = set(
        Organization.objects.filter(is_demo=True).values_list("benchmark_contributor", flat=True)
    )
    entries = json.loads(out.read_text())["entries"]
    assert len(entries) == 5
    assert not demo_ids & {e["contributor"] for e in entries}


def test_a_real_organisation_never_counts_demo_peers(db, framework):
    own = contributor("own", framework, 2)
    owner = own.memberships.get().user
    contributors(framework, [0, 1, 3, 4])
    demo(contributors(framework, [1, 2, 3, 4, 4], prefix="d"))
    assert manufacturing(benchmark_figures(organization=own, user=owner)).summary is None
    html = client_for(owner).get(reverse("assessments:benchmarks", args=[own.slug])).content
    assert b"Not enough organisations" in html
    contributor("real", framework, 2)
    assert manufacturing(benchmark_figures(organization=own, user=owner)).count == 6


def test_a_demo_organisation_counts_the_demo_only(db, framework):
    own = contributor("own", framework, 2)
    demo([own])
    owner = own.memberships.get().user
    contributors(framework, [0, 1, 2, 3, 4, 4], prefix="real")
    for i in range(5):
        BenchmarkEntry.objects.create(
            contributor=f"{i:032x}",
            assessed_on="2026-11-01",
            areas={"manufacturing": 1.0},
            dimensions={},
            source="Elsewhere",
            imported="2026-11-02T00:00:00Z",
        )
    assert manufacturing(benchmark_figures(organization=own, user=owner)).summary is None
    demo(contributors(framework, [0, 1, 3, 4, 4], prefix="d"))
    figures = benchmark_figures(organization=own, user=owner)
    assert manufacturing(figures).count == 6  # its own and the five demo peers
    assert figures.imported == 0
