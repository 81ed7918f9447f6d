"""Data quality of a reading: good, uncertain or bad (pure Python, no Django).

Field devices know when a value is not to be trusted (a sensor out of range, a stale tag, a
communication fault) and say so: OPC UA in each value's status code, Sparkplug B in a metric's
`Quality` property (Ignition and most edge gateways use the OPC DA codes). Ladder stores a
reading whatever its quality and counts the good ones, so health can tell a flow that delivers
from one that only delivers bad values (`docs/MQTT.md`, "Data quality").

On the wire: a line-protocol line may carry the string field `_quality="good|uncertain|bad"`,
which applies to every field of that line; a JSON point may carry `"quality": "..."`.
"""

GOOD, UNCERTAIN, BAD = "good", "uncertain", "bad"
QUALITIES = (GOOD, UNCERTAIN, BAD)
FIELD = "_quality"  # the line-protocol field; `_` is reserved, so it is no metric of a client's


def parse(text: str) -> str:
    """`text` as a quality; raises ValueError naming the choices."""
    if text not in QUALITIES:
        raise ValueError(f"quality must be one of {', '.join(QUALITIES)}, got {text[:40]!r}")
    return text


def from_opcua_status(code: int) -> str:
    """An OPC UA StatusCode (32 bits): its severity, the top two bits (00 good, 01 uncertain,
    10 and 11 bad), Part 4, 7.39."""
    severity = (code >> 30) & 0b11
    return GOOD if severity == 0 else UNCERTAIN if severity == 1 else BAD


def from_opc_da(code: int) -> str:
    """An OPC DA quality (0-255, as in Sparkplug's `Quality` property): bits 7-6 are 11 good,
    01 uncertain, 00 bad. Values above 255 are read as OPC UA status codes."""
    if code > 0xFF or code < 0:
        return from_opcua_status(code & 0xFFFFFFFF)
    bits = code & 0xC0
    return GOOD if bits == 0xC0 else UNCERTAIN if bits == 0x40 else BAD
