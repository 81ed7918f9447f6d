"""Integration URLs: the token-authenticated ingest API and the organisation's pages.

`api_patterns` are mounted at the site root (/api/...), namespace "integration-api";
`urlpatterns` under /o/<org_slug>/integrations/ by config.urls.
"""

from django.urls import path

from integration import api

api_patterns = (
    [
        path("api/v2/write", api.write_v2, name="write"),
        path("api/v1/telemetry", api.telemetry_v1, name="telemetry"),
        path("api/v1/ping", api.ping, name="ping"),
        path("api/v1/ping/fail", api.ping_fail, name="ping-fail"),
        path("api/v1/integrations/<uuid:integration_id>/series", api.series, name="series"),
        path("api/openapi.json", api.openapi_json, name="openapi-json"),
        path("api/openapi.yaml", api.openapi_yaml, name="openapi-yaml"),
    ],
    "integration-api",
)

app_name = "integration"
urlpatterns = []
