"""schemathesis against the served OpenAPI document (issue 7, item 5).

Every operation of ``/api/openapi.json``, called in-process through the WSGI app on the test
database with valid credentials (the ingest token in the scheme the operation documents, a
read token for the read API, or a member's session cookie where that is the only scheme): no
server error, every status code documented, every response matching its schema, and
schemathesis' other default checks except positive_data_acceptance (see `test_api`).
"""

import uuid

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from config.wsgi import application
from integration.models import IngestToken, Integration, ReadToken

SCHEME = {"tokenAuth": "Token", "bearerAuth": "Bearer"}


# Loaded when the module is imported, by fetching the document from the app.
# (schemathesis.pytest.from_fixture, the lazy loader, fails on pytest 9.2 with
# "'Function' object has no attribute '_nodeid'" in schemathesis 4.32.5.)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
# Unknown query parameters and headers are ignored, as InfluxDB's API does (clients send their
# own): not a request the app should refuse.
schema.config.generation.update(allow_extra_parameters=False)


@pytest.fixture(autouse=True)
def _keep_the_test_connection(db):
    """As Django's test client does: a request must not close the connection holding the
    test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def credentials(org, owner):
    integration = Integration.objects.create(organization=org, name="schemathesis")
    token = IngestToken.objects.issue(integration=integration, name="schemathesis")[1]
    read_token = ReadToken.objects.issue(integration=integration, name="schemathesis")[1]
    browser = Client()
    browser.force_login(owner)
    return {
        "integration": integration,
        "token": token,
        "read_token": read_token,
        "session": browser.cookies["sessionid"],
    }


def authenticate(case, credentials) -> dict:
    """Headers and cookies for `case`, per the security scheme its operation documents."""
    headers, cookies = {}, {}
    security = case.operation.definition.raw.get("security", [])
    for requirement in security:
        for name in requirement:
            if name in SCHEME:
                headers["Authorization"] = f"{SCHEME[name]} {credentials['token']}"
            elif name == "readTokenAuth":
                headers["Authorization"] = f"Bearer {credentials['read_token']}"
            elif name == "sessionAuth":
                cookies["sessionid"] = credentials["session"].value
    if "readTokenAuth" in {name for requirement in security for name in requirement}:
        # The read API takes a session or a read token: one at a time, so schemathesis' check
        # that an invalid credential is refused is not answered by the other, valid one (the
        # session is proven by test_series_api).
        cookies = {}
        case.cookies = {}  # nor a session cookie schemathesis made up
    return {"headers": headers, "cookies": cookies}


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@schema.parametrize()
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api(case, credentials):
    path_parameters = case.path_parameters or {}
    malformed_id = "integration_id" in path_parameters and not _is_uuid(
        path_parameters["integration_id"]
    )
    if "integration_id" in path_parameters and not malformed_id:
        # A random UUID is always a 404: read the test's own integration instead.
        path_parameters["integration_id"] = str(credentials["integration"].pk)
    auth = authenticate(case, credentials)
    headers = {**(case.headers or {}), **auth["headers"]}
    if malformed_id:
        # Any string fits the path's UUID format for schemathesis; the API answers a JSON 404.
        response = case.call_and_validate(headers=headers, cookies=auth["cookies"])
        assert response.status_code == 404
        return
    # positive_data_acceptance is left out: a schema-valid request can still be a rightful 400
    # for rules OpenAPI cannot state (a timestamp more than 10 minutes ahead or before 2000 for
    # its precision, end after start, a time string that is ISO 8601 or epoch seconds).
    case.call_and_validate(
        headers=headers, cookies=auth["cookies"], excluded_checks=[positive_data_acceptance]
    )


def test_a_malformed_integration_id_is_a_json_404(credentials):
    browser = Client()
    browser.cookies["sessionid"] = credentials["session"].value
    response = browser.get("/api/v1/integrations/not-a-uuid/series?metric=temp")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
