"""A private mosquitto on a free port of 127.0.0.1 for the MQTT benchmarks (never the shared
one on 1883): bench/mqtt_ingest.py, bench/sparkplug_ingest.py and bench/breadth.py."""

from __future__ import annotations

import getpass
import socket
import subprocess
import time
from pathlib import Path


def private_broker(directory: Path) -> tuple[subprocess.Popen, str]:
    """Start mosquitto with its config in `directory`; returns (the process, its mqtt:// URL).
    The caller terminates the process."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = directory / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 1000000\n"
        f"user {getpass.getuser()}\n"
    )
    process = subprocess.Popen(
        ["mosquitto", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    return process, f"mqtt://127.0.0.1:{port}"
