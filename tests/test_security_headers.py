"""Every page carries the security headers: CSP, framing, referrer and opener policies."""

import pytest
from django.urls import reverse


@pytest.fixture
def response(client, db):
    return client.get(reverse("login"))


def directives(response) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in response["Content-Security-Policy"].split(";"))
    return {part[0]: part[1:] for part in parts if part}


def test_scripts_come_only_from_our_own_origin(response):
    assert directives(response)["script-src"] == ["'self'"]


def test_the_policy_locks_down_everything_else(response):
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]


def test_style_attributes_are_the_only_inline_allowance(response):
    policy = directives(response)
    assert policy["style-src"][0] == "'self'"
    assert all(source.startswith("'sha256-") for source in policy["style-src"][1:])
    assert policy["style-src-attr"] == ["'unsafe-inline'"]
    unsafe = [name for name, sources in policy.items() if "'unsafe-inline'" in sources]
    assert unsafe == ["style-src-attr"]
    assert not any("'unsafe-eval'" in sources for sources in policy.values())


def test_framing_referrer_and_opener_policies_are_set(response):
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_htmx_is_told_not_to_inject_its_indicator_styles(response):
    html = response.content.decode()
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in html


def test_production_sends_hsts_and_secure_cookies(client, db, settings):
    settings.SECURE_SSL_REDIRECT = False  # the test client speaks HTTP; flag it as HTTPS instead
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    response = client.get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response.cookies["csrftoken"]["secure"]


def test_browser_features_ladder_does_not_use_are_switched_off(response):
    policy = dict(part.strip().split("=", 1) for part in response["Permissions-Policy"].split(","))
    for feature in ("camera", "microphone", "geolocation", "usb", "payment"):
        assert policy[feature] == "()"
