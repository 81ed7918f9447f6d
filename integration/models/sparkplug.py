"""Sparkplug B host state: each edge node's birth, aliases and sequence, and the host lease."""

from datetime import datetime, timedelta

from django.db import models


class SparkplugNode(models.Model):
    """What the Sparkplug host learnt from an edge node's births: its metric aliases and bdSeq.

    Kept in the database so that a listener taking over as the host (`SparkplugLease`) resolves
    aliases at once, without asking every edge node for a rebirth.
    """

    group = models.CharField(max_length=200)
    node = models.CharField(max_length=200)
    born = models.BooleanField(default=False)  # an NBIRTH was seen: its aliases are known
    bdseq = models.BigIntegerField(null=True, blank=True)
    online = models.BooleanField(default=False)
    # alias (as text) -> [device id ("" for the node), metric name, datatype]
    aliases = models.JSONField(default=dict, blank=True)
    updated = models.DateTimeField(null=True, blank=True)
    rebirth_requested = models.DateTimeField(null=True, blank=True)
    # The last seq stored: the next host checks the node's first message against it.
    seq = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "node"], name="unique_sparkplug_node")
        ]

    def __str__(self):
        return f"{self.group}/{self.node}"


class SparkplugLease(models.Model):
    """Which listener is the Sparkplug primary host `host_id`, until `expires`.

    The holder renews it every few seconds; another listener takes it over once it expired.
    """

    host_id = models.CharField(max_length=200, primary_key=True)
    holder = models.CharField(max_length=200)
    expires = models.DateTimeField()

    def __str__(self):
        return f"{self.host_id}: {self.holder}"

    @classmethod
    def claim(cls, *, host_id: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Take or renew the lease for `holder`; False while another holder's is unexpired."""
        expires = now + ttl
        claimed = (
            cls.objects.filter(host_id=host_id)
            .filter(models.Q(holder=holder) | models.Q(expires__lt=now))
            .update(holder=holder, expires=expires)
        )
        if claimed:
            return True
        cls.objects.bulk_create(
            [cls(host_id=host_id, holder=holder, expires=expires)], ignore_conflicts=True
        )
        return cls.objects.filter(host_id=host_id, holder=holder, expires=expires).exists()

    @classmethod
    def hold(cls, *, host_id: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Renew `holder`'s unexpired lease inside the caller's transaction, which keeps the row
        locked until it commits (no takeover meanwhile); False when it expired or moved."""
        held = cls.objects.filter(host_id=host_id, holder=holder, expires__gte=now)
        return bool(held.update(expires=now + ttl))

    @classmethod
    def release(cls, *, host_id: str, holder: str) -> None:
        cls.objects.filter(host_id=host_id, holder=holder).delete()
