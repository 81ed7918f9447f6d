"""Fuzzing the series read API through the real view: whatever the query, never a 500."""

import json
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import client_for
from tests.integration.test_fuzz_ingest import FUZZ, assert_clean_error, fresh_token, post_telemetry

# GET /api/v1/integrations/<id>/series

# The bounded datetimes stay a day inside datetime.min and .max, where the view once failed;
# `test_series_edge_queries_are_never_a_500` at the end pins those edges.
query_texts = st.one_of(
    st.text(max_size=30),
    st.datetimes(
        min_value=datetime(1, 1, 3), max_value=datetime(9999, 12, 29), timezones=st.timezones()
    ).map(lambda ts: ts.isoformat()),
    st.datetimes().map(lambda ts: ts.isoformat()),
    st.floats().map(str),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["temp", "rpm", "0", "1e308", "nan", "inf", "-inf", "Z"]),
)
series_params = st.fixed_dictionaries(
    {},
    optional={
        "metric": st.sampled_from(["temp", "rpm", "_ping", "te\x00mp"]) | st.text(max_size=10),
        "start": query_texts,
        "end": query_texts,
        "step": st.sampled_from(["raw", "1m", "1h", ""]) | st.text(max_size=4),
        "label": st.lists(
            st.sampled_from(["line=3", "line=4", "=", "line", "a=b=c"]) | st.text(max_size=8),
            max_size=3,
        ),
    },
)


@pytest.fixture
def series_client(org, owner):
    return client_for(owner)


@pytest.mark.django_db
@FUZZ
@given(
    params=series_params,
    extra=st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)
def test_series_any_query(series_client, org, params, extra):
    params = {**extra, **params}
    integration, token = fresh_token(org)
    now = timezone.now()
    body = {
        "points": [
            {"metric": "temp", "value": i, "ts": (now - timedelta(minutes=i)).isoformat()}
            for i in range(3)
        ]
        + [{"metric": "temp", "value": 9, "labels": {"line": "3"}}]
    }
    assert post_telemetry(series_client, token, json.dumps(body).encode()).status_code == 200
    url = f"/api/v1/integrations/{integration.pk}/series?{urlencode(params, doseq=True)}"
    response = series_client.get(url)
    if response.status_code == 200:
        answer = response.json()
        assert set(answer) == {"metric", "step", "points", "rows"}
        width = 2 if answer["step"] == "raw" else 5
        assert all(len(row) == width for row in answer["points"])
        assert [row["time"] for row in answer["rows"]] == [row[0] for row in answer["points"]]
        assert all(isinstance(row["labels"], dict) for row in answer["rows"])
        if answer["step"] == "raw":
            assert len(answer["points"]) <= 4
    else:
        assert_clean_error(response)


# Edge queries that once were 500s: a start or end outside the telemetry's range (date
# arithmetic and SQLite's UTC conversion overflowed) and a NUL in the metric (PostgreSQL).


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"metric": "temp", "end": "0001-01-01T00:00:00+00:00"},
        {"metric": "temp", "start": "0001-01-01T00:00:00+05:00", "end": "0001-01-02T00:00Z"},
        {"metric": "temp", "start": "9999-12-31T00:00-05:00", "end": "9999-12-31T23:00-05:00"},
        {"metric": "te\x00mp"},
        {"metric": "temp", "label": "li\x00ne=3"},
        {"metric": "temp", "label": "line=\x003"},
    ],
)
def test_series_edge_queries_are_never_a_500(series_client, org, params):
    integration, token = fresh_token(org)
    body = {"points": [{"metric": "temp", "value": 1, "labels": {"line": "3"}}]}
    assert post_telemetry(series_client, token, json.dumps(body).encode()).status_code == 200
    query = urlencode(params, doseq=True)
    response = series_client.get(f"/api/v1/integrations/{integration.pk}/series?{query}")
    if response.status_code == 200:
        assert response.json()["points"] == []
    else:
        assert_clean_error(response)
