"""The collector's side of Ladder's ingest API: ``POST /api/v2/write?precision=ms`` over one
kept-alive connection, and what Ladder's answers say. No Django."""

from __future__ import annotations

import gzip
import http.client
import json
import ssl
from typing import NamedTuple
from urllib.parse import urlsplit

WRITE_PATH = "/api/v2/write?precision=ms"
GZIP_OVER = 1024  # bytes: smaller bodies are sent as they are


class Answer(NamedTuple):
    status: int
    retry_after: float | None
    body: bytes


class Refusal(NamedTuple):
    """What Ladder said about a refused batch."""

    message: str
    lines: list[int] | None  # the refused lines' numbers (a partial write)
    about_lines: bool  # a 400 refusing the batch whole for its lines (``line`` given)


class Ladder:
    """``POST /api/v2/write`` over one kept-alive connection (reopened after any error)."""

    def __init__(self, url: str, token: str, *, timeout: float):
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port
        self.path = (parts.path.rstrip("/") or "") + WRITE_PATH
        self.headers = {
            "Authorization": f"Token {token}",
            "Content-Type": "text/plain; charset=utf-8",
            "User-Agent": "ladder-opcua",
        }
        self.timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def post(self, lines: list[str]) -> Answer:
        """Send one batch; raises OSError or HTTPException when there is no answer."""
        body = "\n".join(lines).encode()
        headers = dict(self.headers)
        if len(body) > GZIP_OVER:
            body = gzip.compress(body, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        # A kept-alive connection the server has closed meanwhile fails on first use: that is
        # no outage, so it is tried once more on a fresh one (a repeat is harmless: dedup).
        reused = self._connection is not None
        try:
            return self._post(body, headers)
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
            if not reused:
                raise
            return self._post(body, headers)

    def _post(self, body: bytes, headers: dict[str, str]) -> Answer:
        connection = self._connect()
        try:
            connection.request("POST", self.path, body, headers)
            response = connection.getresponse()
            content = response.read()
        except BaseException:
            self.close()
            raise
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return Answer(response.status, retry_after(response.getheader("Retry-After")), content)

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            if self.https:
                self._connection = http.client.HTTPSConnection(
                    self.host, self.port, timeout=self.timeout,
                    context=ssl.create_default_context(),
                )  # fmt: skip
            else:
                self._connection = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout
                )
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def retry_after(header: str | None) -> float | None:
    try:
        return max(0.0, float(header)) if header else None
    except ValueError:
        return None


def refusal_of(body: bytes) -> Refusal:
    """Ladder's error message and, for a partial write, the refused lines' numbers."""
    try:
        data = json.loads(body)
        lines = data.get("lines")
        numbers = [n for n in lines if isinstance(n, int)] if isinstance(lines, list) else None
        return Refusal(str(data.get("message") or data)[:500], numbers, "line" in data)
    except (ValueError, AttributeError):
        return Refusal(body[:500].decode(errors="replace") or "(no body)", None, False)
