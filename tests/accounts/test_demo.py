from django.core.management import call_command
from django.utils import timezone

from accounts.demo import DEMO_AUDITOR, DEMO_PASSWORD
from accounts.models import Membership, Organization, Role, User, window_problem


def test_seed_demo_creates_every_role_and_is_idempotent(db, capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert Organization.objects.count() == 4
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
    assert all(o.sites.count() >= 2 for o in Organization.objects.all())
    assert "coo@acme.example" in out and DEMO_PASSWORD in out
