"""The background loops' liveness: one row per running instance, rewritten once per cycle."""

import os
import socket
from datetime import datetime, timedelta

from django.db import models

ERROR_CHARS = 500  # the last error is kept this long: enough to recognise it, not a log


def instance_name(*, loop: bool) -> str:
    """`host:pid` for a loop (one row per process), the host alone for a one-shot run from
    cron, so that a run every minute rewrites one row instead of adding one."""
    host = socket.gethostname()[:150]
    return f"{host}:{os.getpid()}" if loop else host


class ServiceHeartbeat(models.Model):
    """One instance of a background loop (the health loop, the evaluator, the broker sync):
    when it last finished a cycle, how often it means to, and its errors.

    Each cycle is one conditional UPDATE of its own row (`beat`), so the table does not grow
    with the cycles; an instance starting removes the rows of its loop's dead instances on its
    host and those not heard from for `PRUNE_AFTER` (`note_started`). The MQTT listeners keep
    their own rows (`MqttListener`).
    """

    HEALTH, EVALUATOR, BROKER_SYNC = "health", "evaluator", "broker-sync"
    MILESTONES = "milestones"  # assessments' milestones_verify, a cron run every 5 min
    PRUNE_AFTER = timedelta(days=7)

    name = models.CharField(max_length=40)
    instance = models.CharField(max_length=200, help_text="host:pid, or the host for cron.")
    interval = models.PositiveIntegerField(help_text="Seconds between its cycles.")
    started = models.DateTimeField()
    last_beat = models.DateTimeField()
    stopped = models.DateTimeField(null=True, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=ERROR_CHARS, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "instance"]
        constraints = [
            models.UniqueConstraint(fields=["name", "instance"], name="unique_service_instance")
        ]

    def __str__(self):
        return f"{self.name} {self.instance}"

    def is_stale(self, *, now: datetime) -> bool:
        """Not stopped and no cycle finished in three of its intervals."""
        return self.stopped is None and now - self.last_beat > self.stale_after

    @property
    def stale_after(self) -> timedelta:
        return timedelta(seconds=3 * self.interval)

    @classmethod
    def note_started(cls, *, name: str, instance: str, interval: int, now: datetime) -> None:
        """A loop starts: it replaces its host's stopped or stale instances (a restart under
        a new pid), and rows of any host not heard from for `PRUNE_AFTER` go."""
        host = instance.rpartition(":")[0] or instance
        same_host = cls.objects.filter(name=name, instance__startswith=f"{host}:")
        gone = [row.pk for row in same_host if row.stopped or row.is_stale(now=now)]
        old = models.Q(name=name, last_beat__lt=now - cls.PRUNE_AFTER)
        cls.objects.filter(old | models.Q(pk__in=gone)).exclude(instance=instance).delete()
        cls.objects.update_or_create(
            name=name,
            instance=instance,
            defaults={"interval": interval, "started": now, "last_beat": now, "stopped": None},
        )

    @classmethod
    def beat(
        cls, *, name: str, instance: str, interval: int, now: datetime, error: str = ""
    ) -> None:
        """A cycle ended (with `error` if it failed): one UPDATE, an INSERT the first time."""
        changes = {"last_beat": now, "interval": interval, "stopped": None}
        if error:
            changes |= {
                "error_count": models.F("error_count") + 1,
                "last_error": error[:ERROR_CHARS],
                "last_error_at": now,
            }
        if cls.objects.filter(name=name, instance=instance).update(**changes):
            return
        row = cls(name=name, instance=instance, interval=interval, started=now, last_beat=now)
        if error:
            row.error_count, row.last_error, row.last_error_at = 1, error[:ERROR_CHARS], now
        cls.objects.bulk_create([row], ignore_conflicts=True)  # another run may have won

    @classmethod
    def note_stopped(cls, *, name: str, instance: str, now: datetime) -> None:
        cls.objects.filter(name=name, instance=instance).update(stopped=now)
