"""Provision an integration from a script: prints {"id": "...", "token": "..."} on one line.

With MQTT_ADMIN_URL set, the token also becomes the integration's MQTT password; if the broker
cannot be told, stderr says so and the token works over HTTP only.
"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Organization
from integration.mqtt import brokerauth
from integration.services import integration_create


class Command(BaseCommand):
    help = "Create an integration with an ingest token; prints one JSON line with both."

    def add_arguments(self, parser):
        parser.add_argument("org_slug")
        parser.add_argument("name")
        parser.add_argument(
            "--interval", type=int, default=300, help="expected reporting interval in seconds"
        )
        parser.add_argument(
            "--grace", type=int, default=None, help="grace period in seconds (default: interval)"
        )
        parser.add_argument(
            "--sparkplug",
            metavar="GROUP/EDGE[/DEVICE]",
            default="",
            help="bind it to a Sparkplug B edge node (or one of its devices)",
        )

    def handle(self, *args, org_slug, name, interval, grace, sparkplug, **options):
        organization = Organization.objects.filter(slug=org_slug).first()
        if organization is None:
            raise CommandError(f"no organisation with the slug '{org_slug}'")
        parts = sparkplug.split("/") if sparkplug else []
        if parts and (len(parts) not in (2, 3) or not all(parts) or set("+#") & set(sparkplug)):
            raise CommandError("--sparkplug must be GROUP/EDGE or GROUP/EDGE/DEVICE, no + or #")
        fields = ["sparkplug_group", "sparkplug_node", "sparkplug_device"]
        binding = dict(zip(fields, parts, strict=False))
        try:
            integration, token = integration_create(
                organization=organization,
                name=name,
                interval_seconds=interval,
                grace_seconds=grace,
                token_name="create_integration",
                **binding,
            )
        except ValidationError as error:
            messages = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
            raise CommandError(messages) from None
        self.stdout.write(json.dumps({"id": str(integration.pk), "token": token}))
        try:
            brokerauth.token_push(raw=token, now=timezone.now())
        except brokerauth.BrokerAuthError as error:
            self.stderr.write(
                f"MQTT will refuse this token until a token is issued while the broker can be "
                f"reached ({error}). It works over HTTP."
            )
