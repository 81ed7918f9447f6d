"""Judge every bound check and tell people when a verified level changes: once, or --loop.

A round is `evaluate_round` (each check over its window ending now) then `drift_round`
(a verified level that dropped or recovered is emailed and audited once). Safe to run in
several processes at once: they split the checks between them (SELECT ... FOR UPDATE SKIP
LOCKED) and a level change is claimed by one of them (docs/VERIFICATION.md).
"""

import logging
import signal
import threading
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from accounts.models import Organization
from assessments.verified.drift import drift_round
from assessments.verified.evaluate import MIN_GAP, evaluate_round
from integration.models import ServiceHeartbeat
from integration.models.heartbeat import instance_name
from integration.services.heartbeat import heartbeat_cycle, heartbeat_started, heartbeat_stopped

EVERY_SECONDS = 300
log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Judge every bound check on live data and email owners, consultants and process "
        "owners when a process's verified level drops or recovers. One round, or --loop."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop", action="store_true", help="run rounds until SIGTERM or SIGINT"
        )
        parser.add_argument(
            "--every",
            type=int,
            default=EVERY_SECONDS,
            metavar="SECONDS",
            help=(
                "a round starts every SECONDS with --loop, at once if the last took longer "
                f"(default {EVERY_SECONDS})"
            ),
        )
        parser.add_argument("--org", metavar="SLUG", help="only this organisation's checks")

    def handle(self, *args, loop=False, every=EVERY_SECONDS, org=None, **options):
        if every < 1:
            raise CommandError("--every must be at least 1 second.")
        organization = None
        if org:
            organization = Organization.objects.filter(slug=org).first()
            if organization is None:
                raise CommandError(f"No organisation {org!r}.")
        # The operations page reads each round's heartbeat (ServiceHeartbeat, one row a process).
        self.instance, self.every = instance_name(loop=loop), every
        # A round's chunks spread over half of --every, each stamped when judged: a steady
        # share of a core, not bursts. What was judged less than half of --every ago belongs
        # to another evaluator's round, not ours to judge again; a full --every would leave a
        # check judged one round ago for the round after (--every 60 with a 60 s gap did).
        self.spread, self.stop = (every / 2 if loop else 0.0), None
        self.gap = timedelta(seconds=every) / 2 if loop else MIN_GAP
        if not loop:
            self.round(organization)
            return
        heartbeat_started(name=ServiceHeartbeat.EVALUATOR, instance=self.instance, interval=every)
        stop = self.stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        while not stop.is_set():
            close_old_connections()
            started = time.monotonic()
            try:
                self.round(organization)
            except Exception:  # e.g. the database restarting: try again next round
                log.exception("evaluate_checks: this round failed; next one in %s s", every)
                stop.wait(every)
                continue
            # A round starts every `every` s, at once when the last took longer: the checks are
            # judged at the cadence asked for, not every `every` s plus a round's time.
            stop.wait(max(0.0, every - (time.monotonic() - started)))
        heartbeat_stopped(name=ServiceHeartbeat.EVALUATOR, instance=self.instance)
        self.stdout.write("Stopped.")

    def round(self, organization):
        with heartbeat_cycle(
            name=ServiceHeartbeat.EVALUATOR, instance=self.instance, interval=self.every
        ):
            self.judge(organization)

    def judge(self, organization):
        now = timezone.now()
        checks = evaluate_round(
            now=None if self.spread else now,  # each chunk stamped when judged
            organization=organization,
            gap=self.gap,
            spread=self.spread,
            stop=self.stop,
        )
        drift = drift_round(now=now, organization=organization, gap=self.gap)
        self.stdout.write(
            f"{now:%Y-%m-%d %H:%M:%S} {checks.evaluated} checks judged: {checks.passing} "
            f"passing, {checks.failing} failing, {checks.not_tested} not tested; "
            f"{drift.changes} verified level change{'s' if drift.changes != 1 else ''}, "
            f"{drift.emails} email{'s' if drift.emails != 1 else ''} sent."
        )
