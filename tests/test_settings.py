"""Settings come from the environment, with safe defaults; production passes check --deploy."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.instances import database_env

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "ladder.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://ladder.example.com",
    "DATABASE_URL": "postgres://ladder@127.0.0.1:5432/ladder",
}


TEST_ONLY = ("SECRET_KEY", "DEBUG", "HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE")


def run_manage(*args, env):
    base = {k: v for k, v in os.environ.items() if k not in TEST_ONLY}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_is_clean_under_documented_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_secret_key_is_required_when_not_debugging():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_debug_starts_without_any_configuration():
    result = run_manage("check", env={"DEBUG": "1", "DATABASE_URL": ""})
    assert result.returncode == 0, result.stderr


def test_a_bad_boolean_is_refused_with_its_name():
    result = run_manage("check", env={"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_sqlite_uses_immediate_transactions_and_a_busy_timeout(settings):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return  # the PostgreSQL run checks the other branch below
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5


def test_database_url_selects_postgresql():
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    env = {**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "config.settings"}
    base = {k: v for k, v in os.environ.items() if k not in TEST_ONLY}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "django.db.backends.postgresql", result.stderr


# One request after another in a process of its own, as a gunicorn worker serves them: whether
# the connection outlives a request, and what a kept one does when the server has dropped it.
REQUESTS = """
import json, sys
import django
django.setup()
import psycopg
from django.core.signals import request_finished, request_started
from django.db import connection

def request():
    request_started.send(sender=None)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        request_finished.send(sender=None)

request()
kept = connection.connection is not None
answer = {"kept": kept}
if kept and connection.vendor == "postgresql":
    backend = connection.connection.info.backend_pid
    with psycopg.connect(sys.argv[1], autocommit=True) as admin:  # a server restart, in small
        admin.execute("SELECT pg_terminate_backend(%s)", [backend])
    try:
        request()
        answer["after_drop"] = "reconnected"
    except Exception as error:
        answer["after_drop"] = type(error).__name__
print(json.dumps(answer))
"""


def requests_in_a_process(env: dict) -> dict:
    base = {k: v for k, v in os.environ.items() if k not in (*TEST_ONLY, "DB_CONN_MAX_AGE")}
    env = {**base, "SECRET_KEY": PRODUCTION_ENV["SECRET_KEY"], **env}
    result = subprocess.run(
        [sys.executable, "-c", REQUESTS, env.get("DATABASE_URL", "")],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def the_test_database() -> dict:
    env = database_env()
    return {"DATABASE_URL": env["DATABASE_URL"]} if "DATABASE_URL" in env else env


@pytest.mark.django_db
def test_postgresql_keeps_connections_between_requests_by_default_and_sqlite_does_not():
    answer = requests_in_a_process(the_test_database())
    assert answer["kept"] is (connection.vendor == "postgresql")
    if connection.vendor == "postgresql":  # the health check replaces a dropped connection
        assert answer["after_drop"] == "reconnected"


@pytest.mark.django_db
def test_db_conn_max_age_zero_closes_the_connection_after_each_request():
    assert requests_in_a_process({**the_test_database(), "DB_CONN_MAX_AGE": "0"}) == {"kept": False}


@pytest.mark.django_db
def test_without_health_checks_a_dropped_connection_fails_the_next_request():
    if connection.vendor != "postgresql":
        return  # SQLite has no server to drop it
    answer = requests_in_a_process({**the_test_database(), "DB_CONN_HEALTH_CHECKS": "0"})
    assert answer == {"kept": True, "after_drop": "OperationalError"}
