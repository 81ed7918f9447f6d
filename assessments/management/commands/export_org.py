"""Write a whole organisation to one JSON document that `import_org` reads in another install."""

from argparse import RawDescriptionHelpFormatter

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from assessments.orgtransfer.exporting import organization_export
from assessments.orgtransfer.files import document_text, document_write

HELP = """Export an organisation, with everything in it, to one JSON document.

The document holds the organisation and its sites, the people it refers to (by email), the
memberships, its own frameworks and the shipped ones it uses, processes, assessments with every
assessor's answers, the agreements and their state, roadmaps with milestones, acceptance
criteria, comments and the activity log, integrations with their metrics, series, minute and
hour rollups and health events, and the audit trail. Raw points only with --with-points (the
rollups carry the charts and the health figures). Ingest tokens, open invitations, logos, PDF
reports and the benchmark opt-in (an owner's consent for this install) are not exported.

  manage.py export_org acme -o acme.json.gz      (gzip when the name ends in .gz)
  manage.py export_org acme > acme.json          (standard output without -o)
  manage.py import_org acme.json.gz              (in the other install)
"""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the organisation's slug, as in its URLs")
        parser.add_argument(
            "-o", "--output", default="-", help="file to write (default: standard output)"
        )
        parser.add_argument(
            "--with-points", action="store_true", help="include the raw telemetry points"
        )

    def handle(self, *args, slug, output, with_points, **options):
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"no organisation with the slug {slug!r}")
        document = organization_export(organization=organization, with_points=with_points)
        if output == "-":  # on standard output the document is all there is
            self.stdout.write(document_text(document))
            return
        size = document_write(document, output)
        self.stdout.write(
            f"Exported {organization.name} to {output} ({size:,} bytes): "
            f"{len(document['assessments'])} assessments, {len(document['roadmaps'])} "
            f"roadmaps, {len(document['integrations'])} integrations. Ingest tokens and the "
            "benchmark opt-in are not exported."
        )
