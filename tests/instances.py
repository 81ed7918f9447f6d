"""Private instances of the services, for tests that stop and start them.

The shared PostgreSQL (5432) and mosquitto (1883) are never stopped by a test: a test that stops
a service starts its own on a free port, here, and removes it afterwards.
"""

from __future__ import annotations

import contextlib
import getpass
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.db import connection

from tests.services import need, port_open

ROOT = Path(__file__).resolve().parents[1]


def wait_for(condition, timeout: float = 10.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_env(**extra: str) -> dict[str, str]:
    """The environment of a `manage.py` subprocess that uses the test database (committed data
    only: use transactional tests)."""
    env = {**os.environ, **extra}
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(database["NAME"])
    else:
        credentials = database["USER"] + (
            f":{database['PASSWORD']}" if database["PASSWORD"] else ""
        )
        env["DATABASE_URL"] = (
            f"postgres://{credentials}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        )
    return env


def manage(*args: str, env: dict[str, str], **options) -> subprocess.Popen:
    """`python manage.py <args>` in a subprocess of its own process group."""
    return subprocess.Popen(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, start_new_session=True, **options
    )


# mosquitto


class PrivateBroker:
    """A mosquitto of our own, with persistence, that a test may stop and start again."""

    def __init__(self, directory: Path, *, extra_config: str = "allow_anonymous true\n"):
        directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.config = directory / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            f"{extra_config}"
            "persistence true\n"
            # As docs/MQTT.md asks of production: the default (1000) drops the rest silently.
            "max_queued_messages 1000000\n"
            f"persistence_location {directory}/\n"
            "log_dest stderr\n"
            # As root, mosquitto switches to the user "mosquitto", who cannot write here.
            f"user {getpass.getuser()}\n"
        )
        self.log = directory / "mosquitto.log"
        self.process = None
        self.start()

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                ["mosquitto", "-c", str(self.config)], stdout=log, stderr=log
            )
        wait_for(lambda: port_open("127.0.0.1", self.port), 5, "the private broker to listen")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # mosquitto saves its persistence file on SIGTERM
            self.process.wait(10)


def need_mosquitto() -> None:
    need("mqtt", shutil.which("mosquitto") is not None, "mosquitto is not installed")


DYNSEC_PLUGIN = Path("/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so")


class DynsecBroker(PrivateBroker):
    """A private mosquitto with the dynamic security plugin and no anonymous access, set up
    as docs/MQTT.md says: `admin` from `mosquitto_ctrl dynsec init` (may read everything) and
    Ladder's `ladder-admin` (the control topic only, `admin_url`)."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        dynsec = directory / "dynsec.json"
        init = ["mosquitto_ctrl", "dynsec", "init", str(dynsec), "admin", "admin-password"]
        subprocess.run(init, check=True, capture_output=True)
        super().__init__(
            directory,
            extra_config=f"allow_anonymous false\nplugin {DYNSEC_PLUGIN}\n"
            f"plugin_opt_config_file {dynsec}\n",
        )
        ctl = ["mosquitto_ctrl", "-h", "127.0.0.1", "-p", str(self.port)]
        ctl += ["-u", "admin", "-P", "admin-password", "dynsec"]
        control = "$CONTROL/dynamic-security/#"
        for command in [
            ["createRole", "ladder-admin"],
            ["addRoleACL", "ladder-admin", "publishClientSend", control, "allow"],
            ["addRoleACL", "ladder-admin", "publishClientReceive", control, "allow"],
            ["addRoleACL", "ladder-admin", "subscribePattern", control, "allow"],
            ["createClient", "ladder-admin", "-p", "ladder-admin-password"],
            ["addClientRole", "ladder-admin", "ladder-admin"],
        ]:
            subprocess.run(ctl + command, check=True, capture_output=True)
        self.admin_url = f"mqtt://ladder-admin:ladder-admin-password@127.0.0.1:{self.port}"


def need_dynsec() -> None:
    need_mosquitto()
    available = DYNSEC_PLUGIN.exists() and shutil.which("mosquitto_ctrl") is not None
    need("mqtt", available, f"the dynamic security plugin ({DYNSEC_PLUGIN}) or mosquitto_ctrl")


# PostgreSQL


def postgresql_bin() -> Path | None:
    """The directory of initdb and pg_ctl: PG_BIN, the PATH, or Debian's newest."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = shutil.which("initdb")
    if found:  # may be a link to the real directory, which holds createdb too
        return Path(found).resolve().parent
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major)
    return Path(debian[-1]).parent if debian else None


def _major(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0


def need_postgresql_binaries() -> None:
    """PostgreSQL's server programs, whatever database the tests themselves run on."""
    found = postgresql_bin()
    available = found is not None and (found / "pg_ctl").exists()
    need("postgresql", available, "initdb and pg_ctl are not installed")


class PrivatePostgreSQL:
    """A PostgreSQL cluster of our own (initdb in a temporary directory, a free port) that a
    test may stop and start again. As root, the server runs as the user postgres."""

    def __init__(self):
        self.bin = postgresql_bin()
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "postgresql.log"
        self._as = []
        if os.geteuid() == 0:  # the server refuses to run as root
            shutil.chown(self.directory, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-sync", "--no-instructions")  # fmt: skip
        self.start()

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, program: str, *args) -> None:
        command = [*self._as, str(self.bin / program), *map(str, args)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{program} failed: {result.stderr}{result.stdout}\n{log[-2000:]}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "-t", "30",
                  "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` disconnects every client and rolls back what is open."""
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "30", "stop")

    def create_database(self, name: str) -> None:
        self._run("createdb", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres", name)

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):
                self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)
