"""The benchmark pool as a file, for a consultant to pool benchmarks across installs.

Export: this install's opted-in organisations (never a demo one), each as an anonymous entry
(its random contributor id, industry, assessment month and figures per area and dimension),
never a name or a slug, and never the exact assessment date (a day could single an
organisation out). The K rule holds here too: no file at all with fewer than K contributions,
and an entry keeps its industry only when at least K entries share it (otherwise it counts in
"all industries" only). Verified levels are not exported: an imported entry never counts as
verified.

Import: a strictly validated document (size capped before parsing); each entry is added unless
the pool already holds its contributor id with the same assessment month, or the contributor is
an organisation of this install (its own figures coming back). All or nothing. Older files
carry a full date: it is read, and kept, as its month (stored as the month's first day).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal

from django.db import transaction
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from accounts.models import Industry, Organization
from assessments.benchmarks import K
from assessments.models import BenchmarkEntry
from assessments.pool import local_contributions

FORMAT = "ladder-benchmark-pool"
MAX_BYTES = 5 * 1024 * 1024
MAX_ENTRIES = 20_000

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
Figure = Annotated[float, Field(ge=0, le=4, allow_inf_nan=False)]


def _month_day(value):
    """ "2026-11" reads as the month's first day; a full date (older files) as itself."""
    if isinstance(value, str) and len(value) == 7:
        return f"{value}-01"
    return value


def month_of(day: date) -> date:
    return day.replace(day=1)


Month = Annotated[date, Field(strict=False), BeforeValidator(_month_day), AfterValidator(month_of)]


class PoolError(Exception):
    """The pool cannot be exported or the file cannot be imported; the message says why."""


class EntryDoc(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    contributor: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    industry: Literal["", *Industry.values]
    assessed_on: Month  # "2026-11", or a full date in older files: kept as its month
    areas: Annotated[dict[Key, Figure], Field(max_length=50)]
    dimensions: Annotated[dict[Key, Figure], Field(max_length=50)]


class PoolDoc(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    format: Literal["ladder-benchmark-pool"]
    version: Literal[1]
    exported: Annotated[datetime, Field(strict=False)]
    entries: Annotated[list[EntryDoc], Field(max_length=MAX_ENTRIES)]


@dataclass
class ImportResult:
    added: int
    skipped: int


def pool_export(*, now: datetime) -> dict:
    """The document of this install's contributions, the demo's left out; PoolError below K
    of them."""
    contributions = local_contributions(demo=False)
    if len(contributions) < K:
        raise PoolError(
            f"Fewer than {K} organisations share their figures: there is no pool to export."
        )
    industries = Counter(c.industry for c in contributions)
    return {
        "format": FORMAT,
        "version": 1,
        "exported": now.isoformat(),
        "entries": [
            {
                "contributor": c.contributor,
                "industry": c.industry if industries[c.industry] >= K else "",
                "assessed_on": c.assessed_on.strftime("%Y-%m"),  # the month only
                "areas": c.areas,
                "dimensions": c.dimensions,
            }
            for c in sorted(contributions, key=lambda c: c.contributor)
        ],
    }


def pool_read(data: bytes) -> PoolDoc:
    """The validated document; PoolError saying what is wrong and where."""
    if len(data) > MAX_BYTES:
        raise PoolError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        return PoolDoc.model_validate(json.loads(data))
    except (ValueError, UnicodeDecodeError) as error:
        if isinstance(error, ValidationError):
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise PoolError(f"{where}: {first['msg']}") from None
        raise PoolError(f"The file is not JSON: {error}") from None


def pool_import(*, data: bytes, source: str, now: datetime) -> ImportResult:
    """Add the file's entries to the pool, labelled with `source`, de-duplicated."""
    document = pool_read(data)
    source = source.strip()[:200]
    if not source:
        raise PoolError("Say where the pool comes from (the source label).")
    own = set(
        Organization.objects.exclude(benchmark_contributor="").values_list(
            "benchmark_contributor", flat=True
        )
    )
    added = skipped = 0
    with transaction.atomic():
        held = BenchmarkEntry.objects.values_list("contributor", "assessed_on")
        seen = {(contributor, month_of(day)) for contributor, day in held}
        for entry in document.entries:
            key = (entry.contributor, entry.assessed_on)
            if key in seen or entry.contributor in own:
                skipped += 1
                continue
            seen.add(key)
            BenchmarkEntry.objects.create(
                contributor=entry.contributor,
                assessed_on=entry.assessed_on,
                industry=entry.industry,
                areas=entry.areas,
                dimensions=entry.dimensions,
                source=source,
                imported=now,
            )
            added += 1
    return ImportResult(added=added, skipped=skipped)
