import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.demo import DEMO_AUDITOR, DEMO_PASSWORD, ORGANIZATIONS
from accounts.models import Membership, Organization, Role, User, window_problem
from assessments.demo_benchmarks import PEERS
from assessments.pool import benchmark_figures


def test_seed_demo_creates_every_role_and_is_idempotent(db, capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    # the four demo organisations, and the peers that give the benchmarks five strangers
    assert Organization.objects.count() == len(ORGANIZATIONS) + len(PEERS) == 13
    demo = Organization.objects.filter(slug__in=[o["slug"] for o in ORGANIZATIONS])
    roles = {
        (m.user.email, m.organization.slug): m.role
        for m in Membership.objects.select_related("user", "organization")
    }
    assert roles[("coo@acme.example", "acme")] == Role.OWNER
    assert roles[("coo@northwind.example", "northwind")] == Role.OWNER
    assert roles[("consultant@ladder.example", "acme")] == Role.CONSULTANT
    for slug in ("northwind", "kestrel", "atlas"):  # enough clients for a report's peers
        assert roles[("consultant@ladder.example", slug)] == Role.CONSULTANT
    assert roles[("engineer@acme.example", "acme")] == Role.MEMBER
    assert roles[("viewer@acme.example", "acme")] == Role.VIEWER
    assert roles[(DEMO_AUDITOR, "acme")] == Role.AUDITOR
    first, last = Membership.objects.get(user__email=DEMO_AUDITOR).window
    assert last == timezone.localdate() and window_problem(first, last) is None
    assert User.objects.get(email="viewer@acme.example").check_password(DEMO_PASSWORD)
    assert all(o.sites.count() >= 2 for o in demo)
    assert "coo@acme.example" in out and DEMO_PASSWORD in out


def test_the_demo_benchmarks_show_for_the_coo_and_the_consultant(db):
    call_command("seed_demo")
    acme = Organization.objects.get(slug="acme")
    assert all(o.benchmark_opt_in for o in Organization.objects.all())
    for email in ("coo@acme.example", "consultant@ladder.example"):
        user = User.objects.get(email=email)
        for industry, verified in (("", False), ("manufacturing", False), ("", True)):
            figures = benchmark_figures(
                organization=acme, user=user, industry=industry, verified=verified
            )
            shown = {r.key for r in figures.rows if r.summary is not None}
            assert "manufacturing" in shown, (email, industry, verified)
    coo = User.objects.get(email="coo@acme.example")
    everyone = benchmark_figures(organization=acme, user=coo, industry="", verified=False)
    full = [r for r in everyone.rows if r.summary is not None and r.summary.q1 is not None]
    assert full, "the COO of Acme sees quartiles: at least 10 strangers contribute"


def test_the_demo_is_marked_and_stays_out_of_pool_exports_and_real_benchmarks(db, tmp_path):
    from assessments.models import FrameworkVersion
    from assessments.pool import benchmark_dict
    from tests.assessments.benchmark_helpers import contributors

    call_command("seed_demo")
    assert all(o.is_demo for o in Organization.objects.all())
    coo = User.objects.get(email="coo@acme.example")
    acme = Organization.objects.get(slug="acme")
    demo_figures = benchmark_dict(benchmark_figures(organization=acme, user=coo))
    # thirteen demo contributors, no real one: nothing to export from a demo install
    with pytest.raises(CommandError, match="Fewer than 5"):
        call_command("benchmark_export", "-o", str(tmp_path / "pool.json"))
    real = contributors(FrameworkVersion.objects.shipped(), [0, 1, 2, 3, 4], prefix="real")
    call_command("benchmark_export", "-o", str(tmp_path / "pool.json"))
    assert len(json.loads((tmp_path / "pool.json").read_text())["entries"]) == 5
    # a real organisation counts the four other real ones only: not five strangers
    owner = real[0].memberships.get().user
    assert not benchmark_figures(organization=real[0], user=owner).any_shown
    # and the demo's figures do not move with the real organisations
    assert benchmark_dict(benchmark_figures(organization=acme, user=coo)) == demo_figures
    assert demo_figures["rows"]
