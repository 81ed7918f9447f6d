import time
from datetime import UTC, datetime

import pytest
import time_machine

from integration.models import IngestToken, Integration, MinuteRollup, Point

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
NOW_NS = int(NOW.timestamp()) * 10**9
# The simulator's tests count from midnight of a Wednesday; London is on UTC in November.
WEDNESDAY = datetime(2026, 11, 25, tzinfo=UTC)

# The MQTT tests: the shared broker, and points an hour ago in whole seconds, inside the
# ingest window whenever the tests run.
SHARED_URL = "mqtt://127.0.0.1:1883"
BASE = datetime.fromtimestamp(int(time.time()) - 3600, UTC)
BASE_NS = int(BASE.timestamp()) * 10**9


@pytest.fixture
def frozen():
    """The clock stopped at NOW, for views that take the time themselves."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def integration(org):
    return Integration.objects.create(organization=org, name="Press line 3 vibration")


@pytest.fixture
def other_integration(other_org):
    return Integration.objects.create(organization=other_org, name="Globex POS sync")


@pytest.fixture
def second_integration(org):
    return Integration.objects.create(organization=org, name="Riverside boiler temperature")


@pytest.fixture
def token(integration):
    """The plain text of an ingest token of `integration`."""
    return IngestToken.objects.issue(integration=integration, name="test")[1]


@pytest.fixture
def other_token(other_integration):
    return IngestToken.objects.issue(integration=other_integration, name="test")[1]


def stored(integration, metric=None) -> list[tuple]:
    """(metric, labels, ts, value) of every raw point of `integration`, in order."""
    points = Point.objects.filter(series__metric__integration=integration)
    if metric:
        points = points.filter(series__metric__name=metric)
    rows = points.values_list("series__metric__name", "series__labels", "ts", "value")
    return sorted(rows)


def minute_rollups(integration) -> list[tuple]:
    rows = MinuteRollup.objects.filter(series__metric__integration=integration).values_list(
        "series__metric__name", "bucket", "count", "min", "max", "sum", "last"
    )
    return sorted(rows)


def line(i: int, sensor: str = "s1") -> bytes:
    """A line-protocol message of one point, `i` seconds after BASE."""
    return f"vibration,sensor={sensor} rms={i}.5 {BASE_NS + i * 10**9}".encode()


def count(integration) -> int:
    """How many raw points `integration` has stored."""
    return Point.objects.filter(series__metric__integration=integration).count()
