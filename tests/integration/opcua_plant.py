"""A real OPC UA server (asyncua's) for the collector's tests and benchmark: a thread of its
own, a free port, variables the test changes on a timer, and a record of every value written.

    plant = Plant(variables={"Counter": 0, "Sine": 0.0}).start()
    plant.run_updates(every=0.05)         # counter += 1, sine = sin(t), one timestamp per write
    plant.stop_updates(); plant.produced  # {(name, ts_ms, value)}
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import os
import sys
import threading
import time
from pathlib import Path

from asyncua import Server, ua
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.user_managers import UserManager
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.instances import ROOT, free_port

NAMESPACE = "urn:ladder:tests:plant"
logging.getLogger("asyncua").setLevel(logging.WARNING)  # its INFO is a line per request
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def ms(ts: dt.datetime) -> int:
    return (ts - _EPOCH) // dt.timedelta(milliseconds=1)


def make_certificate(directory: Path, name: str, uri: str) -> tuple[Path, Path]:
    """A self-signed RSA 2048 certificate (DER) and key (PEM) carrying `uri` as its
    application URI, as OPC UA wants it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(uri), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=True,
                data_encipherment=True,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .add_extension(
            x509.ExtendedKeyUsage(
                [x509.OID_SERVER_AUTH, x509.OID_CLIENT_AUTH]  # type: ignore[attr-defined]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / f"{name}.der", directory / f"{name}.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.DER))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _Users(UserManager):
    def __init__(self, users: dict[str, str]):
        self.users = users

    def get_user(self, iserver, username=None, password=None, certificate=None):
        if username in self.users and self.users[username] == password:
            return User(role=UserRole.User, name=username)
        return None


async def _cancel_the_rest():
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class Plant:
    """asyncua's Server with `variables` (name -> initial value) under one folder; node ids
    are ``ns=<namespace>;s=Plant.<name>``."""

    def __init__(
        self,
        variables: dict[str, float | int],
        *,
        users: dict[str, str] | None = None,
        certificate: tuple[Path, Path] | None = None,
        security: list | None = None,
    ):
        self.port = free_port()
        self.endpoint = f"opc.tcp://127.0.0.1:{self.port}/ladder/"
        self.initial = variables
        self.users = users
        self.certificate = certificate
        self.security = security
        self.produced: set[tuple[str, int, float]] = set()
        self.writes = 0
        self.namespace = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._nodes: dict = {}
        self._updater: asyncio.Future | None = None
        self._server: Server | None = None

    def node_id(self, name: str) -> str:
        return f"ns={self.namespace};s=Plant.{name}"

    def call(self, coroutine, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def start(self) -> Plant:
        self._thread.start()
        self.call(self._start())
        return self

    async def _start(self):
        server = Server(user_manager=_Users(self.users) if self.users else None)
        await server.init()
        server.set_endpoint(self.endpoint)
        server.set_server_name("Ladder test plant")
        if self.certificate:
            await server.load_certificate(str(self.certificate[0]))
            await server.load_private_key(str(self.certificate[1]))
        if self.security:
            server.set_security_policy(self.security)
        if self.users:
            server.set_identity_tokens([ua.UserNameIdentityToken])
        self.namespace = await server.register_namespace(NAMESPACE)
        folder = await server.nodes.objects.add_folder(self.namespace, "Plant")
        for name, value in self.initial.items():
            node_id = ua.NodeId(f"Plant.{name}", self.namespace)
            self._nodes[name] = await folder.add_variable(node_id, name, value)
        await server.start()
        self._server = server
        now = dt.datetime.now(dt.UTC)
        for name, value in self.initial.items():
            await self._write(name, value, now)

    async def _write(self, name, value, ts, status=ua.StatusCodes.Good):
        variant = ua.Variant(value, ua.VariantType.Int64 if isinstance(value, int) else None)
        await self._nodes[name].write_value(
            ua.DataValue(
                variant, StatusCode=ua.StatusCode(status), SourceTimestamp=ts, ServerTimestamp=ts
            )
        )
        self.produced.add((name, ms(ts), float(value)))
        self.writes += 1

    def write(self, name: str, value, *, status=ua.StatusCodes.Good) -> int:
        """Write one value now; its timestamp in ms."""
        ts = dt.datetime.now(dt.UTC)
        self.call(self._write(name, value, ts, status))
        return ms(ts)

    def write_together(self, *writes: tuple[str, object, int]) -> list[int]:
        """Write (name, value, status) in one go on the server's loop; their timestamps."""
        ts = dt.datetime.now(dt.UTC)

        async def write_all():
            for name, value, status in writes:
                await self._write(name, value, ts, status)

        self.call(write_all())
        return [ms(ts)] * len(writes)

    def run_updates(self, every: float = 0.05) -> None:
        """Every `every` s: each int variable += 1, each float one = sin of the time."""
        self._updater = asyncio.run_coroutine_threadsafe(self._update(every), self._loop)

    async def _update(self, every: float):
        values = dict(self.initial)
        step = 0
        while True:
            await asyncio.sleep(every)
            step += 1
            ts = dt.datetime.now(dt.UTC)
            for name, value in values.items():
                if isinstance(value, int):
                    values[name] = value + 1
                else:
                    values[name] = math.sin(step / 10 + len(name))
                await self._write(name, values[name], ts)

    def stop_updates(self) -> None:
        if self._updater is not None:
            self._updater.cancel()
            self._updater = None
            self.call(asyncio.sleep(0.01))  # the cancellation has run

    def restart(self, pause: float) -> None:
        """Stop the server (its clients lose their connection), wait, start a fresh one on the
        same port; its variables start again from their initial values."""
        self.stop_updates()
        self.call(self._server.stop())
        time.sleep(pause)
        self._nodes = {}
        self.call(self._start())

    def stop(self) -> None:
        self.stop_updates()
        if self._server is not None:
            self.call(self._server.stop())
        self.call(_cancel_the_rest())  # asyncua's session tasks, which it leaves running
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


# The collector as a subprocess

SCRIPT = Path(sys.executable).with_name("ladder-opcua")


def collector_command(*, module: bool = False) -> list[str]:
    """`ladder-opcua` as installed by `pip install -e .`, or `python -m` when asked or when the
    virtual environment was installed before the entry point existed."""
    if module or not SCRIPT.exists():
        return [sys.executable, "-m", "integration.opcua.collector"]
    return [str(SCRIPT)]


def collector_env() -> dict[str, str]:
    """No Django settings, no database: only this tree on the path (an editable install of
    another checkout must not win)."""
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"),
            "PYTHONPATH": str(ROOT)}  # fmt: skip
