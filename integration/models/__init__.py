"""Integration models, by topic: `integration` (integrations, metrics, their limits),
`tokens` (ingest and read tokens), `telemetry` (series, points, rollups, health events),
`mqtt` (listener bookkeeping), `sparkplug` (Sparkplug B host state) and `heartbeat` (the
background loops' liveness).

Storage (see `integration.services.storage` for how rows are written): `Series` is one row per
(metric, labels); `Point` the narrow raw table, primary key (series, ts), so a retried point is
stored once; `MinuteRollup` / `HourRollup` count, min, max, sum and last per series and bucket,
updated in the same transaction as the raw points; `SeenMinutes` which minutes of each hour an
integration sent in, for uptime. Heartbeats are points of the reserved metric
`_ping` (1 = ok, 0 = fail).
"""

from integration.models.heartbeat import ServiceHeartbeat  # noqa: F401
from integration.models.integration import (  # noqa: F401
    PING_METRIC,
    QUALITY_CODES,
    RESERVED_PREFIX,
    Integration,
    Metric,
)
from integration.models.mqtt import MqttCount, MqttListener, MqttStrayCount  # noqa: F401
from integration.models.sparkplug import SparkplugLease, SparkplugNode  # noqa: F401
from integration.models.telemetry import (  # noqa: F401
    HealthEvent,
    HourRollup,
    IngestGeneration,
    MinuteRollup,
    Point,
    Rollup,
    SeenMinutes,
    Series,
)
from integration.models.tokens import IngestToken, ReadToken, Token, token_hash  # noqa: F401
