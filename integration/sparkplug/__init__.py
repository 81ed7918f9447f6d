"""Sparkplug B (spec 3.0): Ladder as the primary host application of edge nodes.

An integration is bound to a group id and an edge node id, optionally a device id
(`Integration.sparkplug_*`). The listener (`telemetry_listen`, with `SPARKPLUG_HOST_ID` set)
runs a `SparkplugHost` next to its telemetry subscription:

- `payload`: topics, protobuf payloads (Eclipse Tahu's `sparkplug_b.proto`), STATE;
- `host`: the state machine (births, aliases, seq, deaths, rebirth requests), pure;
- `store`: the database part (points, counts, health, alias tables, the lease);
- `client`: the MQTT connection of the host, its STATE and its lease.

Several listeners: ONE is the Sparkplug host at a time, the holder of a lease row
(`SparkplugLease`, renewed every few seconds, taken over once it expired). Only the holder
connects as the host: it subscribes to `spBv1.0/#` (not shared: Sparkplug's seq and alias
state is per edge node and order matters, which a shared subscription would split across
listeners) and publishes `spBv1.0/STATE/<host id>` online, with offline as its Will. The
alias tables are saved in the database at each birth (`SparkplugNode`), so the listener that
takes over resolves aliases at once: no rebirth storm; the last seq of each edge node is saved
with each batch, so it sees messages lost during the takeover. Each batch renews and locks
the lease in its own transaction: a host whose lease is gone stores nothing, publishes its
offline STATE and disconnects. Edge nodes no integration is bound to are left alone.
Shared in-memory state across listeners was the alternative; it needs a coordination
service Ladder does not run.
"""
