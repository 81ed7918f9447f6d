"""Create an organisation from a document written by `export_org`: all of it or nothing."""

from argparse import RawDescriptionHelpFormatter

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from assessments.exchange.validation import InvalidExport
from assessments.orgtransfer.files import MAX_DOCUMENT_BYTES, document_read
from assessments.orgtransfer.importing import organization_import

HELP = """Import an organisation exported with export_org, as a new organisation.

All or nothing: a file in another format or version, a slug already taken here or data that
does not check out is refused with what is wrong and where, and nothing is stored. Every
assessment must give the same figures as in the file.

People are matched by email; the ones missing here are created without a password (set one
with `manage.py changepassword EMAIL`). Integrations keep their id when no integration here
has it, since devices are configured with it; otherwise they get a new one and the import
lists them. Ingest tokens are never exported: issue new ones for every integration. The
organisation does not share figures in this install's benchmarks until an owner opts in here.

The document may hold at most --max-mb MB of JSON (512 by default), counted after gzip
decompression, which stops there: a bigger file is refused before it fills the memory.

  manage.py import_org acme.json.gz
  manage.py import_org acme.json --slug acme-copy --name "Acme (copy)"
  manage.py import_org - < acme.json                (standard input)
"""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser):
        parser.add_argument("file", help="the exported document (.json or .json.gz; - for stdin)")
        parser.add_argument("--slug", help="import under this slug instead of the file's")
        parser.add_argument("--name", help="import under this name instead of the file's")
        parser.add_argument(
            "--max-mb",
            type=int,
            default=MAX_DOCUMENT_BYTES // (1024 * 1024),
            help="refuse more JSON than this, counted after decompression (%(default)s)",
        )

    def handle(self, *args, file, slug, name, max_mb, **options):
        if max_mb < 1:
            raise CommandError("--max-mb must be at least 1")
        try:
            data = document_read(file, max_bytes=max_mb * 1024 * 1024)
            report = organization_import(data=data, slug=slug, name=name)
        except InvalidExport as exc:
            problems = "\n  ".join(exc.errors)
            raise CommandError(
                f"{file} was not imported; nothing was stored:\n  {problems}"
            ) from None
        except DatabaseError as exc:  # what the checks let through, e.g. a rollup there twice
            raise CommandError(
                f"{file} was not imported; nothing was stored: the database refused it ({exc})"
            ) from None
        org = report.organization
        counts = ", ".join(f"{n} {what}" for what, n in report.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Imported {org.name} as /o/{org.slug}/: {counts}."))
        if report.people_created:
            self.stdout.write(
                f"{len(report.people_created)} people were created without a password; they "
                "cannot log in until one is set (manage.py changepassword EMAIL):"
            )
            for email in report.people_created:
                self.stdout.write(f"  {email}")
        for integration, old, new in report.new_ids:
            self.stdout.write(
                f"Integration {integration!r} has a new id {new} ({old} is taken here): "
                "reconfigure its devices."
            )
        for framework in report.frameworks_stored:
            self.stdout.write(
                f"Framework {framework} is not shipped here; stored as the organisation's own."
            )
        # Sharing figures with the peers of an install is an owner's consent for that install:
        # it never moves with the organisation (the document does not carry it).
        self.stdout.write(
            "Benchmarks: off here"
            + (" (it shared its figures where it came from)" if report.benchmarks_left else "")
            + ". Sharing anonymous figures in this install's benchmarks takes an owner's "
            "opt-in here (Settings → Benchmarks); an opt-in does not move with the organisation."
        )
        if report.integrations:
            self.stdout.write(
                "Ingest tokens are not exported: issue new tokens for "
                + ", ".join(report.integrations)
                + "."
            )
