"""bench/breadth.py's data: organisations, sites, processes, integrations, tokens, bound checks
and people, bulk-created (not through the services, one by one); and the devices' plan.

Shapes: `orgs`, N/10 organisations of one site, one process and 10 integrations each (an owner
each); `sites`, one organisation of N/100 sites, each with 10 processes of 10 integrations (an
owner and --users - 1 members). Every process is a manufacturing one with every check of that
area of the shipped framework bound to its integrations in turn (metric `machine.temp` for the
aggregate and variation checks). Integrations expect data every 60 s (the least the model
allows) with --grace s of grace; their devices report every 10 to 60 s.

With --history H, the integrations are H hours old and have H hours of data already: minute
and hour rollups of their three metrics for every minute, and the minutes uptime counts, as if
each had sent all along (no raw points: pages and checks read rollups). The pages and checks
then read what a running install holds, not a young one.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

TRANSPORTS = ("http", "mqtt", "sparkplug")
INTERVAL = 60  # seconds, Integration's least interval
GROUP = "breadth"  # the Sparkplug group id of every edge node
METRIC = "machine.temp"  # what the aggregate and variation checks read


@dataclass(frozen=True)
class Device:
    """One integration's sender: its transport, its period and phase, whether it goes silent."""

    index: int
    integration: str  # the integration's id (UUID text)
    transport: str
    period: float
    phase: float
    silent: bool
    token: str = ""  # http
    node: str = ""  # sparkplug


def period_of(index: int) -> tuple[float, float]:
    """(period, phase) in seconds: periods spread evenly over 10..60 s, phases over the
    period, deterministic."""
    period = 10 + (index * 37) % 51
    return float(period), (index * 7919) % 1000 / 1000 * period


def transport_of(index: int, shares: tuple[float, float, float]) -> str:
    """The transport of integration `index`, interleaved so that every organisation and site
    gets its share of each."""
    position = (index * 0.6180339887) % 1.0  # golden-ratio spread: even for any prefix
    if position < shares[0]:
        return "http"
    return "mqtt" if position < shares[0] + shares[1] else "sparkplug"


def seed(args) -> dict:
    """Migrate and seed; returns {"devices", "people", "orgs", "summary"}."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.demo import DEMO_PASSWORD
    from accounts.models import Membership, Organization, Role, Site, User
    from assessments.models import FrameworkVersion, Process
    from assessments.models.verification import CheckBinding, ProcessCheck
    from integration.models import IngestToken, Integration
    from integration.models.tokens import token_hash
    from integration.services import telemetry_retention_apply

    call_command("migrate", verbosity=0)
    now = timezone.now()
    n = args.integrations
    per_org, per_site = (10, 10) if args.shape == "orgs" else (n, 100)
    framework = FrameworkVersion.objects.shipped()
    checks = [
        check
        for criterion in framework.definition.criteria
        if criterion.area == "manufacturing"
        for check in criterion.checks
    ]
    password = make_password(DEMO_PASSWORD)
    with transaction.atomic():
        orgs = Organization.objects.bulk_create(
            Organization(name=f"Breadth {k:04d}", slug=f"breadth-{k:04d}")
            for k in range(n // per_org)
        )
        sites = Site.objects.bulk_create(
            Site(organization=orgs[s * per_site // per_org], name=f"Plant {s:03d}")
            for s in range(n // per_site)
        )
        members = [(org, Role.OWNER, f"owner@{org.slug}.test") for org in orgs]
        if args.shape == "sites":
            members += [
                (orgs[0], Role.MEMBER, f"member{u}@{orgs[0].slug}.test")
                for u in range(1, args.users)
            ]
        users = User.objects.bulk_create(
            User(email=email, first_name="Bench", password=password) for _, _, email in members
        )
        Membership.objects.bulk_create(
            Membership(user=user, organization=org, role=role)
            for user, (org, role, _) in zip(users, members, strict=True)
        )
        devices, tokens, integrations = plan(args), [], []
        for device in devices:
            org = orgs[device.index // per_org]
            integrations.append(
                Integration(
                    id=device.integration,
                    organization=org,
                    name=f"Machine {device.index:05d} ({device.transport})",
                    interval_seconds=INTERVAL,
                    grace_seconds=args.grace,
                    created=now - timedelta(hours=getattr(args, "history", 0)),
                    sparkplug_group=GROUP if device.node else "",
                    sparkplug_node=device.node,
                )
            )
            if device.token:
                tokens.append(
                    IngestToken(
                        integration_id=device.integration,
                        name="bench",
                        hint=device.token[: len(IngestToken.objects.PREFIX) + 4],
                        hash=token_hash(device.token),
                        created=now,
                    )
                )
        Integration.objects.bulk_create(integrations, batch_size=2000)
        IngestToken.objects.bulk_create(tokens, batch_size=2000)
        processes = Process.objects.bulk_create(
            Process(
                organization=orgs[p * 10 // per_org],
                site=sites[p * 10 // per_site],
                name=f"Line {p:04d}",
                area="manufacturing",
            )
            for p in range(n // 10)
        )
        Process.integrations.through.objects.bulk_create(
            (
                Process.integrations.through(
                    process_id=processes[i.index // 10].pk, integration_id=i.integration
                )
                for i in devices
            ),
            batch_size=5000,
        )
        rows = ProcessCheck.objects.bulk_create(
            (
                ProcessCheck(process=process, framework=framework, check_key=check.key)
                for process in processes
                for check in checks
            ),
            batch_size=5000,
        )
        bindings = []
        for k, row in enumerate(rows):
            p, check = divmod(k, len(checks))
            check = checks[check]
            for r, role in enumerate(check.roles):
                device = devices[p * 10 + (k + r) % 10]
                bindings.append(
                    CheckBinding(
                        process_check=row,
                        role=role,
                        integration_id=device.integration,
                        metric=METRIC if check.kind in ("aggregate", "variation") else "",
                    )
                )
        CheckBinding.objects.bulk_create(bindings, batch_size=5000)
    telemetry_retention_apply(now=now)  # today's partitions of the points table
    history_seed(devices, getattr(args, "history", 0), now)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    owners = [email for _, role, email in members if role == Role.OWNER]
    if args.shape == "orgs":  # --users owners spread over the organisations
        people = [owners[u * len(owners) // args.users] for u in range(args.users)]
    else:
        people = [email for _, _, email in members][: args.users]
    return {
        "devices": devices,
        "since": now.replace(second=0, microsecond=0),  # live data's minutes, not the history's
        "people": {email: email.split("@")[1].removesuffix(".test") for email in people},
        "summary": f"{len(orgs):,} organisation{'s' * (len(orgs) != 1)}, {len(sites):,} sites, "
        f"{len(processes):,} processes, {n:,} integrations, {len(rows):,} bound checks "
        f"({len(bindings):,} bindings)",
    }


def reuse(args) -> dict:
    """What `seed` returned, read from a database it seeded in an earlier run with the same
    arguments (kept with --keep); nothing is written. For --users-only: the devices' HTTP
    tokens are new each run and not in that database."""
    from django.utils import timezone

    from accounts.models import Membership, Organization, Role
    from assessments.models import Process
    from assessments.models.verification import CheckBinding, ProcessCheck
    from integration.models import Integration

    orgs = list(Organization.objects.order_by("pk"))
    owners = list(
        Membership.objects.filter(role=Role.OWNER)
        .order_by("organization_id")
        .values_list("user__email", flat=True)
    )
    if args.shape == "orgs":
        people = [owners[u * len(owners) // args.users] for u in range(args.users)]
    else:
        members = [f"member{u}@{orgs[0].slug}.test" for u in range(1, args.users)]
        people = (owners + members)[: args.users]
    sites = sum(org.sites.count() for org in orgs)
    return {
        "devices": plan(args),
        "since": timezone.now().replace(second=0, microsecond=0),
        "people": {email: email.split("@")[1].removesuffix(".test") for email in people},
        "summary": f"{len(orgs):,} organisation{'s' * (len(orgs) != 1)}, {sites:,} sites, "
        f"{Process.objects.count():,} processes, {Integration.objects.count():,} integrations, "
        f"{ProcessCheck.objects.count():,} bound checks ({CheckBinding.objects.count():,} "
        "bindings), reused",
    }


def plan(args) -> list[Device]:
    """Every integration's device: transport, period, phase, silence and id follow from the
    arguments; HTTP tokens are new each run."""
    import uuid

    shares = tuple(args.shares)
    devices = []
    for index in range(args.integrations):
        transport = transport_of(index, shares)
        period, phase = period_of(index)
        digest = hashlib.sha256(f"{args.seed}/{index}".encode()).digest()
        devices.append(
            Device(
                index=index,
                integration=str(uuid.UUID(bytes=digest[:16], version=4)),
                transport=transport,
                period=period,
                phase=phase,
                silent=index % args.silent_every == args.silent_every // 2,
                token=token_of(transport),
                node=f"node{index:05d}" if transport == "sparkplug" else "",
            )
        )
    return devices


def token_of(transport: str) -> str:
    """A new ingest token's plain text for an HTTP device ("" for the others)."""
    from integration.models import IngestToken

    return IngestToken.objects.PREFIX + secrets.token_urlsafe(32) if transport == "http" else ""


def pages(args, seeded: dict) -> dict:
    """Per person: {kind: [paths]} of the organisation they browse."""
    from django.urls import reverse

    from accounts.models import Organization
    from integration.models import Integration

    result = {}
    for email, slug in seeded["people"].items():
        if slug in result:
            result[email] = result[slug]
            continue
        org = Organization.objects.get(slug=slug)
        listing = reverse("integration:integration-list", args=[slug])
        ids = list(Integration.objects.filter(organization=org).values_list("pk", flat=True))
        sites = list(org.sites.values_list("pk", flat=True))
        result[slug] = result[email] = {
            "overview": [reverse("org-home", args=[slug])],
            "integrations": [listing],
            "integrations, page n": [f"{listing}?page={p}" for p in range(1, len(ids) // 50 + 2)],
            "integrations, a site": [f"{listing}?site={s}" for s in sites],
            "integrations, down": [f"{listing}?status=down"],
            "integration": [reverse("integration:integration-detail", args=[slug, i]) for i in ids],
            "processes": [reverse("assessments:processes", args=[slug])],
            "checks": [reverse("assessments:check-bindings", args=[slug])],
        }
    return {email: result[email] for email in seeded["people"]}


MIX = {
    "overview": 10,
    "integrations": 20,
    "integrations, page n": 10,
    "integrations, a site": 10,
    "integrations, down": 10,
    "integration": 20,
    "processes": 10,
    "checks": 10,
}


def history_seed(devices, hours: int, now) -> None:
    """`hours` of minute and hour rollups for every device's series, up to the minute before
    `now`, written by the database (generate_series); then the `SeenMinutes` they imply."""
    if not hours:
        return
    import uuid

    from django.db import connection, transaction

    from bench.breadth_send import FIELDS
    from integration.models import Integration
    from integration.services import seen_minutes_fill
    from integration.services.seriesids import series_ids
    from integration.sparkplug.store import DEVICE_LABEL

    keys = {
        (uuid.UUID(d.integration), f"machine.{field}", ((DEVICE_LABEL, "dev"),) if d.node else ())
        for d in devices
        for field in FIELDS
    }
    with transaction.atomic():
        integrations = Integration.objects.in_bulk()
        series_ids(integrations, keys, now - timedelta(hours=hours))
        end = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO integration_minuterollup (series_id, bucket, count, min, max, sum,
                    last, last_ts, uncertain, bad, first_arrival, last_arrival)
                SELECT s.id, b, 3, 20, 22, 63, 21, b, 0, 0, b + interval '1 minute',
                       b + interval '1 minute'
                FROM integration_series s, generate_series(%s::timestamptz, %s, '1 minute') b
                """,
                [end - timedelta(hours=hours) + timedelta(minutes=1), end],
            )
            cursor.execute(
                """
                INSERT INTO integration_hourrollup (series_id, bucket, count, min, max, sum,
                    last, last_ts, uncertain, bad, first_arrival, last_arrival)
                SELECT series_id, date_bin('1 hour', bucket, '2000-01-01 00:00:00+00'),
                       sum(count), min(min), max(max), sum(sum), 21, max(last_ts), 0, 0,
                       min(first_arrival), max(last_arrival)
                FROM integration_minuterollup GROUP BY 1, 2
                """
            )
        seen_minutes_fill()
        Integration.objects.update(last_seen=end)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
