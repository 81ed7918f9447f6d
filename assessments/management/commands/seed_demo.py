from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, PEOPLE, demo_accounts_create
from assessments.demo import demo_assessments_create, demo_roadmaps_create
from assessments.demo_benchmarks import demo_benchmarks_create
from assessments.demo_outcomes import demo_outcomes_create
from assessments.demo_verification import demo_verification_create
from integration.demo import demo_integrations_create


class Command(BaseCommand):
    help = "Create or refresh the demo organisations and users (idempotent)."

    def handle(self, *args, **options):
        orgs = demo_accounts_create()
        demo_integrations_create(orgs)
        demo_assessments_create(orgs)
        demo_roadmaps_create(orgs)
        demo_verification_create(orgs)
        demo_benchmarks_create(orgs)
        demo_outcomes_create(orgs)
        self.stdout.write(
            self.style.SUCCESS(f"Demo ready: {', '.join(o.name for o in orgs.values())}")
        )
        self.stdout.write(
            f"Log in at {settings.SITE_URL}/accounts/login/ with password {DEMO_PASSWORD!r} as:"
        )
        for email, first, last, _firm, roles in PEOPLE:
            where = ", ".join(
                f"{role.label.lower()} of {orgs[slug].name}" for slug, role in roles.items()
            )
            self.stdout.write(f"  {email:<28} {first} {last}: {where}")
