"""Benchmark entries imported from other installs' pools (`manage.py benchmark_import`).

An entry is one anonymous contribution: a random contributor id, an industry, the date of the
assessment, and a figure per area and readiness dimension. No organisation, no name. Entries of
this install are never stored: they are read from the opted-in organisations when needed.
Imported entries count in the claimed-level benchmarks, labelled, and never as verified.
"""

from django.db import models
from django.utils import timezone


class BenchmarkEntry(models.Model):
    contributor = models.CharField(max_length=64)
    assessed_on = models.DateField()
    industry = models.CharField(max_length=20, blank=True)
    areas = models.JSONField(default=dict)  # area key -> mean claimed SAMR level
    dimensions = models.JSONField(default=dict)  # dimension key -> readiness, IT and OT
    source = models.CharField(max_length=200)  # where the pool came from, as told at import
    imported = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["assessed_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contributor", "assessed_on"], name="unique_benchmark_entry"
            )
        ]

    def __str__(self):
        return f"benchmark entry {self.contributor[:8]} of {self.assessed_on}"
