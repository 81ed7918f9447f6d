"""The shipped versions: 2026.1 as published, and 2026.2, the same content with checks, which
new assessments start on."""

import hashlib

import pytest

from assessments.framework.fields import FrameworkError
from assessments.framework.loading import (
    FRAMEWORKS_DIR,
    default_framework,
    load_framework,
    shipped_framework,
)
from assessments.framework.model import Framework, stored_framework
from assessments.models import FrameworkVersion

V1 = FRAMEWORKS_DIR / "ladder-2026.1.yaml"
V2 = FRAMEWORKS_DIR / "ladder-2026.2.yaml"
V1_SHA256 = "56d0b6b62aab5594c3ebc6da4d269b8b0492207f98666e25fddfc7b833cedb44"
CHECKED_SHARE = 0.8


@pytest.fixture(scope="module")
def v1() -> Framework:
    return load_framework(V1)


@pytest.fixture(scope="module")
def v2() -> Framework:
    return load_framework(V2)


def test_a_published_version_never_changes():
    assert hashlib.sha256(V1.read_bytes()).hexdigest() == V1_SHA256


def test_2026_1_has_no_checks(v1):
    assert v1.version == "2026.1"
    assert v1.checks == ()


def test_2026_2_loads(v2):
    assert (v2.id, v2.version, v2.title) == (
        "ladder",
        "2026.2",
        "Ladder IT/OT integration framework",
    )


def test_2026_2_keeps_every_criterion_of_2026_1_unchanged(v1, v2):
    def criteria(framework):
        return [(c.key, c.area, c.level, c.text) for c in framework.criteria]

    assert criteria(v2) == criteria(v1)


def test_2026_2_keeps_the_rest_of_2026_1_unchanged(v1, v2):
    assert v2.areas == v1.areas
    assert v2.samr_levels == v1.samr_levels
    assert v2.responsibilities == v1.responsibilities
    assert v2.benefits == v1.benefits
    assert v2.dimensions == v1.dimensions
    assert v2.actions == v1.actions


def test_2026_2_checks_most_level_2_to_4_criteria_of_every_area(v2):
    for area in v2.areas:
        criteria = [c for level in (2, 3, 4) for c in v2.criteria_for(area.key, level)]
        checked = [c for c in criteria if c.checks]
        assert len(checked) >= CHECKED_SHARE * len(criteria), area.key


def test_2026_2_checks_no_level_1_criterion(v2):
    """Level 1 is a tool replacing paper, shown by evidence; live data starts at level 2."""
    assert not [c.key for c in v2.criteria if c.level == 1 and c.checks]


def test_2026_2_uses_every_kind_of_check(v2):
    kinds = {check.kind for check in v2.checks}

    assert kinds == {
        "freshness",
        "uptime",
        "aggregate",
        "both_directions",
        "heartbeat",
        "variation",
    }


def test_every_check_of_2026_2_is_complete_for_its_kind(v2):
    for check in v2.checks:
        assert check.criterion in {c.key for c in v2.criteria}, check.key
        assert check.name and check.window_length.total_seconds() > 0, check.key
        assert len(check.roles) == (2 if check.kind == "both_directions" else 1), check.key
        if check.kind in ("uptime", "heartbeat", "both_directions"):
            assert 0 < check.threshold <= 1, check.key
        if check.kind == "aggregate":
            assert check.aggregate and check.op and check.metric_hint, check.key
        if check.kind == "variation":
            assert check.metric_hint, check.key


def test_2026_2_check_keys_are_unique_and_found(v2):
    assert len(v2.checks_by_key) == len(v2.checks)
    assert v2.check("mfg-3-orders-and-confirmations").roles == (
        "orders ERP→MES",
        "confirmations MES→ERP",
    )


def test_2026_2_round_trips_as_a_snapshot(v2):
    assert Framework.from_dict(v2.as_dict(), stored=True) == v2


def test_a_stored_version_is_built_once_and_changed_data_afresh(v2):
    data = v2.as_dict()
    first = stored_framework(data, "stored")
    assert first == v2 and stored_framework(v2.as_dict(), "stored") is first
    # Another version with the same data keeps its own name (errors name it).
    assert stored_framework(v2.as_dict(), "another") is not first
    renamed = v2.as_dict() | {"title": "Renamed"}
    assert stored_framework(renamed, "renamed").title == "Renamed"
    with pytest.raises(FrameworkError):
        stored_framework(v2.as_dict() | {"areas": []}, "broken")


def test_new_assessments_start_on_2026_2():
    assert default_framework().version == "2026.2"


def test_every_shipped_version_is_found_by_id_and_version(v1, v2):
    assert shipped_framework("ladder", "2026.1") == v1
    assert shipped_framework("ladder", "2026.2") is default_framework()
    assert shipped_framework("ladder", "2099.1") is None
    assert shipped_framework(["ladder"], {"2026.1": 1}) is None


def test_the_shipped_record_of_an_older_version_is_that_version(db, v1):
    stored = FrameworkVersion.objects.shipped(v1)

    assert (stored.organization, stored.key, stored.version) == (None, "ladder", "2026.1")
    assert stored.definition == v1
    assert FrameworkVersion.objects.shipped().version == "2026.2"


def test_every_shipped_file_is_named_after_its_id_and_version():
    for path in FRAMEWORKS_DIR.glob("*.yaml"):
        framework = load_framework(path)

        assert path.name == f"{framework.id}-{framework.version}.yaml"
        assert shipped_framework(framework.id, framework.version) == framework
