"""The OpenID client's limits against a provider that misbehaves (a plain local HTTP server)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accounts.sso import client

ID_TOKEN = {"access_token": "a", "token_type": "Bearer", "id_token": "x.y.z"}


class TokenEndpoint(BaseHTTPRequestHandler):
    body = b""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        try:
            for start in range(0, len(self.body), 64 * 1024):
                self.wfile.write(self.body[start : start + 64 * 1024])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading

    def log_message(self, *args):
        pass


@pytest.fixture
def token_endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), TokenEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/token"
    server.shutdown()
    server.server_close()


def exchange(url):
    return client.exchange_code(
        {"token_endpoint": url},
        client_id="ladder",
        client_secret="s",
        redirect_uri="http://testserver/sso/callback/",
        code="c",
        verifier="v" * 43,
    )


def test_a_token_response_within_the_cap_is_read(token_endpoint):
    TokenEndpoint.body = json.dumps(ID_TOKEN).encode()
    assert exchange(token_endpoint)["id_token"] == "x.y.z"


def test_a_token_response_past_the_cap_is_refused(token_endpoint):
    padding = "p" * (8 * client.MAX_BYTES)
    TokenEndpoint.body = json.dumps({**ID_TOKEN, "padding": padding}).encode()
    with pytest.raises(client.ProviderError, match="sent more than 256 KB"):
        exchange(token_endpoint)


class BrokenDiscovery(BaseHTTPRequestHandler):
    asked = 0

    def do_GET(self):
        type(self).asked += 1
        self.send_response(500)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_provider_that_failed_is_not_asked_again_by_each_sign_in_start():
    server = ThreadingHTTPServer(("127.0.0.1", 0), BrokenDiscovery)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    issuer = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        BrokenDiscovery.asked = 0
        for _ in range(3):
            with pytest.raises(client.ProviderError, match="HTTP 500"):
                client.discover(issuer)
        assert BrokenDiscovery.asked == 1
        with pytest.raises(client.ProviderError):
            client.discover(issuer, fresh=True)  # the owner's settings form asks again
        assert BrokenDiscovery.asked == 2
    finally:
        server.shutdown()
        server.server_close()
