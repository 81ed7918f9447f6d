"""MQTT bookkeeping: per-minute counts, stray topics, and the listeners' liveness."""

from datetime import datetime, timedelta

from django.db import models

from integration.models.integration import Integration


class MqttCount(models.Model):
    """What the MQTT listeners did with one integration's messages in one hour.

    Written by `integration.mqtt.ingest` in the transaction of each batch (one upsert for all
    the batch's integrations); the integration page shows the last 24 hours.
    """

    ORG_FIELD = "integration__organization"
    # Column, label: the outcomes a message can have, in the order the page lists them.
    OUTCOMES = {
        "messages": "Stored messages",
        "points": "Points in them (repeats included)",
        "bad_payload": "Refused: bad payload (not JSON or line protocol, not UTF-8)",
        "too_large": "Refused: too large (bytes or points over the limits)",
        "invalid_point": "Refused: invalid point (NaN, time out of range, bad name or label)",
        "too_many_metrics": "Refused: too many metrics or series",
        "paused": "Refused: integration paused",
        "retained": "Ignored: retained (the broker's copy of an old message, not new data)",
        "sparkplug_gaps": "Sparkplug: messages lost (gaps in the sequence numbers)",
        "rebirths": "Sparkplug: rebirths requested (sequence gap or unknown alias)",
    }
    SPARKPLUG_OUTCOMES = {"sparkplug_gaps", "rebirths"}  # shown for bound integrations only

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="mqtt_counts"
    )
    hour = models.DateTimeField()
    messages = models.PositiveBigIntegerField(default=0)
    points = models.PositiveBigIntegerField(default=0)
    bad_payload = models.PositiveBigIntegerField(default=0)
    too_large = models.PositiveBigIntegerField(default=0)
    invalid_point = models.PositiveBigIntegerField(default=0)
    too_many_metrics = models.PositiveBigIntegerField(default=0)
    paused = models.PositiveBigIntegerField(default=0)
    retained = models.PositiveBigIntegerField(default=0)
    sparkplug_gaps = models.PositiveBigIntegerField(default=0)
    rebirths = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["integration", "hour"], name="unique_mqtt_count_hour")
        ]

    def __str__(self):
        return f"{self.integration_id} {self.hour:%Y-%m-%d %H:00}"

    @classmethod
    def totals(cls, *, integration, since: datetime) -> dict[str, int]:
        """Each outcome's messages (and points) from the hour holding `since` on; one query."""
        hour = since.replace(minute=0, second=0, microsecond=0)
        rows = cls.objects.filter(integration=integration, hour__gte=hour)
        sums = rows.aggregate(**{column: models.Sum(column) for column in cls.OUTCOMES})
        return {column: sums[column] or 0 for column in cls.OUTCOMES}


class MqttStrayCount(models.Model):
    """Messages a listener received that belong to no integration, per hour (the admin shows
    them): a topic under the prefix that is not `<prefix>/<integration id>/telemetry`, or the
    id of no integration. Also logged by the listener, at most once a minute per topic pattern.
    """

    listener = models.CharField(max_length=200, help_text="The listener's MQTT client id.")
    hour = models.DateTimeField()
    unknown_topic = models.PositiveBigIntegerField(default=0)
    unknown_integration = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-hour", "listener"]
        constraints = [
            models.UniqueConstraint(fields=["listener", "hour"], name="unique_mqtt_stray_hour")
        ]

    def __str__(self):
        return f"{self.listener} {self.hour:%Y-%m-%d %H:00}"


class MqttListener(models.Model):
    """A listener client id the broker may hold a persistent session for, and its heartbeat.

    A running listener writes `last_seen` every `MqttListener.HEARTBEAT` seconds. Mosquitto
    keeps sending a share of the telemetry to the session of a member of the group that is not
    running, so an id not retired and not seen for a while strands messages: it is *stale*
    (`telemetry_listeners` and the admin say so) until it runs again or is retired.
    """

    HEARTBEAT = 30  # seconds between heartbeats
    ALIVE = timedelta(seconds=3 * HEARTBEAT)  # seen this recently: its process is running
    STALE_AFTER = timedelta(minutes=5)

    RUNNING, STOPPED, STALE, RETIRED = "running", "stopped", "stale", "retired"

    client_id = models.CharField(max_length=200, unique=True)
    group = models.CharField(max_length=200, help_text="Its shared subscription group.")
    started = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    stopped = models.DateTimeField(
        null=True, blank=True, help_text="Stopped with its session kept (a restart is expected)."
    )
    retired = models.DateTimeField(
        null=True, blank=True, help_text="Its session drained and ended: nothing waits for it."
    )
    backlog = models.PositiveIntegerField(
        default=0, help_text="Messages received and not yet stored, at its last heartbeat."
    )
    errors = models.PositiveIntegerField(
        default=0, help_text="Failed attempts to store a batch and lost connections since start."
    )
    dropped = models.PositiveIntegerField(
        default=0,
        help_text="Messages its Sparkplug host dropped since start, its queue full (the database "
        "too slow): lost, and their edge nodes asked for a rebirth.",
    )

    class Meta:
        ordering = ["client_id"]

    def __str__(self):
        return self.client_id

    def state(self, *, now: datetime, stale_after: timedelta = STALE_AFTER) -> str:
        """`retired`, `stale` (session kept, not seen for `stale_after`), `stopped` or `running`."""
        if self.retired is not None:
            return self.RETIRED
        if self.last_seen is None or now - self.last_seen > stale_after:
            return self.STALE
        return self.STOPPED if self.stopped is not None else self.RUNNING

    def is_alive(self, *, now: datetime) -> bool:
        """Whether its process looks like it is running (a recent heartbeat, not stopped)."""
        return self.state(now=now, stale_after=self.ALIVE) == self.RUNNING

    @classmethod
    def note_started(cls, *, client_id: str, group: str, now: datetime) -> None:
        cls.objects.update_or_create(
            client_id=client_id,
            defaults={
                "group": group,
                "started": now,
                "last_seen": now,
                "stopped": None,
                "retired": None,
                "backlog": 0,
                "errors": 0,
                "dropped": 0,
            },
        )

    @classmethod
    def note_seen(
        cls, *, client_id: str, now: datetime, backlog: int = 0, errors: int = 0, dropped: int = 0
    ) -> None:
        cls.objects.filter(client_id=client_id).update(
            last_seen=now, backlog=backlog, errors=errors, dropped=dropped
        )

    @classmethod
    def note_stopped(cls, *, client_id: str, now: datetime) -> None:
        cls.objects.filter(client_id=client_id).update(last_seen=now, stopped=now)

    @classmethod
    def note_retired(cls, *, client_id: str, group: str, now: datetime) -> None:
        cls.objects.update_or_create(
            client_id=client_id, defaults={"group": group, "stopped": now, "retired": now}
        )
