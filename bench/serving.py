"""What the HTTP benchmarks share: a throw-away PostgreSQL database, the app under gunicorn on a
free port, a POST, and CPU seconds of processes read from /proc (Linux).

Used by bench/http_ingest.py and bench/load.py; a benchmark helper, never imported by the app.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = "postgres://postgres@127.0.0.1:5432"
SECRET = "bench-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz"
FREEZE_HOOK = "import gc\n\n\ndef post_worker_init(worker):\n    gc.freeze()\n"
PROTECTED = ("ladder", "postgres", "template0", "template1")


def check_database_name(parser, name: str) -> None:
    """Refuse to drop a database a person may be using (argparse error)."""
    if name in PROTECTED or name.startswith("test"):
        parser.error(f"refusing to drop database {name!r}")


def recreate_database(name: str) -> str:
    """Drop and create `name`; returns its URL."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


@contextlib.contextmanager
def autovacuum():
    """Autovacuum on for the length of a run, as in production: this machine's PostgreSQL has
    it off (/etc/postgresql/*/main/conf.d/90-ci.conf), and a long run without it keeps the
    statistics of its seeding (plans for empty tables) and every dead row. Turned on with
    ALTER SYSTEM and a reload, and reset afterwards; nothing is done where it is on already."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        was_on = admin.execute("SHOW autovacuum").fetchone()[0] == "on"
        if not was_on:
            admin.execute("ALTER SYSTEM SET autovacuum = on")
            admin.execute("SELECT pg_reload_conf()")
            print("autovacuum turned on for this run (this machine's PostgreSQL has it off)")
    try:
        yield
    finally:
        if not was_on:
            with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
                admin.execute("ALTER SYSTEM RESET autovacuum")
                admin.execute("SELECT pg_reload_conf()")


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Gunicorn:
    """The app under gunicorn on a free port of 127.0.0.1, until `stop()`.

    `conn_max_age` None leaves DB_CONN_MAX_AGE unset (the settings' default, which keeps
    PostgreSQL connections); `config` is a gunicorn config file of the tree (e.g. the README's
    `config/gunicorn.conf.py`), used when it exists and `freeze` is off; `threads` > 1 makes
    gthread workers; `env` adds or overrides environment variables (e.g.
    DJANGO_SETTINGS_MODULE); `nice` > 0 runs it at that lower CPU priority; the server is
    ready when GET/POST `ready` = (method, path) answers `ready_status`.
    """

    def __init__(
        self,
        label,
        workers,
        url,
        conn_max_age,
        freeze,
        tree: Path,
        *,
        threads: int = 1,
        config: str | None = None,
        env: dict | None = None,
        ready: tuple[str, str] = ("POST", "/api/v2/write"),
        ready_status: int = 401,
        prefix: str = "http_ingest_",
        nice: int = 0,
    ):
        self.label = label
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = dict(
            os.environ,
            DATABASE_URL=url,
            DEBUG="0",
            SECRET_KEY=SECRET,
            HTTPS="0",
            ALLOWED_HOSTS="127.0.0.1",
            DB_CONN_MAX_AGE=str(conn_max_age),
            LOG_LEVEL="WARNING",
            **(env or {}),
        )
        if conn_max_age is None:
            del env["DB_CONN_MAX_AGE"]
        # Whether the workers keep their database connections between requests.
        self.reuses = (conn_max_age or settings_conn_max_age(tree, env)) > 0
        self.dir = Path(tempfile.mkdtemp(prefix=prefix))
        command = [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi",
            "--chdir",
            str(tree),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "120",
        ]
        if threads > 1:
            command += ["--threads", str(threads)]
        if freeze:
            (self.dir / "freeze.py").write_text(FREEZE_HOOK)
            command += ["--config", str(self.dir / "freeze.py")]
        elif config and (tree / config).is_file():
            command += ["--config", str(tree / config)]
        self.log = open(self.dir / "gunicorn.log", "w+b")  # noqa: SIM115 (the server's lifetime)
        self.process = subprocess.Popen(
            command,
            cwd=tree,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=(lambda: os.nice(nice)) if nice else None,  # noqa: PLW1509 (no threads yet)
        )
        try:
            self.wait_ready(ready, ready_status)
        except BaseException:
            self.stop()
            raise

    def wait_ready(self, ready, ready_status):
        method, path = ready
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited: {self.output()}")
            try:
                if method == "POST":
                    status, _ = post(self.port, path, b"", "")
                else:
                    status, _ = get(self.port, path)
            except OSError:
                time.sleep(0.2)
                continue
            if status == ready_status:
                return
            raise SystemExit(f"gunicorn answered {status}: {self.output()}")
        raise SystemExit("gunicorn did not start within 60 s")

    def workers(self) -> list[int]:
        return [pid for pid, (parent, _) in process_table().items() if parent == self.process.pid]

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def settings_conn_max_age(tree: Path, env: dict) -> int:
    """The CONN_MAX_AGE the app of `tree` gets from its settings in environment `env`."""
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['CONN_MAX_AGE'])"
    )
    result = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-c", code],
        cwd=tree,
        env={"DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return int(result.stdout.strip())


def post(port: int, path: str, data: bytes, token: str, gzip: bool = False):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        headers = {"Content-Type": "text/plain; charset=utf-8", "Authorization": f"Token {token}"}
        if gzip:
            headers["Content-Encoding"] = "gzip"
        connection.request("POST", path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def get(port: int, path: str, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# CPU time used, from /proc (Linux), so that costs can be compared whatever else the machine runs.


def cpu_seconds(pid: int) -> float:
    """CPU seconds a process has used so far (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/schedstat") as stat:
            return int(stat.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def process_table() -> dict[int, tuple[int, bytes]]:
    """pid: (parent pid, command line) of every process."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                found[int(entry)] = (parent, cmdline.read())
        except (OSError, ValueError, IndexError):
            continue
    return found


def postmaster_seconds(pid: int) -> float:
    """CPU seconds of the PostgreSQL postmaster and of its children that have exited."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(ticks) for ticks in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def backends(db: str) -> list[int]:
    """The PostgreSQL backends connected to database `db`."""
    marker = f" {db} ".encode()
    return [
        pid
        for pid, (_, cmdline) in process_table().items()
        if cmdline.startswith(b"postgres: ") and marker in cmdline
    ]


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / ticks, sum(fields) / ticks
