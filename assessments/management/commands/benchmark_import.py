"""Add another install's benchmark pool (from `benchmark_export`) to this one's."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from assessments.pool_exchange import MAX_BYTES, PoolError, pool_import


class Command(BaseCommand):
    help = (
        "Import a benchmark pool file: its entries are added (an entry already held, or one of "
        "this install's own organisations, is skipped), shown as imported from SOURCE, and "
        "never count as verified."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the JSON file benchmark_export wrote")
        parser.add_argument(
            "--source", required=True, help='where it comes from, e.g. "Client installs 2026"'
        )

    def handle(self, *args, file, source, **options):
        path = Path(file)
        try:
            if path.stat().st_size > MAX_BYTES:
                raise PoolError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
            result = pool_import(data=path.read_bytes(), source=source, now=timezone.now())
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except PoolError as error:
            raise CommandError(f"{file}: {error}") from None
        self.stdout.write(f"{result.added} entries added, {result.skipped} already held.")
