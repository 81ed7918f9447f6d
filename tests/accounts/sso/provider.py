"""A real OpenID provider for the single sign-on tests: panva's oidc-provider (OpenID
Certified) in a node process (tests/oidc_provider/provider.js), in memory, on a free port.

Its login page logs in whichever account the X-Test-Account header names, so a test plays the
person at the provider with requests; Ladder's side runs in Django's test client, which is why
the redirect URI is on http://testserver.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

PROVIDER_DIR = Path(__file__).resolve().parents[2] / "oidc_provider"
REDIRECT_URI = "http://testserver/accounts/sso/callback/"
CLIENTS = {"acme": ("ladder-acme", "secret-acme"), "globex": ("ladder-globex", "secret-globex")}


def need_provider() -> None:
    """node, and oidc-provider installed from the lock file (`npm ci`) if it is not yet."""
    if shutil.which("node") is None:
        pytest.fail("node is not installed: the single sign-on tests run a real OpenID provider")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, check=True)


class Provider:
    def __init__(self):
        need_provider()
        clients = [
            {
                "client_id": client_id,
                "client_secret": secret,
                "redirect_uris": [REDIRECT_URI],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
            }
            for client_id, secret in CLIENTS.values()
        ]
        self.process = subprocess.Popen(
            ["node", str(PROVIDER_DIR / "provider.js"), json.dumps({"clients": clients})],
            cwd=PROVIDER_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.process.stdout.readline()  # blocks until it listens (or exits)
        if not line.startswith("{"):
            self.close()
            raise RuntimeError(f"the OpenID provider did not start: {line!r}")
        self.issuer = json.loads(line)["issuer"]

    def sign_in(self, authorization_url: str, account: str) -> str:
        """Play the person at the provider: follow its redirects as `account` until it sends
        the browser back to Ladder; returns that callback's path and query."""
        session = requests.Session()
        session.headers["X-Test-Account"] = account
        url = authorization_url
        for _ in range(10):
            assert url.startswith(self.issuer), f"left the provider for {url}"
            response = session.get(url, allow_redirects=False, timeout=10)
            assert response.status_code in (302, 303), (response.status_code, response.text)
            url = requests.compat.urljoin(url, response.headers["Location"])
            if url.startswith(REDIRECT_URI):
                parts = urlsplit(url)
                return f"{parts.path}?{parts.query}"
        raise AssertionError("the provider never sent the browser back")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
