"""Realistic demo telemetry: signal models, outages, and the senders `simulate_telemetry` uses.

Signals (pure)
--------------
A `Signal` is one metric (with optional labels) of a demo integration and a model of its value
at a time: a level between an idle and a busy value that follows a daily `Profile` (shifts in a
plant, opening hours of a store, in the sites' local time), Gaussian or one-sided noise,
occasional spikes, slow wear and defrost cycles; `Count` draws event counts (Poisson) and
`Derived` follows another signal (a compressor's power follows its air flow). Models take the
time and a `random.Random` and nothing else, so a seeded generator gives the same values.

Outages (pure)
--------------
`Flaky` decides from the time alone (each hour hashed with a seed) when a flaky integration is
silent and whether it reported the failure with a fail ping, so the history the demo writes and
the live simulator agree, and a rerun draws the same outages. A `Feed` turns signals and outages
into what one integration sends at a moment; `history` runs a feed over a window.

Sending
-------
`run` sends a round for every feed every `interval` seconds over a `Transport`: `HttpTransport`
(the JSON API with a Bearer token; pings to `/api/v1/ping` and `/ping/fail`) or `MqttTransport`
(QoS 1 to `ladder/<integration id>/telemetry`, a bounded number of messages in flight). While the
server or the broker is not reachable, the round is retried with exponential back-off.
"""
