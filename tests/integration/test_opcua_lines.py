"""The OPC UA collector's lines: what each value becomes, read back by Ladder's own parser."""

from datetime import UTC, datetime

import pytest
from asyncua import ua

from integration import lineprotocol
from integration.opcua.config import NodeConfig
from integration.opcua.lines import field_value, line, quality, series_prefix, timestamp_ms

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TS = datetime(2026, 11, 25, 9, 59, 30, 123456, tzinfo=UTC)
TS_MS = int(TS.replace(microsecond=0).timestamp()) * 1000 + 123  # microseconds cut, not rounded


def node(**extra):
    return NodeConfig(node_id="ns=2;s=Line3.Press.Vibration", metric="press", **extra)


@pytest.mark.parametrize(
    ("value", "text", "parsed"),
    [
        (1.5, "1.5", 1.5),
        (0.1 + 0.2, "0.30000000000000004", 0.1 + 0.2),  # repr: the float itself, not rounded
        (42, "42i", 42.0),
        (2**64 - 1, "18446744073709551615u", float(2**64 - 1)),
        (True, "true", 1.0),
        (False, "false", 0.0),
    ],
)
def test_numbers_become_field_values_ladder_reads_back_exactly(value, text, parsed):
    assert field_value(value) == text
    points = lineprotocol.parse(f"press v={text} {TS_MS}", precision="ms", now=NOW)
    assert points[0].value == parsed


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "running", None, [1, 2], 2**64])
def test_what_is_no_finite_number_has_no_field_value(value):
    assert field_value(value) is None


def test_names_and_tags_are_escaped_and_tags_sorted():
    prefix = series_prefix(
        NodeConfig(
            node_id="i=2258",
            metric="press line,3",
            field="rms=x",
            tags={"zone": "a b", "hall": "1"},
        )
    )
    assert prefix == "press\\ line\\,3,hall=1,zone=a\\ b rms\\=x="
    (point,) = lineprotocol.parse(line(prefix, "1.5", TS_MS, "good"), precision="ms",
                                  now=NOW)  # fmt: skip
    assert point.metric == "press line,3.rms=x"
    assert point.labels == (("hall", "1"), ("zone", "a b"))


def test_the_source_timestamp_wins_then_the_server_timestamp_then_arrival():
    later = datetime(2026, 11, 25, 9, 59, 31, tzinfo=UTC)
    both = ua.DataValue(ua.Variant(1.0), SourceTimestamp=TS, ServerTimestamp=later)
    assert timestamp_ms(both, NOW) == TS_MS
    server_only = ua.DataValue(ua.Variant(1.0), ServerTimestamp=later)
    assert timestamp_ms(server_only, NOW) == int(later.timestamp()) * 1000
    assert timestamp_ms(ua.DataValue(ua.Variant(1.0)), NOW) == int(NOW.timestamp()) * 1000


@pytest.mark.parametrize(
    ("status", "expected", "suffix"),
    [
        (ua.StatusCodes.Good, "good", ""),
        (ua.StatusCodes.UncertainLastUsableValue, "uncertain", ',_quality="uncertain"'),
        (ua.StatusCodes.BadSensorFailure, "bad", ',_quality="bad"'),
        (ua.StatusCodes.BadCommunicationError, "bad", ',_quality="bad"'),
    ],
)
def test_the_status_code_becomes_quality_left_out_when_good(status, expected, suffix):
    value = ua.DataValue(ua.Variant(2.5), StatusCode=ua.StatusCode(status))
    assert quality(value) == expected
    text = line(series_prefix(node(field="rms")), "2.5", TS_MS, expected)
    assert text == f"press rms=2.5{suffix} {TS_MS}"
    # Ladder reads the value and (today) skips the string field.
    (point,) = lineprotocol.parse(text, precision="ms", now=NOW)
    assert (point.metric, point.value) == ("press.rms", 2.5)


def collector_for(tmp_path):
    from integration.opcua.collector import Collector
    from integration.opcua.config import Config

    return Collector(
        Config.model_validate({
            "ladder": {"url": "http://127.0.0.1:9", "token": "t"},
            "opcua": {"endpoint": "opc.tcp://127.0.0.1:4840"},
            "buffer": {"path": tmp_path / "buffer.sqlite3"},
            "nodes": [{"node_id": "ns=2;s=Press.Rms", "metric": "press", "field": "rms"}],
        })
    )  # fmt: skip


def test_a_bad_value_that_has_a_value_is_sent_marked_bad_and_one_without_is_not(tmp_path, caplog):
    collector = collector_for(tmp_path)
    node_id = ua.NodeId.from_string("ns=2;s=Press.Rms")
    bad = ua.StatusCode(ua.StatusCodes.BadSensorFailure)
    # Some gateways send the last value with a Bad status; the spec's servers send none.
    collector.on_value(node_id, ua.DataValue(ua.Variant(0.25), StatusCode=bad, SourceTimestamp=TS))
    collector.on_value(node_id, ua.DataValue(ua.Variant(None), StatusCode=bad, SourceTimestamp=TS))
    collector.on_value(node_id, ua.DataValue(ua.Variant(None), StatusCode=bad, SourceTimestamp=TS))
    collector.on_value(node_id, ua.DataValue(ua.Variant(1.0), SourceTimestamp=TS))
    assert collector.pending == [f'press rms=0.25,_quality="bad" {TS_MS}', f"press rms=1.0 {TS_MS}"]
    assert caplog.text.count("node ns=2;s=Press.Rms is BadSensorFailure without a value") == 1
    assert "node ns=2;s=Press.Rms has values again" in caplog.text
    collector.buffer.close()
