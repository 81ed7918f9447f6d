"""The OpenAPI document describes every API endpoint and is served by the app."""

import re

import yaml
from django.urls import URLPattern, get_resolver

from integration.api_read import OPENAPI_PATH


def api_routes() -> set[str]:
    """Every route under /api/ and InfluxDB's, in OpenAPI's {param} spelling."""
    routes = set()

    def walk(patterns, prefix):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLPattern):
                routes.add("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))
            else:
                walk(p.url_patterns, route)

    walk(get_resolver().url_patterns, "")
    influxdb = {"/write", "/ping", "/health"}  # InfluxDB's paths, at the root as clients expect
    return {route for route in routes if route.startswith("/api/") or route in influxdb}


def test_every_api_route_is_documented_and_nothing_else():
    document = yaml.safe_load(OPENAPI_PATH.read_text())
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == api_routes()


def test_every_error_code_the_api_uses_is_in_the_document():
    from integration.api import _STATUS

    document = yaml.safe_load(OPENAPI_PATH.read_text())
    assert set(document["components"]["schemas"]["Error"]["properties"]["code"]["enum"]) == set(
        _STATUS
    )


def test_every_reference_resolves():
    text = OPENAPI_PATH.read_text()
    document = yaml.safe_load(text)
    for ref in set(re.findall(r'\$ref: "#/([^"]+)"', text)):
        node = document
        for part in ref.split("/"):
            node = node[part]


def test_it_is_served_as_json_and_yaml(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Ladder integration API"
    response = client.get("/api/openapi.yaml")
    assert response["Content-Type"] == "application/yaml"
    assert yaml.safe_load(response.content)["openapi"].startswith("3.")
