"""The Sparkplug host state machine, without a broker or a database."""

from datetime import UTC, datetime, timedelta

from integration.sparkplug.host import Host
from integration.sparkplug.payload import (
    Topic,
    decode,
    numeric_value,
    parse_topic,
    rebirth_request,
)
from integration.sparkplug.sparkplug_b_pb2 import Payload

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
MS = int(NOW.timestamp() * 1000)
NBIRTH = Topic("plant", "NBIRTH", "press3")
NDATA = Topic("plant", "NDATA", "press3")


def payload(seq, *metrics, bdseq=None, ts=MS) -> bytes:
    message = Payload(seq=seq, timestamp=ts)
    for metric in metrics:
        message.metrics.add(**metric)
    if bdseq is not None:
        message.metrics.add(name="bdSeq", datatype=8, long_value=bdseq)
    return message.SerializeToString()


def born(host, bdseq=0):
    birth = payload(
        0,
        {"name": "Line/Speed", "alias": 1, "datatype": 10, "double_value": 1.5},
        {"name": "Running", "alias": 2, "datatype": 11, "boolean_value": True},
        {"name": "Node Control/Rebirth", "alias": 3, "datatype": 11, "boolean_value": False},
        bdseq=bdseq,
    )
    return host.handle(NBIRTH, birth, now=NOW)


def test_birth_then_data_by_alias_under_the_metric_names():
    host = Host()
    outcome = born(host)
    assert [(p.metric, p.value) for p in outcome.points[""]] == [
        ("Line/Speed", 1.5),
        ("Running", 1.0),
    ]
    data = payload(1, {"alias": 1, "double_value": 2.5, "timestamp": MS + 1000})
    outcome = host.handle(NDATA, data, now=NOW)
    assert outcome.points[""] == [("Line/Speed", (), NOW + timedelta(seconds=1), 2.5, None)]
    assert not outcome.rebirth and not outcome.gap


def test_a_seq_gap_is_counted_and_asks_for_one_rebirth():
    host = Host()
    born(host)
    outcome = host.handle(NDATA, payload(3, {"alias": 1, "double_value": 2.0}), now=NOW)
    assert outcome.gap == 2 and outcome.rebirth
    assert outcome.points[""][0].value == 2.0  # still used
    later = host.handle(NDATA, payload(9, {"alias": 1, "double_value": 2.0}), now=NOW)
    assert later.gap == 5 and not later.rebirth  # at most one per 10 s
    after = NOW + timedelta(seconds=11)
    assert host.handle(NDATA, payload(11, {"alias": 1, "double_value": 2.0}), now=after).rebirth


def test_seq_wraps_after_255():
    host = Host()
    born(host)
    for seq in [*range(1, 256), 0, 1]:
        outcome = host.handle(NDATA, payload(seq, {"alias": 1, "double_value": 1.0}), now=NOW)
        assert not outcome.gap, seq


def test_an_unknown_alias_asks_for_a_rebirth():
    host = Host()
    born(host)
    outcome = host.handle(NDATA, payload(1, {"alias": 99, "double_value": 1.0}), now=NOW)
    assert outcome.unknown_aliases == 1 and outcome.rebirth and outcome.points[""] == []


def test_data_from_a_node_never_born_asks_for_a_rebirth():
    outcome = Host().handle(NDATA, payload(5, {"alias": 1, "double_value": 1.0}), now=NOW)
    assert outcome.rebirth and not outcome.points


def test_ndeath_counts_only_with_the_births_bdseq():
    host = Host()
    born(host, bdseq=4)
    death = Topic("plant", "NDEATH", "press3")
    assert host.handle(death, payload(None, bdseq=3), now=NOW).died == []
    assert host.handle(death, payload(None, bdseq=4), now=NOW).died == [""]
    assert not host.nodes["plant", "press3"].online


def test_devices_have_their_own_aliases_and_death():
    host = Host()
    born(host)
    dbirth = payload(1, {"name": "Temp", "alias": 10, "datatype": 9, "float_value": 20.5})
    outcome = host.handle(Topic("plant", "DBIRTH", "press3", "oven"), dbirth, now=NOW)
    assert outcome.born == ["oven"] and outcome.points["oven"][0].metric == "Temp"
    ddata = payload(2, {"alias": 10, "float_value": 21.0})
    assert (
        host.handle(Topic("plant", "DDATA", "press3", "oven"), ddata, now=NOW)
        .points["oven"][0]
        .value
        == 21.0
    )
    ddeath = host.handle(Topic("plant", "DDEATH", "press3", "oven"), payload(3), now=NOW)
    assert ddeath.died == ["oven"]


def test_historical_values_keep_their_timestamps_and_quality_comes_from_the_property():
    host = Host()
    born(host)
    message = Payload(seq=1, timestamp=MS)
    old = message.metrics.add(alias=1, double_value=7.0, timestamp=MS - 60_000, is_historical=True)
    bad = message.metrics.add(alias=1, double_value=8.0, timestamp=MS - 30_000)
    bad.properties.keys.append("Quality")
    bad.properties.values.add(type=3, int_value=0)  # OPC DA bad
    assert old.is_historical
    points = host.handle(NDATA, message.SerializeToString(), now=NOW).points[""]
    assert [(p.ts, p.quality) for p in points] == [
        (NOW - timedelta(seconds=60), None),
        (NOW - timedelta(seconds=30), "bad"),
    ]


def test_signed_integers_and_topics():
    metric = Payload.Metric(int_value=2**32 - 5)
    assert numeric_value(metric, 3) == -5.0 and numeric_value(metric, 7) == 2**32 - 5
    assert numeric_value(Payload.Metric(string_value="x"), 12) is None
    assert parse_topic("spBv1.0/plant/DDATA/press3/oven") == Topic(
        "plant", "DDATA", "press3", "oven"
    )
    assert parse_topic("spBv1.0/STATE/ladder") == Topic("", "STATE", "ladder")
    assert decode(rebirth_request(now_ms=MS)).metrics[0].name == "Node Control/Rebirth"


def test_a_dbirth_after_an_nbirth_without_aliases_is_known():
    host = Host()
    host.handle(NBIRTH, payload(0, bdseq=0), now=NOW)
    dbirth = payload(1, {"name": "Temp", "alias": 10, "datatype": 9, "float_value": 20.5})
    outcome = host.handle(Topic("plant", "DBIRTH", "press3", "oven"), dbirth, now=NOW)
    assert not outcome.rebirth and outcome.points["oven"][0].metric == "Temp"


def test_data_after_a_death_without_a_new_birth_asks_for_a_rebirth():
    host = Host()
    born(host, bdseq=1)
    host.handle(Topic("plant", "NDEATH", "press3"), payload(None, bdseq=1), now=NOW)
    outcome = host.handle(NDATA, payload(1, {"alias": 1, "double_value": 1.0}), now=NOW)
    assert outcome.rebirth and not outcome.points
    assert not born(host, bdseq=2).rebirth
    assert host.handle(NDATA, payload(1, {"alias": 1, "double_value": 1.0}), now=NOW).points


def test_a_compressed_payload_is_ignored_with_its_reason():
    host = Host()
    born(host)
    message = Payload(seq=1, uuid="SPBV1.0_COMPRESSED", body=b"\x1f\x8b")
    outcome = host.handle(NDATA, message.SerializeToString(), now=NOW)
    assert "compressed" in outcome.ignored and not outcome.points
    following = host.handle(NDATA, payload(2, {"alias": 1, "double_value": 1.0}), now=NOW)
    assert not following.gap  # it counted in the sequence


def test_a_timestamp_no_date_can_hold_refuses_that_value_only():
    host = Host()
    born(host)
    data = payload(
        1,
        {"alias": 1, "double_value": 2.0, "timestamp": 2**63},
        {"alias": 2, "boolean_value": False, "timestamp": 10**15},
        {"alias": 1, "double_value": 3.0, "timestamp": MS + 1000},
    )
    outcome = host.handle(NDATA, data, now=NOW)
    assert [(p.metric, p.value) for p in outcome.points[""]] == [("Line/Speed", 3.0)]
    assert sum(outcome.refused.values()) == 2
    whole = payload(2, {"alias": 1, "double_value": 4.0}, ts=10**15)  # the payload's own
    assert host.handle(NDATA, whole, now=NOW).points[""] == []
