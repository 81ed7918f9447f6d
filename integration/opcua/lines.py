"""OPC UA values as line protocol: ``<metric>,<tags> <field>=<value>[,_quality="..."] <ms>``.

Timed by the value's SourceTimestamp (else ServerTimestamp, else the time it arrived); the
quality from the StatusCode's severity, left out when good. No Django.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from asyncua import ua

from integration.opcua.config import NodeConfig
from integration.quality import GOOD, from_opcua_status

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INT64_MAX, _UINT64_MAX = 2**63 - 1, 2**64 - 1


def _escape_measurement(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(" ", "\\ ")


def _escape_key(text: str) -> str:
    return _escape_measurement(text).replace("=", "\\=")


def series_prefix(node: NodeConfig) -> str:
    """``<metric>,<tags sorted>`` of a node's lines, escaped, with the space before the field."""
    tags = "".join(f",{_escape_key(k)}={_escape_key(v)}" for k, v in sorted(node.tags.items()))
    return f"{_escape_measurement(node.metric)}{tags} {_escape_key(node.field)}="


def field_value(value) -> str | None:
    """`value` as a line-protocol field value, or None when it is not a finite number."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if value > _UINT64_MAX or value < -_INT64_MAX - 1:
            return None
        return f"{value}u" if value > _INT64_MAX else f"{value}i"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    return None


def timestamp_ms(data_value: ua.DataValue, received: datetime) -> int:
    """Milliseconds since the epoch of the value: SourceTimestamp, else ServerTimestamp."""
    ts = data_value.SourceTimestamp or data_value.ServerTimestamp or received
    if ts.tzinfo is None:  # asyncua's are UTC
        ts = ts.replace(tzinfo=UTC)
    return (ts - _EPOCH) // timedelta(milliseconds=1)


def quality(data_value: ua.DataValue) -> str:
    status = data_value.StatusCode
    return GOOD if status is None else from_opcua_status(status.value)


def line(prefix: str, value: str, ts_ms: int, level: str) -> str:
    if level == GOOD:
        return f"{prefix}{value} {ts_ms}"
    return f'{prefix}{value},_quality="{level}" {ts_ms}'
