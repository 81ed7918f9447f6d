"""Skip a test when a service it needs is missing, unless CI requires that service.

CI sets LADDER_REQUIRE_SERVICES (e.g. "postgresql,mqtt,browser"); a test that would skip for a
required service fails instead, so nothing passes by skipping.
"""

import os
import shutil
import socket

import pytest
from django.db import connection

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def required_services() -> set[str]:
    return {
        s.strip() for s in os.environ.get("LADDER_REQUIRE_SERVICES", "").split(",") if s.strip()
    }


def need(service: str, available: bool, why: str) -> None:
    if available:
        return
    if service in required_services():
        pytest.fail(f"{service} is required in this run (LADDER_REQUIRE_SERVICES) but {why}")
    pytest.skip(f"{service} not available: {why}")


def need_postgresql() -> None:
    need("postgresql", connection.vendor == "postgresql", f"the database is {connection.vendor}")


def need_browser() -> None:
    need("browser", bool(shutil.which(CHROMIUM)), f"{CHROMIUM} is not installed")


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def need_mqtt(host: str = "127.0.0.1", port: int = 1883) -> None:
    need("mqtt", port_open(host, port), f"no broker answers on {host}:{port}")


def need_redis(host: str = "127.0.0.1", port: int = 6379) -> None:
    need("redis", port_open(host, port), f"no Redis answers on {host}:{port}")
