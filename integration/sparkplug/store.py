"""The database part of the Sparkplug host: points, counts, health at births and deaths, the
alias tables. No MQTT."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models, transaction

from integration import conf
from integration.models import Integration, SparkplugNode
from integration.mqtt.ingest import BatchResult, _calls, _ingest_call, _pieces, _record_counts
from integration.services import telemetry_ping
from integration.services.health import integration_status_record
from integration.services.ingest import point_problem
from integration.sparkplug.host import Host, NodeState, Outcome
from integration.sparkplug.payload import Topic

logger = logging.getLogger(__name__)
DEVICE_LABEL = "device"


class Refused(Counter):
    """Values skipped, by the field at fault ("value", "ts", "metric"), with an example each."""

    def __init__(self):
        super().__init__()
        self.examples: dict[str, str] = {}


class LeaseLost(Exception):
    """The host's lease expired or moved to another listener: the batch was not stored."""


@dataclass
class Stored:
    """What a batch did, for the host's counters."""

    result: BatchResult
    unbound: Counter[str] = field(default_factory=Counter)  # "group/node" -> messages
    deaths: int = 0
    births: int = 0
    refused: Refused = field(default_factory=Refused)


def sparkplug_bound_nodes() -> set[tuple[str, str]]:
    """The (group, edge node) pairs some integration is bound to: the host's only concern."""
    rows = Integration.objects.exclude(sparkplug_group="").values_list(
        "sparkplug_group", "sparkplug_node"
    )
    return set(rows.distinct())


def sparkplug_nodes_load() -> dict[tuple[str, str], NodeState]:
    """The alias tables saved at the last births: a new host resolves aliases at once."""
    nodes = {}
    for row in SparkplugNode.objects.all():
        aliases = {int(alias): tuple(value) for alias, value in row.aliases.items()}
        nodes[row.group, row.node] = NodeState(
            born=row.born,
            bdseq=row.bdseq,
            online=row.online,
            aliases=aliases,
            rebirth_requested=row.rebirth_requested,
            seq=row.seq,
        )
    return nodes


def sparkplug_batch_store(
    *,
    outcomes: list[tuple[Topic, Outcome]],
    host: Host,
    now: datetime,
    listener: str,
    holds_lease: Callable[[], bool] | None = None,
) -> Stored:
    """Store a batch's points, counts and node tables in one transaction; then record the
    health events of the births and deaths in it (an NDEATH makes its integrations down at
    once). `holds_lease` is asked first inside the transaction (it renews and locks the lease):
    `LeaseLost` when it says no, so two hosts never both store. Raises `DatabaseError` when
    the database fails (nothing committed)."""
    stored = Stored(BatchResult())
    result = stored.result
    bound = _bindings({(topic.group, topic.node) for topic, _ in outcomes})
    groups: dict = {}
    alive: dict = {}  # integration id -> (integration, died): the last word wins
    changed: set[tuple[str, str]] = set()
    seen = {(topic.group, topic.node) for topic, _ in outcomes} & set(host.nodes)
    for topic, outcome in outcomes:
        node_key = (topic.group, topic.node)
        node_integration = bound.get((*node_key, ""))
        if outcome.changed:
            changed.add(node_key)
        for reason, count in outcome.refused.items():
            stored.refused["ts"] += count
            stored.refused.examples["ts"] = f"{topic.group}/{topic.node}: {reason}"
        refused = sum(outcome.refused.values())
        for device, points in outcome.points.items():
            good = [p for p in points if not _refused(p, now, stored.refused, topic)]
            refused += len(points) - len(good)
            points = good
            integration = bound.get((*node_key, device))
            if integration is None and node_integration is not None and device:
                integration = node_integration
                points = [p._replace(labels=((DEVICE_LABEL, device),)) for p in points]
            if integration is None:
                stored.unbound["/".join(node_key)] += 1
            elif points:
                groups.setdefault(integration.pk, (integration, []))[1].append(points)
        counted = node_integration or next(
            (i for key, i in bound.items() if key[:2] == node_key), None
        )
        if counted is not None:
            result.counts[counted.pk]["sparkplug_gaps"] += outcome.gap
            result.counts[counted.pk]["rebirths"] += int(outcome.rebirth)
            result.counts[counted.pk]["invalid_point"] += refused
        for device in outcome.born + outcome.died:
            died = device in outcome.died
            for key, integration in bound.items():
                if key[:2] == node_key and (key[2] == device or (died and device == "")):
                    alive[integration.pk] = (integration, died)
    limit = conf.max_points()
    pieces = [
        piece
        for _, (integration, messages) in sorted(groups.items())
        for piece in _pieces(integration, messages, limit)
    ]
    with transaction.atomic():
        if holds_lease is not None and not holds_lease():
            raise LeaseLost
        for call in _calls(pieces, limit):
            _ingest_call(call, now, result)
        for integration, died in alive.values():
            if not integration.paused:
                # A fail ping makes it down at once; a birth's ok ping up again.
                telemetry_ping(integration=integration, now=now, failed=died)
                stored.deaths += died
                stored.births += not died
        _record_counts(result, now=now, listener=listener)
        for key in sorted(changed):
            _save_node(key, host.nodes[key], now)
        _save_seqs(sorted({topic_node for topic_node in seen} - changed), host)
    for integration, _ in alive.values():
        integration_status_record(integration=integration, now=now)
    return stored


def _refused(point, now: datetime, reasons: Refused, topic: Topic) -> bool:
    """Whether the ingest service would refuse this value (NaN, time out of its window, bad
    name): it is skipped and the rest of the message stored, as the docs promise."""
    problem = point_problem(point, now=now)
    if problem is None:
        return False
    reasons[problem.field] += 1
    reasons.examples[problem.field] = (
        f"{topic.group}/{topic.node} {problem.metric[:100]!r}: {problem.reason}"
    )
    return True


def _bindings(nodes: set[tuple[str, str]]) -> dict[tuple[str, str, str], Integration]:
    if not nodes:
        return {}
    rows = Integration.objects.select_related("organization").filter(
        sparkplug_group__in={group for group, _ in nodes},
        sparkplug_node__in={node for _, node in nodes},
    )
    return {
        (i.sparkplug_group, i.sparkplug_node, i.sparkplug_device): i
        for i in rows
        if (i.sparkplug_group, i.sparkplug_node) in nodes
    }


def _save_node(key: tuple[str, str], node: NodeState, now: datetime) -> None:
    aliases = {str(alias): list(value) for alias, value in node.aliases.items()}
    SparkplugNode.objects.update_or_create(
        group=key[0],
        node=key[1],
        defaults={
            "born": node.born,
            "bdseq": node.bdseq,
            "online": node.online,
            "aliases": aliases,
            "rebirth_requested": node.rebirth_requested,
            "seq": node.seq,
            "updated": now,
        },
    )


def _save_seqs(keys: list[tuple[str, str]], host: Host, chunk: int = 200) -> None:
    """The last seq of each edge node of the batch (rows saved at births), one UPDATE a chunk."""
    for start in range(0, len(keys), chunk):
        part = keys[start : start + chunk]
        which = models.Q()
        for group, node in part:
            which |= models.Q(group=group, node=node)
        seq = models.Case(
            *(
                models.When(group=g, node=n, then=models.Value(host.nodes[g, n].seq))
                for g, n in part
            ),
            output_field=models.IntegerField(),
        )
        SparkplugNode.objects.filter(which).update(seq=seq)
