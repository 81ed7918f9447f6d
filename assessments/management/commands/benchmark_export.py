"""Write this install's benchmark pool (anonymous entries) for `benchmark_import` elsewhere."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from assessments.pool_exchange import PoolError, pool_export


class Command(BaseCommand):
    help = (
        "Export the benchmark pool: one anonymous entry per opted-in organisation (random "
        "contributor id, industry, assessment month, figures), never a name. Refused with fewer "
        "than five organisations."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "-o", "--output", default="-", help="file to write (default: standard output)"
        )

    def handle(self, *args, output, **options):
        try:
            document = pool_export(now=timezone.now())
        except PoolError as error:
            raise CommandError(str(error)) from None
        text = json.dumps(document, indent=1, sort_keys=True)
        if output == "-":
            self.stdout.write(text)
            return
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
        self.stderr.write(f"{len(document['entries'])} entries written to {output}.")
