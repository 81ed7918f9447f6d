"""bench/load.py's simulated users: the page mix, logging in over HTTP, and the page load
generator, one thread per user sending raw GETs with its session cookie."""

from __future__ import annotations

import random
import re
import socket
import threading
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode

BARE = "/bench/bare/"

MIX = {
    "overview": 15,
    "dashboard": 15,
    "process": 20,
    "readiness": 15,
    "board": 15,
    "integrations": 15,
    "integration": 5,
}


def login(port: int, email: str) -> str:
    """Log in over HTTP as the login page does; returns the session id."""
    import http.client

    from accounts.demo import DEMO_PASSWORD

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", "/accounts/login/")
        response = connection.getresponse()
        html = response.read().decode()
        csrf = SimpleCookie(response.getheader("Set-Cookie"))["csrftoken"].value
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    finally:
        connection.close()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        body = urlencode(
            {"csrfmiddlewaretoken": token, "username": email, "password": DEMO_PASSWORD}
        )
        connection.request(
            "POST",
            "/accounts/login/",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={csrf}",
            },
        )
        response = connection.getresponse()
        response.read()
        cookies = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        if response.status != 302 or "sessionid" not in cookies:
            raise SystemExit(f"login of {email} failed: {response.status}")
        return cookies["sessionid"].value
    finally:
        connection.close()


def fetch(port: int, request: bytes) -> tuple[int, int]:
    """One raw HTTP exchange on a new connection: (status, bytes received)."""
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        sock.sendall(request)
        first = sock.recv(65536)
        size = len(first)
        while chunk := sock.recv(262144):
            size += len(chunk)
    try:
        return int(first[9:12]), size
    except ValueError:
        return 0, size


def request_bytes(path: str, session: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid={session}\r\n"
        "User-Agent: ladder-bench-load\r\nConnection: close\r\n\r\n"
    ).encode()


def browse(port, users, mix, start, duration, think, seed, results):
    """The page load generator (a process): one thread per user, until start + duration."""
    end = start + duration
    records = []
    lock = threading.Lock()
    kinds, weights = list(mix), list(mix.values())

    def user(number, session, pages):
        rng = random.Random(seed * 1000 + number)
        cache = {}
        mine = []
        time.sleep(max(0.0, start - time.monotonic() + number * 0.002))
        while True:
            kind = rng.choices(kinds, weights)[0]
            pages_of_kind = pages[kind]
            path = rng.choice(pages_of_kind)
            raw = cache.get(path) or cache.setdefault(path, request_bytes(path, session))
            sent = time.monotonic()
            if sent >= end:
                break
            try:
                status, size = fetch(port, raw)
            except OSError:
                status, size = 0, 0
            done = time.monotonic()
            mine.append((kind, sent, done - sent, status, size))
            if think:
                time.sleep(rng.expovariate(1 / think))
        with lock:
            records.extend(mine)

    cpu = time.process_time()
    threads = [
        threading.Thread(target=user, args=(n, session, pages))
        for n, (session, pages) in enumerate(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(("browse", records, time.process_time() - cpu))


def sessions_for(args, port, site) -> list[tuple[str, dict]]:
    """Log in --users sessions, round robin over the people; each browses its organisations."""
    from concurrent.futures import ThreadPoolExecutor

    emails = list(site["people"])
    chosen = [emails[n % len(emails)] for n in range(args.users)]
    with ThreadPoolExecutor(4) as pool:
        sessions = list(pool.map(lambda email: login(port, email), chosen))
    users = []
    for email, session in zip(chosen, sessions, strict=True):
        pages = {kind: [] for kind in MIX}
        for slug in site["people"][email]:
            for kind in MIX:
                pages[kind] += site["pages"][slug][kind]
        users.append((session, pages))
    return users
