"""Checks on criteria: named tests of live data, each refused with a message naming its place."""

import copy
from datetime import timedelta
from functools import cache

import pytest
import yaml

from assessments.framework.fields import FrameworkError
from assessments.framework.loading import FRAMEWORKS_DIR, parse_framework
from assessments.framework.model import Framework

PLACE = "broken.yaml: criteria.manufacturing.2[0].checks[0]"
# A version without checks, so each test adds the one it is about.
WITHOUT_CHECKS = FRAMEWORKS_DIR / "ladder-2026.1.yaml"


@cache
def _shipped_data() -> dict:
    return yaml.safe_load(WITHOUT_CHECKS.read_text(encoding="utf-8"))


def with_check(**fields) -> dict:
    """The shipped framework with one freshness check on mfg-2-machine-data, `fields` changed;
    a field given as None is left out."""
    check = {
        "key": "mfg-2-machine-data-fresh",
        "name": "Machine data arrives every interval",
        "kind": "freshness",
        "window": "24h",
        "threshold": 300,
        "roles": ["machine data PLC→MES"],
    }
    check = {name: value for name, value in (check | fields).items() if value is not None}
    data = copy.deepcopy(_shipped_data())
    data["criteria"]["manufacturing"][2][0]["checks"] = [check]
    return data


def parse(data) -> Framework:
    return parse_framework(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "fine.yaml")


def error_for(data) -> str:
    with pytest.raises(FrameworkError) as excinfo:
        parse_framework(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "broken.yaml")
    return str(excinfo.value)


# Accepted


def test_a_criterion_carries_its_checks():
    framework = parse(with_check())

    criterion = framework.criterion("mfg-2-machine-data")
    [check] = criterion.checks
    assert check.key == "mfg-2-machine-data-fresh"
    assert check.criterion == "mfg-2-machine-data"
    assert (check.kind, check.window, check.threshold) == ("freshness", "24h", 300)
    assert check.roles == ("machine data PLC→MES",)
    assert check.window_length == timedelta(hours=24)
    assert check.grace_days == 7
    assert (check.aggregate, check.op, check.operating_hours, check.metric_hint) == (
        None,
        None,
        False,
        None,
    )


def test_checks_are_found_by_key():
    framework = parse(with_check())

    assert framework.check("mfg-2-machine-data-fresh").criterion == "mfg-2-machine-data"
    assert list(framework.checks_by_key) == ["mfg-2-machine-data-fresh"]
    with pytest.raises(KeyError):
        framework.check("no-such-check")


def test_a_criterion_without_checks_has_none():
    framework = parse(with_check())

    assert framework.criterion("mfg-2-live-oee").checks == ()


def test_an_aggregate_check_has_its_aggregate_op_and_hint():
    data = with_check(
        kind="aggregate",
        aggregate="avg",
        op=">=",
        threshold=0.6,
        window="7d",
        operating_hours=True,
        metric_hint="OEE",
        grace_days=14,
    )

    check = parse(data).check("mfg-2-machine-data-fresh")

    assert (check.aggregate, check.op, check.threshold) == ("avg", ">=", 0.6)
    assert check.operating_hours is True
    assert (check.metric_hint, check.grace_days) == ("OEE", 14)
    assert check.window_length == timedelta(days=7)


def test_a_both_directions_check_names_two_roles():
    data = with_check(kind="both_directions", threshold=0.95, roles=["orders", "confirmations"])

    assert parse(data).check("mfg-2-machine-data-fresh").roles == ("orders", "confirmations")


@pytest.mark.parametrize("window", ["15m", "24h", "90d", "2160h"])
def test_a_window_is_minutes_hours_or_days_up_to_90_days(window):
    parse(with_check(window=window, threshold=60))


def test_checks_survive_a_snapshot():
    framework = parse(
        with_check(kind="aggregate", aggregate="count", op="<=", threshold=3, metric_hint="stops")
    )

    data = framework.as_dict()

    [check] = data["criteria"]["manufacturing"]["2"][0]["checks"]
    assert check == {
        "key": "mfg-2-machine-data-fresh",
        "name": "Machine data arrives every interval",
        "kind": "aggregate",
        "window": "24h",
        "threshold": 3,
        "roles": ["machine data PLC→MES"],
        "aggregate": "count",
        "op": "<=",
        "operating_hours": False,
        "metric_hint": "stops",
        "grace_days": 7,
    }
    assert Framework.from_dict(data) == framework


def test_a_snapshot_without_checks_is_as_before_checks_existed():
    data = parse(_shipped_data()).as_dict()

    assert data["criteria"]["retail"]["2"][0] == {
        "key": "ret-2-pos-inventory-sync",
        "text": "POS sales update inventory automatically, so stock levels are current within "
        "minutes, not after a nightly batch.",
    }


# Refused


def test_it_rejects_an_unknown_kind():
    assert error_for(with_check(kind="speed")) == (
        f"{PLACE}.kind: unknown kind 'speed'; expected one of freshness, uptime, aggregate, "
        "both_directions, heartbeat, variation"
    )


def test_it_rejects_a_check_without_a_kind():
    assert error_for(with_check(kind=None)) == f"{PLACE}.kind: missing"


@pytest.mark.parametrize("window", ["2w", "24", "h", "1.5h", "-1d", "24 h"])
def test_it_rejects_a_window_that_is_not_minutes_hours_or_days(window):
    assert error_for(with_check(window=window)) == (
        f"{PLACE}.window: {window!r} is not a window; write minutes, hours or days, "
        'e.g. "15m", "24h", "7d"'
    )


def test_it_rejects_a_window_longer_than_90_days():
    assert error_for(with_check(window="91d")) == (
        f"{PLACE}.window: must be at most 90 days, got '91d'"
    )


def test_it_rejects_an_empty_window():
    assert error_for(with_check(window="0h")) == f"{PLACE}.window: must be longer than 0"


def test_it_rejects_a_window_that_is_a_number():
    assert error_for(with_check(window=24)) == f"{PLACE}.window: must be a string, got a number"


@pytest.mark.parametrize("kind", ["uptime", "heartbeat", "both_directions"])
@pytest.mark.parametrize("threshold", [-0.1, 1.5, 95])
def test_it_rejects_a_share_outside_0_to_1(kind, threshold):
    roles = ["orders", "confirmations"] if kind == "both_directions" else ["machine data"]
    data = with_check(kind=kind, threshold=threshold, roles=roles)

    assert error_for(data) == (
        f"{PLACE}.threshold: {'an' if kind == 'uptime' else 'a'} {kind} check's threshold is "
        f"a share from 0 to 1, got {threshold}"
    )


def test_it_rejects_a_freshness_longer_than_its_window():
    assert error_for(with_check(window="1h", threshold=7200)) == (
        f"{PLACE}.threshold: 7200 seconds is longer than the window 1h"
    )


def test_it_rejects_a_freshness_of_no_seconds():
    assert error_for(with_check(threshold=0)) == (
        f"{PLACE}.threshold: a freshness check's threshold is seconds above 0, got 0"
    )


def test_it_rejects_a_variation_of_nothing():
    data = with_check(kind="variation", threshold=0)

    assert error_for(data) == (
        f"{PLACE}.threshold: a variation check's threshold must be above 0, got 0"
    )


@pytest.mark.parametrize(
    ("threshold", "problem"),
    [
        ("300", "must be a number, got a string"),
        (True, "must be a number, got true/false"),
        (float("inf"), "must be a finite number, got inf"),
        (float("nan"), "must be a finite number, got nan"),
    ],
)
def test_it_rejects_a_threshold_that_is_not_a_finite_number(threshold, problem):
    assert error_for(with_check(threshold=threshold)) == f"{PLACE}.threshold: {problem}"


def test_it_rejects_two_roles_for_a_one_way_check():
    assert error_for(with_check(roles=["orders", "confirmations"])) == (
        f"{PLACE}.roles: a freshness check names one role, got 2"
    )


def test_it_rejects_a_check_without_roles():
    assert error_for(with_check(roles=[])) == (
        f"{PLACE}.roles: a freshness check names one role, got 0"
    )


def test_it_rejects_both_directions_with_one_role():
    data = with_check(kind="both_directions", threshold=0.9)

    assert error_for(data) == (
        f"{PLACE}.roles: a both_directions check names two roles, one per direction, got 1"
    )


def test_it_rejects_both_directions_with_the_same_role_twice():
    data = with_check(kind="both_directions", threshold=0.9, roles=["orders", "orders"])

    assert error_for(data) == (
        f"{PLACE}.roles: the two directions need different roles, got 'orders' twice"
    )


def test_it_rejects_a_role_longer_than_a_label():
    assert error_for(with_check(roles=["r" * 81])) == (
        f"{PLACE}.roles[0]: must be at most 80 characters, got 81"
    )


def test_it_rejects_an_aggregate_check_without_aggregate_and_op():
    assert error_for(with_check(kind="aggregate", threshold=1)).splitlines() == [
        f"{PLACE}.aggregate: missing; an aggregate check needs an aggregate: "
        "min, max, avg, count, last",
        f"{PLACE}.op: missing; an aggregate check needs an op: >=, <=",
    ]


def test_it_rejects_an_unknown_aggregate_and_op():
    data = with_check(kind="aggregate", aggregate="median", op="==", threshold=1)

    assert error_for(data).splitlines() == [
        f"{PLACE}.aggregate: must be one of min, max, avg, count, last, got 'median'",
        f"{PLACE}.op: must be one of >=, <=, got '=='",
    ]


def test_it_rejects_aggregate_fields_on_other_kinds():
    data = with_check(aggregate="avg", op=">=", operating_hours=True)

    assert error_for(data).splitlines() == [
        f"{PLACE}.aggregate: only an aggregate check has one, not a freshness check",
        f"{PLACE}.op: only an aggregate check has one, not a freshness check",
        f"{PLACE}.operating_hours: only for aggregate checks, not a freshness check",
    ]


def test_it_rejects_a_metric_hint_on_a_check_without_a_metric():
    assert error_for(with_check(metric_hint="spindle load")) == (
        f"{PLACE}.metric_hint: only for aggregate or variation checks, not a freshness check"
    )


@pytest.mark.parametrize("days", [-1, 91, 7.5, "7"])
def test_it_rejects_grace_days_that_are_not_0_to_90(days):
    assert error_for(with_check(grace_days=days)).startswith(
        f"{PLACE}.grace_days: must be a whole number of days 0 to 90, got "
    )


def test_it_rejects_a_check_key_used_twice():
    data = with_check(key="mfg-2-live-oee")

    assert error_for(data) == (
        "broken.yaml: criteria.manufacturing.2[1].key: duplicate key 'mfg-2-live-oee', "
        "already used at criteria.manufacturing.2[0].checks[0].key"
    )


def test_it_rejects_two_checks_with_one_key():
    data = with_check()
    checks = data["criteria"]["manufacturing"][2][0]["checks"]
    checks.append(dict(checks[0]))

    assert error_for(data) == (
        "broken.yaml: criteria.manufacturing.2[0].checks[1].key: duplicate key "
        f"'mfg-2-machine-data-fresh', already used at {PLACE.removeprefix('broken.yaml: ')}.key"
    )


def test_it_rejects_an_unknown_field_on_a_check():
    assert error_for(with_check(colour="blue")) == (
        f"{PLACE}.colour: unknown field; expected key, name, kind, window, threshold, roles, "
        "aggregate, op, operating_hours, metric_hint, grace_days"
    )


def test_it_rejects_an_empty_list_of_checks():
    data = copy.deepcopy(_shipped_data())
    data["criteria"]["manufacturing"][2][0]["checks"] = []

    assert error_for(data) == ("broken.yaml: criteria.manufacturing.2[0].checks: must not be empty")


def test_it_reports_every_problem_of_a_check_at_once():
    data = with_check(name="", window="2w", roles=["a", "b"])

    assert error_for(data).splitlines() == [
        f"{PLACE}.name: must not be empty",
        f"{PLACE}.window: '2w' is not a window; write minutes, hours or days, "
        'e.g. "15m", "24h", "7d"',
        f"{PLACE}.roles: a freshness check names one role, got 2",
    ]


def test_a_huge_threshold_in_a_snapshot_is_refused_briefly():
    data = parse(with_check(kind="aggregate", aggregate="max", op="<=", threshold=1)).as_dict()
    data["criteria"]["manufacturing"]["2"][0]["checks"][0]["threshold"] = 10**400
    data["criteria"]["manufacturing"]["2"][0]["checks"][0]["kind"] = "uptime"
    for name in ("aggregate", "op", "operating_hours"):
        del data["criteria"]["manufacturing"]["2"][0]["checks"][0][name]

    with pytest.raises(FrameworkError) as excinfo:
        Framework.from_dict(data, source="snapshot")

    message = str(excinfo.value)
    assert message.startswith(
        "snapshot: criteria.manufacturing.2[0].checks[0].threshold: an uptime check's threshold "
        "is a share from 0 to 1, got 1000"
    )
    assert len(message) < 200
