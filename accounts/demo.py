"""The demo organisations and people; `manage.py seed_demo` builds on them."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.addresses import normalise
from accounts.models import Industry, Membership, Organization, Role, Site, User

# Each demo site's opening hours by kind, for checks judged within operating hours.
DEMO_HOURS = {
    Site.Kind.PLANT: "Mon-Fri 06:00-22:00",
    Site.Kind.WAREHOUSE: "Mon-Sat 06:00-22:00",
    Site.Kind.STORE: "Mon-Sat 08:00-20:00; Sun 10:00-16:00",
    Site.Kind.OFFICE: "Mon-Fri 08:00-18:00",
    Site.Kind.OTHER: "Mon-Fri 08:00-18:00",
}

DEMO_PASSWORD = "ladder-demo"
DEMO_AUDITOR = "auditor@acme.example"
# The auditor observes the last year up to the day the demo was seeded (at most 12 months).
AUDIT_WINDOW_DAYS = 364

ORGANIZATIONS = [
    {
        "slug": "acme",
        "industry": Industry.MANUFACTURING,
        "name": "Acme Precision Components",
        "brand_colour": "#1f4e79",
        "sites": [
            ("Riverside Plant", Site.Kind.PLANT, "Sheffield, UK"),
            ("Northgate Plant", Site.Kind.PLANT, "Leeds, UK"),
            ("Central Warehouse", Site.Kind.WAREHOUSE, "Doncaster, UK"),
        ],
    },
    {
        "slug": "northwind",
        "industry": Industry.RETAIL,
        "name": "Northwind Retail",
        "brand_colour": "#0f766e",
        "sites": [
            ("Harbour Street Store", Site.Kind.STORE, "Bristol, UK"),
            ("Meadowhall Store", Site.Kind.STORE, "Sheffield, UK"),
            ("Avonmouth Distribution Centre", Site.Kind.WAREHOUSE, "Bristol, UK"),
        ],
    },
    # Two more clients of the consultant, so reports can show peers (at least three others).
    {
        "slug": "kestrel",
        "industry": Industry.MANUFACTURING,
        "name": "Kestrel Foods",
        "brand_colour": "#9a3412",
        "sites": [
            ("Ashby Bakery", Site.Kind.PLANT, "Ashby-de-la-Zouch, UK"),
            ("Ashby Cold Store", Site.Kind.WAREHOUSE, "Ashby-de-la-Zouch, UK"),
        ],
    },
    {
        "slug": "atlas",
        "industry": Industry.LOGISTICS,
        "name": "Atlas Distribution",
        "brand_colour": "#4338ca",
        "sites": [
            ("Daventry Hub", Site.Kind.WAREHOUSE, "Daventry, UK"),
            ("Atlas Trade Counter", Site.Kind.STORE, "Northampton, UK"),
        ],
    },
]

# (email, first name, last name, firm, {org slug: role})
PEOPLE = [
    ("coo@acme.example", "Alex", "Morgan", "", {"acme": Role.OWNER}),
    ("coo@northwind.example", "Priya", "Shah", "", {"northwind": Role.OWNER}),
    (
        "consultant@ladder.example",
        "Sam",
        "Okafor",
        "Ladder Advisory",
        {slug: Role.CONSULTANT for slug in ("acme", "northwind", "kestrel", "atlas")},
    ),
    ("engineer@acme.example", "Jordan", "Lee", "", {"acme": Role.MEMBER}),
    ("viewer@acme.example", "Casey", "Brown", "", {"acme": Role.VIEWER}),
    (DEMO_AUDITOR, "Noor", "Haddad", "Haddad Assurance", {"acme": Role.AUDITOR}),
    ("it.lead@northwind.example", "Robin", "Evans", "", {"northwind": Role.MEMBER}),
    ("coo@kestrel.example", "Maria", "Costa", "", {"kestrel": Role.OWNER}),
    ("planner@kestrel.example", "Tom", "Price", "", {"kestrel": Role.MEMBER}),
    ("coo@atlas.example", "Dev", "Patel", "", {"atlas": Role.OWNER}),
    ("ops@atlas.example", "Hannah", "Wright", "", {"atlas": Role.MEMBER}),
]


@transaction.atomic
def demo_accounts_create(*, today=None) -> dict[str, Organization]:
    """Create or refresh the demo organisations, sites and people; safe to run again. The
    auditor's window is moved to end `today`."""
    today = today or timezone.localdate()
    window = {"observe_from": today - timedelta(days=AUDIT_WINDOW_DAYS), "observe_to": today}
    orgs = {}
    for spec in ORGANIZATIONS:
        org, _ = Organization.objects.update_or_create(
            slug=spec["slug"],
            defaults={
                "name": spec["name"],
                "brand_colour": spec["brand_colour"],
                "industry": spec["industry"],
                "is_demo": True,  # never in a pool export, never a real organisation's peer
            },
        )
        for name, kind, location in spec["sites"]:
            Site.objects.update_or_create(
                organization=org,
                name=name,
                defaults={
                    "kind": kind,
                    "location": location,
                    "timezone": "Europe/London",
                    "operating_hours": DEMO_HOURS[kind],
                },
            )
        orgs[org.slug] = org
    for email, first, last, firm, roles in PEOPLE:
        user, _ = User.objects.update_or_create(
            email=normalise(email),
            defaults={"first_name": first, "last_name": last, "firm_name": firm},
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        for slug, role in roles.items():
            observed = window if role == Role.AUDITOR else {}
            Membership.objects.update_or_create(
                user=user, organization=orgs[slug], defaults={"role": role, **observed}
            )
    return orgs
