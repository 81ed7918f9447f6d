"""Chunked request bodies for Django's development server, decoded as gunicorn decodes them.

Django's runserver (wsgiref underneath) passes a ``Transfer-Encoding: chunked`` body on
undecoded, behind a ``LimitedStream`` of 0 bytes: the application cannot read it, and its bytes
are then parsed as the next request on the connection. Here such a body is decoded (RFC 9112
section 7.1) and handed over as ``wsgi.input`` with ``wsgi.input_terminated`` set, as gunicorn
does, so ingest reads it the same way under both servers. Used by Ladder's ``runserver``.
"""

from __future__ import annotations

from wsgiref import simple_server

from django.core.exceptions import BadRequest
from django.core.servers import basehttp

MAX_LINE = 4096  # bytes in a chunk-size line or a trailer line
MAX_TRAILERS = 100  # trailer lines after the last chunk
_DRAIN_PIECE = 64 * 1024


class ChunkedInput:
    """A chunked body read from `rfile`, decoded: ``read(n)`` gives at most n bytes, then b""."""

    def __init__(self, rfile):
        self._rfile = rfile
        self._left = 0  # bytes left in the current chunk
        self.done = False

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while not self.done and (size < 0 or len(out) < size):
            if not self._left:
                self._next_chunk()
                continue
            want = self._left if size < 0 else min(self._left, size - len(out))
            data = self._rfile.read(want)
            if not data:
                raise BadRequest("the chunked body ended inside a chunk")
            out += data
            self._left -= len(data)
            if not self._left and self._line() != b"":
                raise BadRequest("a chunk is not followed by CRLF")
        return bytes(out)

    def readline(self, size: int = -1) -> bytes:
        """WSGI asks for it; ingest never calls it, so a byte at a time will do."""
        out = bytearray()
        while size < 0 or len(out) < size:
            byte = self.read(1)
            out += byte
            if not byte or byte == b"\n":
                break
        return bytes(out)

    def __iter__(self):
        return iter(self.readline, b"")

    def _next_chunk(self) -> None:
        size = self._line().split(b";", 1)[0].strip()  # chunk extensions are ignored
        if not size or size.strip(b"0123456789abcdefABCDEF") or len(size) > 16:
            raise BadRequest("invalid chunk size")
        self._left = int(size, 16)
        if not self._left:  # the last chunk: skip the trailers up to the empty line
            for _ in range(MAX_TRAILERS):
                if self._line() == b"":
                    self.done = True
                    return
            raise BadRequest("too many trailer lines")

    def _line(self) -> bytes:
        line = self._rfile.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE or not line.endswith(b"\r\n"):
            raise BadRequest("a chunked body line is too long or not ended by CRLF")
        return line[:-2]


def _is_chunked(environ) -> bool:
    encoding = environ.get("HTTP_TRANSFER_ENCODING", "")
    return "chunked" in encoding.lower() and not environ.get("CONTENT_LENGTH")


class ServerHandler(basehttp.ServerHandler):
    def __init__(self, stdin, stdout, stderr, environ, **kwargs):
        if not _is_chunked(environ):
            super().__init__(stdin, stdout, stderr, environ, **kwargs)
            return
        environ["wsgi.input_terminated"] = True
        # Skip Django's LimitedStream of CONTENT_LENGTH (0) bytes: the body ends itself.
        simple_server.ServerHandler.__init__(
            self, ChunkedInput(stdin), stdout, stderr, environ, **kwargs
        )

    def close(self):
        stdin = self.get_stdin()
        if isinstance(stdin, ChunkedInput):
            # Skip what the application left unread, piece by piece, so the connection can
            # carry the next request; a malformed body ends the connection instead.
            try:
                while stdin.read(_DRAIN_PIECE):
                    pass
            except (BadRequest, OSError):
                self.request_handler.close_connection = True
            simple_server.ServerHandler.close(self)
        else:
            super().close()


class WSGIRequestHandler(basehttp.WSGIRequestHandler):
    def handle_one_request(self):
        """Django's `handle_one_request`, with the `ServerHandler` above."""
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline = ""
            self.request_version = ""
            self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = ServerHandler(self.rfile, self.wfile, self.get_stderr(), self.get_environ())
        handler.request_handler = self
        handler.run(self.server.get_app())


class WSGIServer(basehttp.WSGIServer):
    """Django's development server, with chunked request bodies decoded."""

    def __init__(self, server_address, handler_class, *args, **kwargs):
        # runserver passes Django's handler class; ours replaces it.
        super().__init__(server_address, WSGIRequestHandler, *args, **kwargs)
