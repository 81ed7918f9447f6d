"""The demo integrations as data: what each one is, the signals it sends and how it behaves.

`integration.demo` creates them with a week of history; the simulator keeps them reporting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from integration.simulator.feeds import Feed, Flaky
from integration.simulator.signals import (
    DC_SHIFTS,
    PLANT_SHIFTS,
    STORE_HOURS,
    Count,
    Defrost,
    Derived,
    Gauge,
    Signal,
)

HEALTHY, FLAKY, DEAD = "healthy", "flaky", "dead"


@dataclass(frozen=True)
class DemoIntegration:
    org: str  # organisation slug
    name: str
    description: str
    source_system: str
    target_system: str
    interval_seconds: int
    grace_seconds: int
    signals: tuple[Signal, ...]
    behaviour: str = HEALTHY

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=self.interval_seconds)

    @property
    def flaky(self) -> Flaky | None:
        return Flaky(seed=self.name) if self.behaviour == FLAKY else None

    def feed(self, key: str) -> Feed:
        return Feed(key=key, name=self.name, signals=self.signals, flaky=self.flaky)


def _chiller(cabinet: str, offset_hours: float) -> Signal:
    # Chilled cabinets hold 1-5 °C; doors opening in trading hours warm them slightly, and a
    # defrost every 6 hours lifts them for about half an hour.
    model = Gauge(
        idle=2.6,
        busy=3.6,
        profile=STORE_HOURS,
        noise=0.15,
        defrost=Defrost(
            every=timedelta(hours=6),
            lasting=timedelta(minutes=30),
            rise=2.4,
            offset=timedelta(hours=offset_hours),
        ),
        spike_chance=0.002,
        spike=2.0,
        low=-2,
        decimals=1,
    )
    return Signal("cabinet.temperature", "°C", (0, 5), model, (("cabinet", cabinet),))


def _pos(store: str, busy: float) -> tuple[Signal, Signal]:
    labels = (("store", store),)
    transactions = Count(idle=0, busy=busy, profile=STORE_HOURS)
    # Sync lag: a few seconds, more when tills are busy; now and then a backlog of minutes.
    lag = Gauge(
        idle=3,
        busy=9,
        profile=STORE_HOURS,
        jitter=4,
        spike_chance=0.003,
        spike=240,
        low=0,
        decimals=1,
    )
    return (
        Signal("pos.transactions", "transactions/min", (0, 60), transactions, labels),
        Signal("pos.sync_lag", "s", (0, 120), lag, labels),
    )


DEMO_INTEGRATIONS: tuple[DemoIntegration, ...] = (
    DemoIntegration(
        org="acme",
        name="Press line 3 vibration to CMMS",
        description=(
            "Vibration and bearing temperature of press line 3's main drive, read by an IO-Link "
            "master every minute and sent to the CMMS, where rising vibration opens a work "
            "order before the bearing fails. Velocity limits follow ISO 10816-3: above "
            "4.5 mm/s RMS is damage territory."
        ),
        source_system="Press line 3 vibration sensors (IO-Link master)",
        target_system="CMMS",
        interval_seconds=60,
        grace_seconds=120,
        signals=(
            Signal(
                "vibration.rms",
                "mm/s",
                (0, 4.5),
                Gauge(
                    idle=0.4,
                    busy=1.7,
                    profile=PLANT_SHIFTS,
                    noise=0.12,
                    wear=1.1,  # creeps up over the month, back down when the bearing is changed
                    spike_chance=0.004,
                    spike=3.0,
                    low=0.05,
                ),
            ),
            Signal(
                "vibration.peak",
                "mm/s",
                (0, 12),
                Derived(of="vibration.rms", factor=3.1, noise=0.35, low=0.1),
            ),
            Signal(
                "bearing.temperature",
                "°C",
                (15, 80),
                Gauge(idle=22, busy=51, profile=PLANT_SHIFTS, noise=0.3, wear=6, decimals=1),
            ),
        ),
    ),
    DemoIntegration(
        org="acme",
        name="CNC cell 2 spindle and quality data to MES",
        description=(
            "Spindle load from the CNC cell 2 controllers over OPC UA, with good and scrapped "
            "part counts per minute from the in-process gauging, for the MES's quality and "
            "OEE figures."
        ),
        source_system="CNC cell 2 controllers (OPC UA)",
        target_system="MES",
        interval_seconds=60,
        grace_seconds=120,
        signals=(
            Signal(
                "spindle.load",
                "%",
                (0, 90),
                Gauge(
                    idle=3,
                    busy=58,
                    profile=PLANT_SHIFTS,
                    noise=7,
                    spike_chance=0.003,
                    spike=35,  # a hard spot or a worn tool
                    low=0,
                    high=100,
                    decimals=1,
                ),
            ),
            Signal("quality.parts", "parts", (0, 15), Count(idle=0, busy=6, profile=PLANT_SHIFTS)),
            Signal(
                "quality.scrap_count",
                "parts",
                (0, 2),
                Count(idle=0, busy=0.08, profile=PLANT_SHIFTS, burst_chance=0.003, burst=20),
            ),
        ),
    ),
    DemoIntegration(
        org="acme",
        name="Compressed air sub-metering to energy dashboard",
        description=(
            "Flow and electrical power of the Riverside compressor house from Modbus TCP meters, "
            "for the energy dashboard. The night-time flow is mostly leaks."
        ),
        source_system="Compressor house flow and power meters (Modbus TCP)",
        target_system="Energy dashboard",
        interval_seconds=60,
        grace_seconds=120,
        signals=(
            Signal(
                "air.flow",
                "m³/min",
                (2, 18),
                Gauge(
                    idle=3.4,
                    busy=12.5,
                    profile=PLANT_SHIFTS,
                    noise=0.5,
                    spike_chance=0.004,
                    spike=5,
                    low=0,
                ),
            ),
            Signal(
                "air.power",
                "kW",
                (20, 130),
                Derived(of="air.flow", factor=6.3, offset=14, noise=1.2, low=0, decimals=1),
            ),
        ),
    ),
    DemoIntegration(
        org="acme",
        name="Warehouse WMS scanner sync",
        description=(
            "Handheld scanner activity at the Central Warehouse synchronised to the WMS. The "
            "sync job drops out a few times a day and says so with a fail ping only sometimes."
        ),
        source_system="Handheld scanners (Central Warehouse)",
        target_system="WMS",
        interval_seconds=60,
        grace_seconds=60,
        signals=(
            Signal(
                "wms.scans", "scans/min", (0, 80), Count(idle=0.5, busy=38, profile=PLANT_SHIFTS)
            ),
            Signal(
                "wms.sync_lag",
                "s",
                (0, 60),
                Gauge(
                    idle=2,
                    busy=6,
                    profile=PLANT_SHIFTS,
                    jitter=3,
                    spike_chance=0.01,
                    spike=120,
                    low=0,
                    decimals=1,
                ),
            ),
        ),
        behaviour=FLAKY,
    ),
    DemoIntegration(
        org="acme",
        name="Legacy SCADA historian export",
        description=(
            "A 15-minute CSV export of press line 1's output and availability from the old "
            "SCADA historian, feeding production scheduling. It stopped when the historian "
            "server was patched and nobody has restarted it."
        ),
        source_system="Press line 1 SCADA historian (CSV export)",
        target_system="Production scheduling",
        interval_seconds=900,
        grace_seconds=900,
        signals=(
            Signal("line.output", "parts", (0, 400), Count(idle=0, busy=310, profile=PLANT_SHIFTS)),
            Signal(
                "line.availability",
                "%",
                (0, 100),
                Gauge(
                    idle=0,
                    busy=86,
                    profile=PLANT_SHIFTS,
                    noise=4,
                    spike_chance=0.03,
                    spike=-45,  # a breakdown
                    low=0,
                    high=100,
                    decimals=1,
                ),
            ),
        ),
        behaviour=DEAD,
    ),
    DemoIntegration(
        org="northwind",
        name="POS to inventory sync",
        description=(
            "Till transactions of the Harbour Street and Meadowhall stores synchronised to the "
            "inventory system, which replenishment orders are computed from; the sync lag is "
            "how stale stock figures are."
        ),
        source_system="Store tills (POS)",
        target_system="Inventory system (ERP)",
        interval_seconds=60,
        grace_seconds=120,
        signals=(*_pos("Harbour Street", 22), *_pos("Meadowhall", 31)),
    ),
    DemoIntegration(
        org="northwind",
        name="Refrigeration monitoring",
        description=(
            "Cabinet and freezer temperatures and door openings at the Meadowhall store, from "
            "the refrigeration controllers to the building management system."
        ),
        source_system="Refrigeration controllers (Meadowhall Store)",
        target_system="Building management system",
        interval_seconds=60,
        grace_seconds=120,
        signals=(
            _chiller("dairy", 0),
            _chiller("produce", 2),
            Signal(
                "freezer.temperature",
                "°C",
                (-25, -15),
                Gauge(
                    idle=-21.5,
                    busy=-20.3,
                    profile=STORE_HOURS,
                    noise=0.3,
                    defrost=Defrost(
                        every=timedelta(hours=8),
                        lasting=timedelta(minutes=25),
                        rise=7,
                        offset=timedelta(hours=1),
                    ),
                    decimals=1,
                ),
                (("cabinet", "frozen"),),
            ),
            Signal(
                "door.open_events",
                "events/min",
                (0, 30),
                Count(idle=0, busy=9, profile=STORE_HOURS),
            ),
        ),
    ),
    DemoIntegration(
        org="northwind",
        name="DC picking throughput",
        description=(
            "Picks per hour at the Avonmouth Distribution Centre from the pick-by-voice "
            "terminals, for the WMS's labour planning."
        ),
        source_system="Pick-by-voice terminals (Avonmouth DC)",
        target_system="WMS labour planning",
        interval_seconds=60,
        grace_seconds=120,
        signals=(
            Signal(
                "picking.rate",
                "picks/h",
                (0, 2500),
                Gauge(
                    idle=0,
                    busy=1850,
                    profile=DC_SHIFTS,
                    noise=70,
                    spike_chance=0.002,
                    spike=-900,  # a WMS slowdown
                    low=0,
                    decimals=0,
                ),
            ),
        ),
    ),
)
