"""Health of integrations from their telemetry: figures for the pages, events and emails.

The rules are `integration.health`'s (pure); this module reads what they need from the
database, records status changes as `HealthEvent`s and emails the organisation's owners when an
integration goes down and when it recovers.

Several `manage.py telemetry_health` processes may run at once: each claims a transition with
a conditional UPDATE of `Integration.last_status` / `last_status_at` (from the values it read to
the new ones), so exactly one of them records the event and sends its emails.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import Membership, Role
from integration import health
from integration.health import Status
from integration.models import HealthEvent, Integration
from integration.services.series import (
    telemetry_good_shares,
    telemetry_ping_counts,
    telemetry_recent_good_shares,
    telemetry_uptime,
    telemetry_uptimes,
)

__all__ = [
    "UPTIME_WINDOWS",
    "HealthFigures",
    "HealthRun",
    "format_duration",
    "format_freshness",
    "format_share",
    "flapping_integrations",
    "health_check_run",
    "health_event_notify",
    "health_figures",
    "health_figures_list",
    "integration_quality_record",
    "integration_status_record",
]

log = logging.getLogger(__name__)

UPTIME_WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
ERROR_RATE_WINDOW = timedelta(hours=24)
FLAPPING = "flapping"


# --- Figures for the pages --------------------------------------------------------------------


@dataclass(frozen=True)
class HealthFigures:
    """What the pages show of one integration's health at `now`."""

    status: Status
    # When the current status began, if telemetry_health recorded it; None otherwise.
    since: datetime | None
    last_seen: datetime | None
    freshness: timedelta | None
    interval: timedelta = timedelta(0)
    grace: timedelta = timedelta(0)
    # By UPTIME_WINDOWS key; None while new or paused (nothing is expected then).
    uptime: dict[str, float | None] = field(default_factory=dict)
    pings_ok: int = 0
    pings_failed: int = 0
    # By UPTIME_WINDOWS key: the share of readings their devices called good (None: none).
    good: dict[str, float | None] = field(default_factory=dict)
    # Up/down changes within health.FLAPPING_WINDOW, and whether that makes it flapping.
    changes: int = 0
    flapping: bool = False

    @property
    def shown_status(self) -> str:
        """What the pages show: "flapping" for a flapping integration, else its status."""
        return FLAPPING if self.flapping else str(self.status)

    @property
    def interval_display(self) -> str:
        return format_duration(self.interval)

    @property
    def grace_display(self) -> str:
        return format_duration(self.grace)

    @property
    def error_rate(self) -> float | None:
        return health.error_rate(ok=self.pings_ok, failed=self.pings_failed)

    @property
    def freshness_display(self) -> str:
        return format_freshness(self.freshness)

    @property
    def uptime_display(self) -> dict[str, str]:
        return {key: format_share(value) for key, value in self.uptime.items()}

    @property
    def error_rate_display(self) -> str:
        return format_share(self.error_rate)

    @property
    def good_display(self) -> dict[str, str]:
        return {key: format_share(value) for key, value in self.good.items()}


def _figures(
    integration: Integration, now: datetime, uptime: dict, changes: list, **extra
) -> HealthFigures:
    status = integration.status(now=now)
    since = integration.last_status_at if integration.last_status == status else None
    if status in (Status.NEW, Status.PAUSED):
        uptime = dict.fromkeys(uptime)
    return HealthFigures(
        status=status,
        since=since,
        last_seen=integration.last_seen,
        freshness=health.freshness(integration.last_seen, now),
        interval=integration.interval,
        grace=integration.grace,
        uptime=uptime,
        changes=health.up_down_changes(changes, now=now),
        flapping=health.is_flapping(changes=changes, status=status, now=now),
        **extra,
    )


def _recent_changes(integration_ids: list, now: datetime) -> dict:
    """Integration id -> [(previous, status, at)] of its status changes within the flapping
    window (one query)."""
    changes: dict = defaultdict(list)
    if not integration_ids:
        return changes
    rows = HealthEvent.objects.filter(
        integration__in=integration_ids, at__gte=now - health.FLAPPING_WINDOW, at__lte=now
    ).values_list("integration_id", "previous", "status", "at")
    for integration_id, previous, status, at in rows:
        changes[integration_id].append((previous, status, at))
    return changes


def health_figures(*, integration: Integration, now: datetime) -> HealthFigures:
    """Status, flapping, freshness, uptime and good readings over 24 h / 7 d / 30 d and the
    24 h error rate (5 queries)."""
    uptime = telemetry_uptime(integration=integration, windows=UPTIME_WINDOWS, now=now)
    good = telemetry_good_shares(integration=integration, windows=UPTIME_WINDOWS, now=now)
    ok, failed = telemetry_ping_counts(
        integration=integration, start=now - ERROR_RATE_WINDOW, end=now
    )
    changes = _recent_changes([integration.pk], now)[integration.pk]
    return _figures(
        integration,
        now,
        uptime=uptime,
        changes=changes,
        pings_ok=ok,
        pings_failed=failed,
        good=good,
    )


def health_figures_list(
    *, integrations: Iterable[Integration], now: datetime, with_uptime: bool = True
) -> dict:
    """Integration id -> `HealthFigures` with flapping and the 24 h uptime: one query for all
    of them, and one more for the uptime."""
    integrations = list(integrations)
    changes = _recent_changes([i.pk for i in integrations], now)
    uptimes = {}
    if with_uptime:
        uptimes = telemetry_uptimes(
            integrations=integrations, window=UPTIME_WINDOWS["24h"], now=now
        )
    figures = {}
    for integration in integrations:
        uptime = {"24h": uptimes[integration.pk]} if with_uptime else {}
        figures[integration.pk] = _figures(
            integration, now, uptime=uptime, changes=changes[integration.pk]
        )
    return figures


def flapping_integrations(*, organization, now: datetime) -> list[Integration]:
    """The organisation's flapping integrations (see `health.is_flapping`), by name; 2 queries.

    For lists of what needs attention; a page that already has `health_figures_list` reads
    `HealthFigures.flapping` instead."""
    integrations = list(Integration.objects.filter(organization=organization, paused=False))
    changes = _recent_changes([i.pk for i in integrations], now)
    return [
        integration
        for integration in integrations
        if health.is_flapping(
            changes=changes[integration.pk], status=integration.status(now=now), now=now
        )
    ]


def format_freshness(age: timedelta | None) -> str:
    """ "3 s ago", "12 min ago", "5 h ago", "4 d ago", or "never"."""
    if age is None:
        return "never"
    seconds = int(age.total_seconds())
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def format_duration(duration: timedelta) -> str:
    """ "45 s", "5 min", "1 h 30 min", "2 d 3 h": the largest unit and the next, rounded down."""
    seconds = max(int(duration.total_seconds()), 0)
    units = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))
    for index, (unit, size) in enumerate(units):
        if seconds >= size or unit == "s":
            text = f"{seconds // size} {unit}"
            if index + 1 < len(units):
                next_unit, next_size = units[index + 1]
                rest = seconds % size // next_size
                if rest:
                    text += f" {rest} {next_unit}"
            return text
    raise AssertionError("unreachable")


def format_share(share: float | None) -> str:
    """A share from 0 to 1 as a percentage with one decimal, never rounded up to 100 %."""
    if share is None:
        return "—"
    tenths = math.floor(share * 1000 + 1e-9)
    text = f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths / 10:.1f}"
    return f"{text}\u202f%"


# --- Recording status changes -------------------------------------------------------------------


@dataclass
class HealthRun:
    """What one run of `health_check_run` did."""

    checked: int = 0
    baselines: int = 0
    events: list[HealthEvent] = field(default_factory=list)


def health_check_run(*, now: datetime) -> HealthRun:
    """Judge every integration's recent data quality, compute its status at `now`, record each
    change and email owners."""
    run = HealthRun()
    integrations = list(Integration.objects.select_related("organization"))
    shares = telemetry_recent_good_shares(integrations=integrations, now=now)
    for integration in integrations:
        run.checked += 1
        integration_quality_record(integration=integration, share=shares[integration.pk], now=now)
        previous = integration.last_status
        event = integration_status_record(integration=integration, now=now)
        if event is not None:
            run.events.append(event)
        elif not previous and integration.last_status:
            run.baselines += 1
    return run


def integration_quality_record(*, integration: Integration, share: float | None, now) -> None:
    """Note whether `integration` is degraded (its recent readings mostly not good), as
    `Integration.degraded_since`, when that changed."""
    degraded = health.is_degraded(share)
    if degraded == (integration.degraded_since is not None):
        return
    since = now if degraded else None
    Integration.objects.filter(pk=integration.pk).update(degraded_since=since)
    integration.degraded_since = since


def integration_status_record(*, integration: Integration, now: datetime) -> HealthEvent | None:
    """Record `integration`'s status at `now` if it changed; returns the event, if this process
    claimed one.

    The first status recorded is a baseline, not an event (so a first run or a new deployment
    sends no email). The owners are emailed after the event is committed.
    """
    current = integration.status(now=now)
    previous = Status(integration.last_status) if integration.last_status else None
    if previous == current:
        return None
    previous_at = integration.last_status_at
    with transaction.atomic():
        claimed = Integration.objects.filter(
            pk=integration.pk,
            last_status=integration.last_status,
            last_status_at=integration.last_status_at,
        ).update(last_status=current, last_status_at=now)
        if not claimed:
            return None  # another process recorded it (or a newer status) first
        integration.last_status, integration.last_status_at = current, now
        if not health.is_transition(previous, current):
            return None
        event = HealthEvent.objects.create(
            integration=integration, previous=previous, status=current, at=now
        )
    if health.is_down_event(previous, current) or health.is_recovery_event(previous, current):
        health_event_notify(event=event, previous_since=previous_at)
    return event


def health_event_notify(*, event: HealthEvent, previous_since: datetime | None = None) -> int:
    """Email the organisation's owners about a down or recovery event; returns how many.

    A failing mail server is logged and noted on the event, never raised: the event stays
    recorded and the next transitions are still checked.
    """
    integration = event.integration
    owners = list(
        Membership.objects.filter(organization=integration.organization_id, role=Role.OWNER)
        .select_related("user")
        .values_list("user__email", flat=True)
    )
    if not owners:
        _note(event, "No owner to email.")
        return 0
    kind = "down" if event.is_down else "recovered"
    context = {
        "event": event,
        "integration": integration,
        "organization": integration.organization,
        "url": settings.SITE_URL
        + reverse(
            "integration:integration-detail",
            kwargs={"org_slug": integration.organization.slug, "integration_id": integration.pk},
        ),
        "interval": format_duration(integration.interval),
        "grace": format_duration(integration.grace),
        "previous_since": previous_since,
        "previous_for": format_duration(event.at - previous_since) if previous_since else "",
    }
    subject = render_to_string(f"integration/email/{kind}_subject.txt", context)
    body = render_to_string(f"integration/email/{kind}_body.txt", context)
    subject = " ".join(subject.split())
    # One message per owner: owners do not see each other's addresses.
    messages = [EmailMessage(subject, body, to=[email]) for email in owners]
    try:
        sent = get_connection().send_messages(messages) or 0
    except Exception as error:  # any mail backend failure: log it, keep the event
        log.exception("emailing the owners about health event %s failed", event.pk)
        _note(event, f"Email to the owners failed: {type(error).__name__}.")
        return 0
    _note(event, f"Emailed {sent} owner{'s' if sent != 1 else ''}.")
    return sent


def _note(event: HealthEvent, note: str) -> None:
    event.note = note[: HealthEvent._meta.get_field("note").max_length]
    HealthEvent.objects.filter(pk=event.pk).update(note=event.note)
