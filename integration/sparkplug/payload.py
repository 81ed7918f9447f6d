"""Sparkplug B on the wire: topics, protobuf payloads, metric values, STATE (pure, no Django).

`sparkplug_b_pb2` is generated from Eclipse Tahu's `sparkplug_b.proto` (next to it) by
`python -m grpc_tools.protoc --proto_path=integration/sparkplug
--python_out=integration/sparkplug integration/sparkplug/sparkplug_b.proto`
with grpcio-tools 1.85.1 (protoc 35.1, gencode 7.35.1; the runtime may be as new or newer).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf.message import DecodeError

from integration.quality import GOOD, from_opc_da
from integration.sparkplug.sparkplug_b_pb2 import Payload

NAMESPACE = "spBv1.0"
NODE_TYPES = {"NBIRTH", "NDEATH", "NDATA", "NCMD"}
DEVICE_TYPES = {"DBIRTH", "DDEATH", "DDATA", "DCMD"}
REBIRTH = "Node Control/Rebirth"
BDSEQ = "bdSeq"
# Datatypes (Sparkplug 3.0, 6.4.16) stored as numbers; the others (strings, bytes, datasets,
# templates, DateTime) are not telemetry Ladder can chart.
SIGNED_32 = {1, 2, 3}  # Int8, Int16, Int32: two's complement in uint32 int_value
INT64, UINT64, BOOLEAN = 4, 8, 11
NUMERIC = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}


class BadSparkplug(ValueError):
    """A topic or payload that is not Sparkplug B."""


@dataclass(frozen=True)
class Topic:
    group: str
    type: str  # NBIRTH, NDATA, ... or STATE
    node: str  # the host id for STATE
    device: str = ""


def parse_topic(topic: str) -> Topic:
    """`spBv1.0/<group>/<type>/<node>[/<device>]` or `spBv1.0/STATE/<host id>`."""
    parts = topic.split("/")
    if parts[0] != NAMESPACE:
        raise BadSparkplug(f"not under {NAMESPACE}/")
    if len(parts) == 3 and parts[1] == "STATE":
        return Topic("", "STATE", parts[2])
    if len(parts) == 4 and parts[2] in NODE_TYPES and all(parts):
        return Topic(parts[1], parts[2], parts[3])
    if len(parts) == 5 and parts[2] in DEVICE_TYPES and all(parts):
        return Topic(parts[1], parts[2], parts[3], parts[4])
    raise BadSparkplug(f"not {NAMESPACE}/<group>/<message type>/<edge node>[/<device>]")


def decode(data: bytes) -> Payload:
    try:
        return Payload.FromString(data)
    except DecodeError as error:
        raise BadSparkplug(f"not a Sparkplug B payload: {error}") from None


def numeric_value(metric, datatype: int) -> float | None:
    """The metric's value as a float, or None (null, or a type that is not a number)."""
    if metric.is_null or datatype not in NUMERIC:
        return None
    field = metric.WhichOneof("value")
    if field is None:
        return None
    value = getattr(metric, field)
    if field == "int_value" and datatype in SIGNED_32 and value >= 2**31:
        value -= 2**32
    elif field == "long_value" and datatype == INT64 and value >= 2**63:
        value -= 2**64
    if field not in {"int_value", "long_value", "float_value", "double_value", "boolean_value"}:
        return None
    return float(value)


def quality(metric) -> str | None:
    """From the metric's `Quality` property (an OPC DA code); None when good or absent."""
    properties = metric.properties
    for key, value in zip(properties.keys, properties.values, strict=False):
        if key == "Quality" and value.WhichOneof("value") in {"int_value", "long_value"}:
            code = getattr(value, value.WhichOneof("value"))
            found = from_opc_da(code)
            return None if found == GOOD else found
    return None


def timestamp(ms: int) -> datetime | None:
    """The time of a Sparkplug timestamp (ms since 1970), or None when no datetime can hold it
    (e.g. past the year 9999): the value is refused, never the message."""
    try:
        return datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def rebirth_request(*, now_ms: int) -> bytes:
    """An NCMD payload asking an edge node to publish its births again."""
    payload = Payload(timestamp=now_ms)
    payload.metrics.add(name=REBIRTH, timestamp=now_ms, datatype=BOOLEAN, boolean_value=True)
    return payload.SerializeToString()


def state_topic(host_id: str) -> str:
    return f"{NAMESPACE}/STATE/{host_id}"


def state_payload(*, online: bool, timestamp_ms: int) -> bytes:
    """The primary host's STATE (Sparkplug 3.0): JSON, retained, QoS 1."""
    return json.dumps({"online": online, "timestamp": timestamp_ms}).encode()
