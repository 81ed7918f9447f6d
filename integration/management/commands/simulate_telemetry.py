"""Send live demo telemetry (see `integration.simulator` and `integration.demo`)."""

import os
import random

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from integration.demo import DEMO_INTEGRATIONS, demo_feeds, demo_simulator_tokens
from integration.simulator.transports import HttpTransport, MqttTransport, Unavailable, run


class Command(BaseCommand):
    help = (
        "Send realistic live telemetry for the demo organisations' integrations over HTTP or "
        "MQTT (the dead one stays silent, the flaky one drops out). Run seed_demo first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--transport", choices=["http", "mqtt"], default="http")
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000", help="the Ladder server (HTTP transport)"
        )
        parser.add_argument(
            "--mqtt-url", default=None, help="the broker (MQTT transport); default: MQTT_URL"
        )
        parser.add_argument(
            "--interval", type=float, default=5, help="seconds between rounds (default 5)"
        )
        parser.add_argument("--once", action="store_true", help="send one round and exit")
        parser.add_argument(
            "--org", choices=sorted({spec.org for spec in DEMO_INTEGRATIONS}), default=None
        )
        parser.add_argument("--seed", type=int, default=None, help="seed the signal noise")

    def handle(self, *args, transport, url, mqtt_url, interval, once, org, seed, **options):
        if interval < 0.5:
            raise CommandError("--interval must be at least 0.5 seconds")
        found = demo_feeds(org_slug=org)
        if not found:
            raise CommandError("no demo integrations found: run `python manage.py seed_demo`")
        feeds = [spec.feed(str(integration.pk)) for integration, spec in found]
        if transport == "http":
            tokens = demo_simulator_tokens([integration for integration, _ in found])
            sender = HttpTransport(url, tokens)
            where = url
        else:
            where = mqtt_url or settings.MQTT_URL
            try:
                sender = MqttTransport(where, client_id=f"ladder-simulator-{os.getpid()}")
            except ValueError as error:
                raise CommandError(str(error)) from None
        self.stdout.write(
            f"Simulating {len(feeds)} integrations over {transport} to {where}"
            + ("" if once else f" every {interval:g} s (Ctrl-C stops)")
        )

        def say(message):
            self.stdout.write(f"{timezone.now():%H:%M:%S} {message}")

        try:
            totals = run(
                feeds,
                sender,
                interval=interval,
                once=once,
                rng=random.Random(seed),
                give_up_after=60 if once else None,
                say=say,
            )
        except Unavailable as error:
            raise CommandError(f"gave up: {error}") from None
        except KeyboardInterrupt:
            return
        finally:
            sender.close()
        self.stdout.write(
            f"Sent {totals.points} points, {totals.pings} pings ({totals.fail_pings} failed), "
            f"{totals.refused} refused"
        )
