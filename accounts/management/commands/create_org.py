"""Create an organisation and invite its owner, for scripted installs (no browser, no admin)."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.onboarding import invite_owner, organization_create
from accounts.onboarding_forms import CreateOrgForm
from accounts.services import invitation_link


class Command(BaseCommand):
    help = (
        'Create an organisation and email its owner an invitation: create_org SLUG "Name" '
        "--owner EMAIL. Prints one JSON line with the invitation link."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("name")
        parser.add_argument("--owner", required=True, help="The owner's email address.")
        parser.add_argument("--industry", default="", help="e.g. manufacturing, retail.")

    def handle(self, *args, slug, name, owner, industry, **options):
        form = CreateOrgForm({"slug": slug, "name": name, "owner": owner, "industry": industry})
        if not form.is_valid():
            problems = [
                f"{field}: {error}" for field, errors in form.errors.items() for error in errors
            ]
            raise CommandError("; ".join(problems))
        data = form.cleaned_data
        with transaction.atomic():
            org = organization_create(name=data["name"], industry=data["industry"], slug=slug)
            invitation = invite_owner(org=org, email=data["owner"])
        line = {"organization": org.slug, "invitation_url": invitation_link(invitation)}
        self.stdout.write(json.dumps(line))
