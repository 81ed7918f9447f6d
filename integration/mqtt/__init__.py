"""The MQTT telemetry listener: subscribe, decode, batch, ingest, then acknowledge.

Integrations publish at QoS 1 to ``ladder/<integration id>/telemetry``; the payload is the JSON
body of ``POST /api/v1/telemetry`` when it starts with ``{``, else InfluxDB line protocol
(nanosecond timestamps). Listeners subscribe to ``$share/<group>/ladder/+/telemetry``, so
several split the load, with MQTT 5 persistent sessions (a stable client id, clean start off,
a session expiry), so messages published while a listener is down wait for it at the broker.

A message is acknowledged (PUBACK) only after its points are committed, or after it was
refused for good (unknown or paused integration, bad payload: counted, logged, never stored,
never redelivered). While the database is down nothing is acknowledged and the batch is retried
with back-off; whatever is unacknowledged when the listener stops, the broker delivers again.
Storage is dedup-safe, so a redelivered message stores nothing twice.

`manage.py telemetry_listen` runs a `Listener`; `ingest_messages` is the database part alone.
See docs/MQTT.md for the production broker.
"""
