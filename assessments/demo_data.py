"""The demo processes, assessments and roadmaps as data: levels, readiness, assessors, progress.

`assessments.demo` creates them from these tables.
"""

# name, area, site, owner email, business value, (baseline level, current level, target)
# Demo integration (integration.demo_specs) -> the demo processes it serves, linked by the demo.
DEMO_LINKS: dict[str, list[str]] = {
    "Press line 3 vibration to CMMS": ["Press line 3 maintenance"],
    "CNC cell 2 spindle and quality data to MES": ["CNC machining quality inspection"],
    "Compressed air sub-metering to energy dashboard": ["Compressed air and energy monitoring"],
    "Warehouse WMS scanner sync": ["Finished goods warehousing"],
    "Legacy SCADA historian export": ["Production scheduling"],
    "POS to inventory sync": ["Point-of-sale to inventory sync", "Store replenishment"],
    "Refrigeration monitoring": ["Refrigeration and store energy"],
    "DC picking throughput": ["Distribution centre picking"],
}

PROCESSES = {
    "acme": [
        (
            "Press line 3 maintenance",
            "manufacturing",
            "Riverside Plant",
            "engineer@acme.example",
            5,
            (1, 2, 4),
        ),
        (
            "CNC machining quality inspection",
            "manufacturing",
            "Northgate Plant",
            "engineer@acme.example",
            4,
            (1, 2, 3),
        ),
        (
            "Production scheduling",
            "manufacturing",
            "Riverside Plant",
            "coo@acme.example",
            4,
            (2, 2, 3),
        ),
        (
            "Finished goods warehousing",
            "logistics",
            "Central Warehouse",
            "coo@acme.example",
            3,
            (1, 1, 3),
        ),
        (
            "Compressed air and energy monitoring",
            "energy",
            "Riverside Plant",
            "engineer@acme.example",
            3,
            (0, 1, 3),
        ),
        ("Purchase-to-pay", "finance", None, "coo@acme.example", 2, (2, 3, 3)),
    ],
    "northwind": [
        (
            "Store replenishment",
            "retail",
            "Harbour Street Store",
            "coo@northwind.example",
            5,
            (1, 2, 4),
        ),
        (
            "Point-of-sale to inventory sync",
            "retail",
            "Meadowhall Store",
            "it.lead@northwind.example",
            5,
            (2, 2, 3),
        ),
        (
            "Distribution centre picking",
            "logistics",
            "Avonmouth Distribution Centre",
            "coo@northwind.example",
            4,
            (1, 1, 3),
        ),
        (
            "Refrigeration and store energy",
            "energy",
            "Meadowhall Store",
            "it.lead@northwind.example",
            3,
            (0, 1, 3),
        ),
        ("Store cash reconciliation", "finance", None, "coo@northwind.example", 2, (1, 2, 2)),
    ],
    "kestrel": [
        (
            "Oven line scheduling",
            "manufacturing",
            "Ashby Bakery",
            "planner@kestrel.example",
            5,
            (1, 2, 3),
        ),
        (
            "Cold store monitoring",
            "energy",
            "Ashby Cold Store",
            "planner@kestrel.example",
            4,
            (2, 3, 3),
        ),
        ("Dispatch planning", "logistics", "Ashby Cold Store", "coo@kestrel.example", 3, (1, 1, 3)),
        ("Supplier invoicing", "finance", None, "coo@kestrel.example", 2, (0, 1, 2)),
    ],
    "atlas": [
        ("Inbound dock scheduling", "logistics", "Daventry Hub", "ops@atlas.example", 5, (2, 3, 4)),
        ("Pick-face replenishment", "logistics", "Daventry Hub", "ops@atlas.example", 4, (2, 2, 3)),
        ("Trade counter stock", "retail", "Atlas Trade Counter", "coo@atlas.example", 3, (1, 2, 3)),
        ("Freight cost accrual", "finance", None, "coo@atlas.example", 2, (1, 1, 2)),
    ],
}

# dimension: (IT, OT) at baseline; the draft adds 1 to the weaker side of a few dimensions
READINESS = {
    "acme": {
        "connectivity": (3, 1),
        "integration-architecture": (2, 1),
        "security": (3, 1),
        "people-skills": (2, 2),
        "collaboration": (1, 1),
        "change-management": (2, 2),
        "goal-alignment": (3, 2),
    },
    "northwind": {
        "connectivity": (3, 2),
        "integration-architecture": (3, 1),
        "security": (3, 2),
        "people-skills": (2, 1),
        "collaboration": (2, 1),
        "change-management": (2, 2),
        "goal-alignment": (3, 3),
    },
    "kestrel": {
        "connectivity": (2, 1),
        "integration-architecture": (2, 1),
        "security": (2, 1),
        "people-skills": (2, 2),
        "collaboration": (2, 2),
        "change-management": (1, 1),
        "goal-alignment": (2, 2),
    },
    "atlas": {
        "connectivity": (4, 3),
        "integration-architecture": (3, 2),
        "security": (3, 3),
        "people-skills": (3, 2),
        "collaboration": (3, 2),
        "change-management": (3, 2),
        "goal-alignment": (4, 3),
    },
}
IMPROVED = {"connectivity", "security", "collaboration"}

# second assessor of the draft, who sees a few things differently
SECOND_ASSESSOR = {
    "acme": "engineer@acme.example",
    "northwind": "it.lead@northwind.example",
    "kestrel": "planner@kestrel.example",
    "atlas": "ops@atlas.example",
}


ROADMAP_TITLE = "Integration roadmap"
# Per milestone in plan order: (status, days after the start it was done or started, comment)
ROADMAP_PROGRESS = [
    ("done", 12, "Zones and conduits agreed with the CISO; firewall rules live."),
    ("done", 30, ""),
    ("done", 52, "Running on the bottleneck line first."),
    ("in_progress", 40, ""),
    ("in_progress", 45, ""),
    ("blocked", 60, "Waiting for the integrator's quote for the gateway."),
]


# Acceptance criteria per organisation: (process, integration, criterion), on the process's first
# open level step. The simulator's telemetry meets most of them; the historian export, dead for
# days, fails its freshness criterion. Integrations not there (yet) are skipped.
DEMO_CRITERIA = {
    "acme": [
        (
            "Press line 3 maintenance",
            "Press line 3 vibration to CMMS",
            {"kind": "uptime", "window_days": 30, "threshold": 95},
        ),
        (
            "Press line 3 maintenance",
            "Press line 3 vibration to CMMS",
            {
                "kind": "aggregate",
                "metric": "vibration.rms",
                "aggregate": "avg",
                "comparison": "<=",
                "window_days": 7,
                "threshold": 4.5,  # ISO 10816-3: above is damage territory
            },
        ),
        (
            "Compressed air and energy monitoring",
            "Compressed air sub-metering to energy dashboard",
            {"kind": "uptime", "window_days": 7, "threshold": 95},
        ),
        (
            "Production scheduling",
            "Legacy SCADA historian export",
            {"kind": "freshness", "threshold": 1800},
        ),
    ],
    "northwind": [
        (
            "Point-of-sale to inventory sync",
            "POS to inventory sync",
            {
                "kind": "aggregate",
                "metric": "pos.sync_lag",
                "aggregate": "avg",
                "comparison": "<=",
                "window_days": 7,
                "threshold": 30,
            },
        ),
        (
            "Refrigeration and store energy",
            "Refrigeration monitoring",
            {
                "kind": "aggregate",
                "metric": "cabinet.temperature",
                "aggregate": "avg",
                "comparison": "<",
                "window_days": 7,
                "threshold": 5,
            },
        ),
        (
            "Distribution centre picking",
            "DC picking throughput",
            {"kind": "uptime", "window_days": 30, "threshold": 95},
        ),
    ],
}
