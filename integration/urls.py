"""Integration URLs: the token-authenticated ingest API and the organisation's pages.

`api_patterns` are mounted at the site root (/api/..., and InfluxDB's /write, /ping and /health),
namespace "integration-api";
`urlpatterns` under /o/<org_slug>/integrations/ by config.urls.
"""

from django.urls import path

from integration import api, api_read
from integration.views import integrations, tokens

api_patterns = (
    [
        path("api/v2/write", api.write_v2, name="write"),
        path("write", api.write_v1, name="write-v1"),  # InfluxDB 1.x
        path("ping", api.influx_ping, name="influx-ping"),  # InfluxDB's probes, no token
        path("health", api.influx_health, name="influx-health"),
        path("api/v1/telemetry", api.telemetry_v1, name="telemetry"),
        path("api/v1/ping", api.ping, name="ping"),
        path("api/v1/ping/fail", api.ping_fail, name="ping-fail"),
        path("api/v1/integrations/<str:integration_id>/series", api_read.series, name="series"),
        path("api/v1/integrations/<str:integration_id>/metrics", api_read.metrics, name="metrics"),
        path("api/openapi.json", api_read.openapi_json, name="openapi-json"),
        path("api/openapi.yaml", api_read.openapi_yaml, name="openapi-yaml"),
    ],
    "integration-api",
)

app_name = "integration"
urlpatterns = [
    path("", integrations.integration_list, name="integration-list"),
    path("new/", integrations.integration_create, name="integration-create"),
    path("<uuid:integration_id>/", integrations.integration_detail, name="integration-detail"),
    path("<uuid:integration_id>/edit/", integrations.integration_edit, name="integration-edit"),
    path("<uuid:integration_id>/tokens/", tokens.token_create, name="token-create"),
    path("<uuid:integration_id>/tokens/created/", tokens.token_created, name="token-created"),
    path(
        "<uuid:integration_id>/tokens/<int:token_id>/revoke/",
        tokens.token_revoke,
        name="token-revoke",
    ),
    path("<uuid:integration_id>/read-tokens/", tokens.read_token_create, name="read-token-create"),
    path(
        "<uuid:integration_id>/read-tokens/<int:read_token_id>/revoke/",
        tokens.read_token_revoke,
        name="read-token-revoke",
    ),
]
