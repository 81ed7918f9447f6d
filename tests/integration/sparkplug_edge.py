"""A Sparkplug B edge node for the tests: Eclipse Tahu's JavaScript client in a node process
(tests/sparkplug_edge/edge.js), driven over stdin and stdout."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path

from tests.instances import wait_for
from tests.services import need

EDGE_DIR = Path(__file__).resolve().parents[1] / "sparkplug_edge"
METRICS = [
    {"name": "Line/Speed", "alias": 1, "type": "Double", "value": 1.5},
    {"name": "Running", "alias": 2, "type": "Boolean", "value": True},
]
DEVICES = {"oven": [{"name": "Temp", "alias": 10, "type": "Float", "value": 20.5}]}


def need_edge() -> None:
    """node, and Tahu's client installed from the lock file (`npm ci`) if it is not yet."""
    need("mqtt", shutil.which("node") is not None, "node is not installed")
    if not (EDGE_DIR / "node_modules" / "sparkplug-client").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=EDGE_DIR, check=True)


class Edge:
    def __init__(self, url: str, *, group="plant", node="press3", host_id="ladder", **extra):
        need_edge()
        config = {
            "url": url,
            "group": group,
            "node": node,
            "hostId": host_id,
            "metrics": METRICS,
            "devices": DEVICES,
            "clientId": f"edge-{group}-{node}",
            **extra,
        }
        self.process = subprocess.Popen(
            ["node", str(EDGE_DIR / "edge.js"), json.dumps(config)],
            cwd=EDGE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.events: list[dict] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            if line.startswith("{"):
                self.events.append(json.loads(line))

    def send(self, **command) -> None:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def seen(self, event: str, **match) -> list[dict]:
        return [
            e
            for e in list(self.events)
            if e["event"] == event and all(e.get(k) == v for k, v in match.items())
        ]

    def wait(self, event: str, count: int = 1, timeout: float = 15, **match) -> None:
        wait_for(lambda: len(self.seen(event, **match)) >= count, timeout, f"{count} {event}")

    def data(self, *metrics: tuple[int, float, int], device=None) -> None:
        """(alias, value, timestamp ms) values in one NDATA (or DDATA of `device`)."""
        published = len(self.seen("published"))
        metrics = [{"alias": a, "value": v, "timestamp": ts} for a, v, ts in metrics]
        self.send(cmd="data", device=device, metrics=metrics)
        self.wait("published", published + 1)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
