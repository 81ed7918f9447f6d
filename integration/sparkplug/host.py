"""The Sparkplug B host's state machine: births, aliases, sequence numbers, deaths (pure).

Rules (Sparkplug 3.0):

- NBIRTH resets the edge node: its aliases (the node's and its devices'), its `bdSeq`, its
  `seq`; DBIRTH replaces one device's aliases. Births carry current values: stored too.
- NDATA/DDATA name metrics by alias (or by name); an alias no birth defined asks for a rebirth.
- Every message of an edge node after NBIRTH carries `seq` one more than the last, 0-255
  wrapping. Another number means messages were lost (QoS 0): counted as a gap, the message is
  still used, and a rebirth is asked for. After a failover the first message is checked
  against the last seq the previous host stored (`SparkplugNode.seq`): a jump is a gap.
- Data of an edge node with no NBIRTH since it connected (or since its NDEATH) is not used:
  a rebirth is asked for.
- NDEATH counts only when its `bdSeq` is the last NBIRTH's (a late Will of an older session
  says nothing about the current one); DDEATH ends a device.
- A rebirth is asked at most once per `rebirth_every` per edge node.
- Each value gets the metric's own timestamp, else the payload's, else `now` (so a message
  received twice stores nothing twice); historical values are stored like the others. A value
  whose timestamp no date can hold is refused (`Outcome.refused`), the rest of the message is
  used; the store refuses the other bad values (`integration.sparkplug.store`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from integration.lineprotocol import Point
from integration.sparkplug.payload import (
    BDSEQ,
    REBIRTH,
    BadSparkplug,
    Topic,
    decode,
    numeric_value,
    quality,
    timestamp,
)

REBIRTH_EVERY = timedelta(seconds=10)
CONTROL_PREFIXES = ("Node Control/", "Device Control/")
COMPRESSED = "SPBV1.0_COMPRESSED"  # Tahu's optional gzip/deflate wrapping: edge nodes opt in
UNREADABLE_TIME = "a timestamp no date can hold (e.g. past the year 9999)"
COMPRESSED_REASON = "a compressed payload (SPBV1.0_COMPRESSED): not supported"


@dataclass
class NodeState:
    """What a host knows of one edge node; `aliases` alias -> (device, name, datatype)."""

    born: bool = False  # an NBIRTH was seen (here or by an earlier host)
    bdseq: int | None = None
    seq: int | None = None
    online: bool = False
    aliases: dict[int, tuple[str, str, int]] = field(default_factory=dict)
    rebirth_requested: datetime | None = None


@dataclass
class Outcome:
    """What one message means: points per device ("" the node), and what to do about it."""

    points: dict[str, list[Point]] = field(default_factory=dict)
    born: list[str] = field(default_factory=list)  # "" the node, else device ids
    died: list[str] = field(default_factory=list)
    gap: int = 0  # messages lost before this one
    unknown_aliases: int = 0
    rebirth: bool = False  # send a rebirth request now
    changed: bool = False  # the node's aliases or bdSeq changed: save them
    ignored: str = ""  # why the message was not used
    refused: Counter[str] = field(default_factory=Counter)  # values not used, by reason


class Host:
    """The state of every edge node seen; `handle` one message at a time, in order."""

    def __init__(self, nodes: dict[tuple[str, str], NodeState] | None = None, *,
                 rebirth_every: timedelta = REBIRTH_EVERY):  # fmt: skip
        self.nodes = nodes if nodes is not None else {}
        self.rebirth_every = rebirth_every

    def handle(self, topic: Topic, data: bytes, *, now: datetime) -> Outcome:
        outcome = Outcome()
        if topic.type in {"STATE", "NCMD", "DCMD"}:
            outcome.ignored = "not edge node data"
            return outcome
        try:
            payload = decode(data)
        except BadSparkplug as error:
            outcome.ignored = str(error)
            return outcome
        compressed = payload.uuid == COMPRESSED
        if compressed and topic.type == "NBIRTH":
            outcome.ignored = COMPRESSED_REASON
            return outcome
        key = (topic.group, topic.node)
        node = self.nodes.get(key)
        if topic.type == "NBIRTH":
            node = self.nodes[key] = NodeState(rebirth_requested=node and node.rebirth_requested)
            node.born = True
            node.bdseq = _bdseq(payload)
            node.seq = payload.seq if payload.HasField("seq") else None
            node.online = True
            outcome.born.append("")
            outcome.changed = True
            self._values(node, "", payload, now, outcome, birth=True)
            return outcome
        if topic.type != "NDEATH" and (node is None or not node.born or not node.online):
            # Nothing known of this node (its birth came before we listened), or it died and
            # was not born again: its aliases may have changed. Ask for its births.
            self.nodes.setdefault(key, node or NodeState())
            outcome.ignored = "no birth seen for this edge node since it connected"
            self._ask_rebirth(self.nodes[key], now, outcome)
            return outcome
        if node is None:
            outcome.ignored = "the death of an edge node never born"
            return outcome
        if topic.type == "NDEATH":
            death = _bdseq(payload)
            if node.bdseq is not None and death is not None and death != node.bdseq:
                outcome.ignored = f"bdSeq {death} is not the current session's ({node.bdseq})"
                return outcome
            node.online, node.seq = False, None
            outcome.died.append("")
            outcome.changed = True
            return outcome
        self._sequence(node, payload, now, outcome)
        if compressed:  # counted in the sequence all the same
            outcome.ignored = COMPRESSED_REASON
            return outcome
        if topic.type == "DBIRTH":
            node.aliases = {a: v for a, v in node.aliases.items() if v[0] != topic.device}
            outcome.born.append(topic.device)
            outcome.changed = True
            self._values(node, topic.device, payload, now, outcome, birth=True)
        elif topic.type == "DDEATH":
            outcome.died.append(topic.device)
        else:  # NDATA, DDATA
            self._values(node, topic.device, payload, now, outcome, birth=False)
        return outcome

    def _sequence(self, node: NodeState, payload, now: datetime, outcome: Outcome) -> None:
        if not payload.HasField("seq"):
            return
        seq = payload.seq % 256
        if node.seq is not None and seq != (node.seq + 1) % 256:
            outcome.gap = (seq - node.seq - 1) % 256 or 256
            self._ask_rebirth(node, now, outcome)
        node.seq = seq

    def _ask_rebirth(self, node: NodeState, now: datetime, outcome: Outcome) -> None:
        last = node.rebirth_requested
        if last is None or not last <= now < last + self.rebirth_every:
            node.rebirth_requested = now
            outcome.rebirth = True
            outcome.changed = True

    def _values(self, node, device: str, payload, now, outcome: Outcome, *, birth: bool) -> None:
        default_ms = payload.timestamp if payload.HasField("timestamp") else None
        points = outcome.points.setdefault(device, [])
        for metric in payload.metrics:
            if birth:
                if metric.name == BDSEQ and not device:
                    continue
                if metric.HasField("alias"):
                    node.aliases[metric.alias] = (device, metric.name, metric.datatype)
                name, datatype = metric.name, metric.datatype
            elif metric.HasField("alias") and not metric.name:
                known = node.aliases.get(metric.alias)
                if known is None or known[0] != device:
                    outcome.unknown_aliases += 1
                    continue
                _, name, datatype = known
            else:
                name = metric.name
                datatype = metric.datatype or _datatype_of(node, device, name)
            if not name or name.startswith(CONTROL_PREFIXES) or name == REBIRTH:
                continue
            value = numeric_value(metric, datatype)
            if value is None:
                continue
            ms = metric.timestamp if metric.HasField("timestamp") else default_ms
            ts = timestamp(ms) if ms is not None else now
            if ts is None:
                outcome.refused[UNREADABLE_TIME] += 1
                continue
            points.append(Point(name, (), ts, value, quality(metric)))
        if outcome.unknown_aliases:
            self._ask_rebirth(node, now, outcome)


def _bdseq(payload) -> int | None:
    for metric in payload.metrics:
        if metric.name == BDSEQ:
            value = metric.WhichOneof("value")
            return int(getattr(metric, value)) if value in {"int_value", "long_value"} else None
    return None


def _datatype_of(node: NodeState, device: str, name: str) -> int:
    for alias_device, alias_name, datatype in node.aliases.values():
        if alias_device == device and alias_name == name:
            return datatype
    return 0
