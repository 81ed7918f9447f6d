"""Reading an API request's body: capped at TELEMETRY_MAX_BODY_BYTES before and while it is
read, chunked or not, gunzipped within the same cap, decoded as UTF-8; and `ApiError`, what
refuses a request (answered by `integration.api`'s view decorators).

Chunked bodies (``Transfer-Encoding: chunked``, sent by Telegraf and influxdb-client-js) reach
the views as each server hands them to WSGI (read in gunicorn 27 and Django 5.2's sources):

- gunicorn decodes the chunks itself (`gunicorn.http.body.ChunkedReader`), refuses a request
  with both Content-Length and chunked, sets no CONTENT_LENGTH and declares
  ``wsgi.input_terminated`` (the input ends where the body ends), so ``wsgi.input.read(n)`` gives
  the decoded body in pieces and then ``b""``.
- Django ignores ``wsgi.input_terminated``: `WSGIRequest` wraps the input in a `LimitedStream`
  of CONTENT_LENGTH bytes, 0 when it is missing, so ``request.read()`` and ``request.body`` are
  empty for a chunked body. `read_body` therefore reads ``wsgi.input`` itself when the server
  declares ``wsgi.input_terminated``, in bounded pieces.
- Django's runserver (wsgiref underneath) does not decode chunks at all and wraps the socket in a
  ``LimitedStream`` of 0 bytes too: the body is unreachable, and its bytes would be read as the
  next request. Ladder's ``runserver`` (`integration.devserver`) decodes them as gunicorn does.
- A server that neither decodes nor declares it gets today's 400 ("send the body with a
  Content-Length, not chunked"): refused, never silently empty.
"""

import zlib

from integration import conf

# Concatenated gzip members are legal but rare (clients send one). Each member's leftover input
# is copied by zlib, so without a cap a body of tiny members costs its size squared.
GZIP_MAX_MEMBERS = 16
READ_PIECE = 64 * 1024  # bytes asked of the request stream at a time


class ApiError(Exception):
    def __init__(self, code: str, message: str, **extra):
        self.code, self.message, self.extra = code, message, extra
        super().__init__(message)


def read_body(request) -> bytes:
    """The body, gunzipped if sent so; 413 past TELEMETRY_MAX_BODY_BYTES either way.

    Read in pieces of at most `READ_PIECE` bytes and never more than the limit and one byte,
    whether the client sent a Content-Length or a chunked body (see the module docstring).
    """
    limit = conf.max_body_bytes()
    message = f"the body is over {limit} bytes (after decompression)"
    too_large = ApiError("request too large", message, maxLength=limit)
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        raise ApiError("invalid", "Content-Length is not a number") from None
    if declared > limit:
        raise too_large
    # Read the stream directly: request.body would stop at DATA_UPLOAD_MAX_MEMORY_SIZE.
    read = request.read
    if not declared and "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        if not request.environ.get("wsgi.input_terminated"):
            # The server passed the chunks on undecoded: refuse, never drop data.
            raise ApiError("invalid", "send the body with a Content-Length, not chunked")
        # The server decoded the chunks and ends the stream with the body; Django's request
        # would read none of it (no Content-Length), so read the WSGI input itself.
        read = request.environ["wsgi.input"].read
    pieces, size = [], 0
    while piece := read(min(READ_PIECE, limit + 1 - size)):
        pieces.append(piece)
        size += len(piece)
        if size > limit:
            raise too_large
    body = b"".join(pieces)
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding == "gzip":
        return gunzip(body, limit, too_large)
    if encoding not in ("", "identity"):
        raise ApiError("unsupported media type", f"Content-Encoding '{encoding}': use gzip")
    return body


def gunzip(data: bytes, limit: int, too_large: ApiError) -> bytes:
    """Decompress every gzip member, never holding more than `limit` + 1 bytes (gzip bombs).

    The cap holds while inflating (zlib's `max_length`), never after.
    """
    out = bytearray()
    members = 0
    try:
        while data:
            members += 1
            if members > GZIP_MAX_MEMBERS:
                raise ApiError("invalid", f"the gzip body has over {GZIP_MAX_MEMBERS} members")
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            out += inflater.decompress(data, limit + 1 - len(out))
            if len(out) > limit or inflater.unconsumed_tail:
                raise too_large
            if not inflater.eof:
                raise ApiError("invalid", "the gzip body is truncated")
            data = inflater.unused_data
    except zlib.error as error:
        raise ApiError("invalid", f"the body is not valid gzip: {error}") from None
    return bytes(out)


def body_text(body: bytes) -> str:
    try:
        return body.decode()
    except UnicodeDecodeError as error:
        raise ApiError("invalid", f"the body is not UTF-8 (byte {error.start})") from None
