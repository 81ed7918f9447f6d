"""GET /api/v1/integrations/<id>/series: raw points and rollups for members."""

from datetime import timedelta

import pytest

from integration.lineprotocol import Point
from integration.services import telemetry_ingest
from tests.conftest import client_for
from tests.integration.conftest import NOW


@pytest.fixture(autouse=True)
def _frozen(frozen):
    pass


@pytest.fixture
def data(integration):
    """temp every 20 s over the last two hours, on lines 3 and 4 (line 4 is 100 higher)."""
    points = [
        Point("temp", (("line", line),), NOW - timedelta(seconds=20 * i), float(i) + offset)
        for i in range(1, 361)
        for line, offset in (("3", 0.0), ("4", 100.0))
    ]
    telemetry_ingest(integration=integration, points=points, now=NOW)
    return integration


def url(integration, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/api/v1/integrations/{integration.pk}/series?{query}"


def get(user, integration, **params):
    return client_for(user).get(url(integration, **params))


def test_raw_points_of_one_series(member, data):
    response = get(
        member, data, metric="temp", label="line=3", start="2026-11-25T09:59:00Z", step="raw"
    )
    assert response.status_code == 200
    assert response.json() == {
        "metric": "temp",
        "step": "raw",
        "points": [
            ["2026-11-25T09:59:00Z", 3.0],
            ["2026-11-25T09:59:20Z", 2.0],
            ["2026-11-25T09:59:40Z", 1.0],
        ],
        "rows": [
            {"time": "2026-11-25T09:59:00Z", "value": 3.0, "labels": {"line": "3"}},
            {"time": "2026-11-25T09:59:20Z", "value": 2.0, "labels": {"line": "3"}},
            {"time": "2026-11-25T09:59:40Z", "value": 1.0, "labels": {"line": "3"}},
        ],
    }


def test_the_window_is_half_open_and_takes_epoch_seconds(member, data):
    start = int((NOW - timedelta(seconds=60)).timestamp())
    end = int((NOW - timedelta(seconds=20)).timestamp())
    response = get(member, data, metric="temp", label="line=3", start=start, end=end)
    assert response.json()["points"] == [
        ["2026-11-25T09:59:00Z", 3.0],
        ["2026-11-25T09:59:20Z", 2.0],
    ]


def test_raw_points_of_several_series_are_merged_in_time_order(member, data):
    response = get(member, data, metric="temp", start="2026-11-25T09:59:30Z")
    assert response.json()["points"] == [
        ["2026-11-25T09:59:40Z", 1.0],
        ["2026-11-25T09:59:40Z", 101.0],
    ]


def test_minute_rollups(member, data):
    response = get(
        member, data, metric="temp", label="line=3", step="1m", start="2026-11-25T09:58:30Z"
    )
    # The first bucket starts at 09:58 (start rounded down); points at :00, :20, :40.
    assert response.json() == {
        "metric": "temp",
        "step": "1m",
        "points": [
            ["2026-11-25T09:58:00Z", 3, 4.0, 6.0, 5.0],
            ["2026-11-25T09:59:00Z", 3, 1.0, 3.0, 2.0],
        ],
        "rows": [
            {
                "time": "2026-11-25T09:58:00Z",
                **{"count": 3, "min": 4.0, "max": 6.0, "avg": 5.0},
                "labels": {"line": "3"},
            },
            {
                "time": "2026-11-25T09:59:00Z",
                **{"count": 3, "min": 1.0, "max": 3.0, "avg": 2.0},
                "labels": {"line": "3"},
            },
        ],
    }


def test_hour_rollups_combine_every_series(member, data):
    response = get(member, data, metric="temp", step="1h", start="2026-11-25T08:00:00Z")
    points = response.json()["points"]
    assert [row[:2] for row in points] == [
        ["2026-11-25T08:00:00Z", 360],
        ["2026-11-25T09:00:00Z", 360],
    ]
    # 09:00-10:00 holds i = 1..180 on both lines: min 1, max 280, avg 90.5 + 50.
    assert points[1][2:] == [1.0, 280.0, 140.5]


def test_default_window_is_the_last_24_hours_raw(member, data):
    response = get(member, data, metric="temp")
    assert response.json()["step"] == "raw"
    assert len(response.json()["points"]) == 720


def test_every_role_of_the_organisation_can_read(viewer, consultant, data):
    assert get(viewer, data, metric="temp").status_code == 200
    assert get(consultant, data, metric="temp").status_code == 200


def test_another_organisations_integration_is_404(outsider, data):
    response = get(outsider, data, metric="temp")
    assert response.status_code == 404
    assert response.json() == {"code": "not found", "message": "no such integration"}


def test_an_unknown_integration_is_404(member, data):
    response = client_for(member).get(
        "/api/v1/integrations/00000000-0000-0000-0000-000000000000/series?metric=temp"
    )
    assert response.status_code == 404


def test_an_unknown_metric_is_404(member, data):
    response = get(member, data, metric="tmep")
    assert response.status_code == 404
    assert response.json()["message"] == "integration has no metric 'tmep'"


def test_anonymous_is_401(client, data):
    response = client.get(url(data, metric="temp"))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize(
    "params,message",
    [
        ({}, "the metric parameter is required"),
        ({"metric": "temp", "step": "5m"}, "step must be one of raw, 1m, 1h, not '5m'"),
        ({"metric": "temp", "start": "yesterday"}, "start 'yesterday' is not ISO 8601"),
        ({"metric": "temp", "end": "2026-11-25T10:00:00"}, "end '2026-11-25T10:00:00' needs a"),
        ({"metric": "temp", "start": "1e300"}, "start '1e300' is out of range"),
        (
            {"metric": "temp", "start": "2026-11-25T10:00:00Z", "end": "2026-11-25T09:00:00Z"},
            "end must be after start",
        ),
        ({"metric": "temp", "label": "line"}, "label 'line' must be name=value"),
    ],
)
def test_bad_parameters_are_400_with_the_message(member, data, params, message):
    response = get(member, data, **params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["message"].startswith(message)


def test_too_many_rows_are_400_suggesting_a_coarser_step(member, data, settings):
    settings.TELEMETRY_READ_MAX_POINTS = 100
    response = get(member, data, metric="temp")
    assert response.status_code == 400
    assert "use a coarser step" in response.json()["message"]
    assert get(member, data, metric="temp", step="1h").status_code == 200


def test_post_is_not_allowed(member, data):
    response = client_for(member).post(url(data, metric="temp"))
    assert response.status_code == 405


def test_it_reads_rollups_with_few_queries(member, data, django_assert_max_num_queries):
    client = client_for(member)
    with django_assert_max_num_queries(5):  # session, user, integration, series, rows
        client.get(url(data, metric="temp", step="1h", start="2026-10-26T10:00:00Z"))


# --- Epoch milliseconds (Grafana's ${__from} and ${__to}) -------------------------------------


def test_the_window_takes_epoch_milliseconds_of_13_digits_or_with_ms(member, data):
    start_ms = int((NOW - timedelta(seconds=60)).timestamp() * 1000)
    end_ms = int((NOW - timedelta(seconds=20)).timestamp() * 1000)
    expected = [["2026-11-25T09:59:00Z", 3.0], ["2026-11-25T09:59:20Z", 2.0]]
    for start, end in ((start_ms, end_ms), (f"{start_ms}ms", f"{end_ms}ms")):
        response = get(member, data, metric="temp", label="line=3", start=start, end=end)
        assert response.status_code == 200
        assert response.json()["points"] == expected


def test_epoch_milliseconds_keep_their_milliseconds(member, data):
    # 09:59:00.001 leaves out the point at 09:59:00 exactly.
    start_ms = int((NOW - timedelta(seconds=60)).timestamp() * 1000) + 1
    response = get(member, data, metric="temp", label="line=3", start=start_ms)
    assert response.json()["points"][0] == ["2026-11-25T09:59:20Z", 2.0]


def test_iso_and_epoch_seconds_still_mean_what_they_meant(member, data):
    seconds = int((NOW - timedelta(seconds=60)).timestamp())  # 10 digits: seconds
    by_seconds = get(member, data, metric="temp", label="line=3", start=seconds)
    by_iso = get(member, data, metric="temp", label="line=3", start="2026-11-25T09:59:00Z")
    assert by_seconds.json()["points"] == by_iso.json()["points"]
    assert len(by_seconds.json()["points"]) == 3


@pytest.mark.parametrize(
    "start,message",
    [
        ("1795600800000000", "start '1795600800000000' is not ISO 8601"),  # 16 digits: neither
        ("9999999999999", "start must lie between 2000 and a year from now"),  # year 2286
        ("0000000000123", "start must lie between 2000 and a year from now"),  # 1970
        ("123ms", "start must lie between 2000 and a year from now"),
        ("99999999999999999999ms", "start '99999999999999999999ms' is out of range"),
        ("1795600800000 ms", "start '1795600800000 ms' is not ISO 8601"),
        ("-1795600800000ms", "start '-1795600800000ms' is not ISO 8601"),
        ("1795600800000.5ms", "start '1795600800000.5ms' is not ISO 8601"),
    ],
)
def test_bad_epoch_milliseconds_are_400(member, data, start, message):
    response = get(member, data, metric="temp", start=start)
    assert response.status_code == 400
    assert response.json()["message"].startswith(message)


def test_the_message_names_every_accepted_form(member, data):
    response = get(member, data, metric="temp", start="yesterday")
    assert response.json()["message"] == (
        "start 'yesterday' is not ISO 8601 (e.g. 2026-11-25T10:00:00Z), epoch seconds "
        "or epoch milliseconds (13 digits, or digits ending in ms)"
    )


# --- Each row's labels -------------------------------------------------------------------------


def test_raw_rows_carry_their_own_series_labels(member, data):
    response = get(member, data, metric="temp", start="2026-11-25T09:59:40Z")
    body = response.json()
    assert body["points"] == [["2026-11-25T09:59:40Z", 1.0], ["2026-11-25T09:59:40Z", 101.0]]
    assert body["rows"] == [
        {"time": "2026-11-25T09:59:40Z", "value": 1.0, "labels": {"line": "3"}},
        {"time": "2026-11-25T09:59:40Z", "value": 101.0, "labels": {"line": "4"}},
    ]


def test_combined_rollups_carry_the_labels_their_series_share(member, integration):
    points = [
        Point("temp", (("line", line), ("site", "sheffield")), NOW - timedelta(seconds=30), v)
        for line, v in (("3", 1.0), ("4", 3.0))
    ]
    telemetry_ingest(integration=integration, points=points, now=NOW)
    body = get(member, integration, metric="temp", step="1m", start="2026-11-25T09:59:00Z").json()
    assert body["points"] == [["2026-11-25T09:59:00Z", 2, 1.0, 3.0, 2.0]]
    assert body["rows"] == [
        {
            "time": "2026-11-25T09:59:00Z",
            **{"count": 2, "min": 1.0, "max": 3.0, "avg": 2.0},
            "labels": {"site": "sheffield"},
        }
    ]


def test_a_series_without_labels_has_empty_labels(member, integration):
    points = [Point("temp", (), NOW - timedelta(seconds=30), 5.0)]
    telemetry_ingest(integration=integration, points=points, now=NOW)
    body = get(member, integration, metric="temp").json()
    assert body["rows"] == [{"time": "2026-11-25T09:59:30Z", "value": 5.0, "labels": {}}]
