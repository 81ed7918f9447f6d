"""Heartbeats of the background loops (`ServiceHeartbeat`): one write per cycle, never fatal."""

import contextlib
import logging
from collections.abc import Iterator

from django.db import DatabaseError, connection
from django.utils import timezone

from integration.models import ServiceHeartbeat

log = logging.getLogger(__name__)


@contextlib.contextmanager
def heartbeat_cycle(*, name: str, instance: str, interval: int) -> Iterator[None]:
    """Run one cycle of the loop `name`, then record its heartbeat: with the error's text when
    the cycle raised (the exception goes on). A database that is down loses the beat only."""
    error = ""
    try:
        yield
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}".strip()
        raise
    finally:
        heartbeat_write(
            ServiceHeartbeat.beat, name=name, instance=instance, interval=interval, error=error
        )


def heartbeat_started(*, name: str, instance: str, interval: int) -> None:
    """A loop starts: its row (new or reset), and rows of gone instances pruned."""
    heartbeat_write(ServiceHeartbeat.note_started, name=name, instance=instance, interval=interval)


def heartbeat_stopped(*, name: str, instance: str) -> None:
    """A loop stopped on purpose: the page says stopped, not stale."""
    heartbeat_write(ServiceHeartbeat.note_stopped, name=name, instance=instance)


def heartbeat_write(note, **kwargs) -> None:
    try:
        note(now=timezone.now(), **kwargs)
    except DatabaseError as error:
        with contextlib.suppress(DatabaseError):
            connection.close()
        log.warning("cannot record the heartbeat of %s: %s", kwargs["name"], error)
