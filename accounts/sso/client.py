"""The OpenID Connect client: discovery, the authorisation request, the code exchange and the
ID token's validation (Authlib and joserfc; requests for HTTP).

Everything fetched from a provider comes with a timeout and a size cap and without redirects:
the issuer URL is typed by an organisation's owner, so the server must not be made to hang,
fill its memory or be bounced elsewhere. Only https is fetched, and only from public
addresses (an owner must not make Ladder read its own network: a host that resolves to a
loopback, private or link-local address is refused), unless SSO_ALLOW_HTTP is on (tests and a
provider on the same machine or network).
"""

import hashlib
import ipaddress
import json
import socket
from urllib.parse import urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from django.conf import settings
from django.core.cache import cache
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

TIMEOUT = (5, 10)  # connect, read (seconds)
MAX_BYTES = 256 * 1024
CACHE_SECONDS = 3600
FAILURE_SECONDS = 30  # a provider that failed is not asked again for this long (but by its owner)
LEEWAY = 60  # seconds of clock difference allowed on exp and iat
# Asymmetric signatures only: a symmetric one would be keyed by the client secret.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
SCOPE = "openid"


class ProviderError(Exception):
    """The provider cannot be used or answered wrongly; the message may be shown to people."""


def check_url(url: str) -> None:
    parts = urlsplit(url)
    allowed = ("https", "http") if settings.SSO_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise ProviderError(f"The provider's addresses must start with https:// ({url}).")
    if not settings.SSO_ALLOW_HTTP and not _public(parts.hostname):
        raise ProviderError(f"{parts.hostname} is not a public address.")


def _public(host: str) -> bool:
    """Whether every address `host` resolves to is a public one (an unknown host is not)."""
    try:
        infos = socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_global for i in infos)


def fetch_json(url: str) -> dict:
    check_url(url)
    try:
        with requests.get(url, timeout=TIMEOUT, stream=True, allow_redirects=False) as response:
            if response.status_code != 200:
                raise ProviderError(f"{url} answered HTTP {response.status_code}.")
            data = json.loads(_read_capped(response, url))
    except requests.RequestException as error:
        raise ProviderError(f"{url} could not be reached ({type(error).__name__}).") from None
    except ValueError:
        raise ProviderError(f"{url} did not send JSON.") from None
    if not isinstance(data, dict):
        raise ProviderError(f"{url} did not send a JSON object.")
    return data


def _read_capped(response, url: str) -> bytes:
    """The response's body, refused past MAX_BYTES before more is read."""
    body = b""
    for chunk in response.iter_content(16 * 1024):
        body += chunk
        if len(body) > MAX_BYTES:
            response.close()
            raise ProviderError(f"{url} sent more than {MAX_BYTES // 1024} KB.")
    return body


def _capped_hook(response, *args, **kwargs):
    """A requests hook for the token endpoint: Authlib reads the whole body (response.json()),
    so the body is read here first, capped, and left where requests keeps a read body."""
    response._content = _read_capped(response, "The provider's token endpoint")
    return response


def _cache_key(kind: str, url: str) -> str:
    return f"sso:{kind}:{hashlib.sha256(url.encode()).hexdigest()}"


def discover(issuer: str, *, fresh: bool = False) -> dict:
    """The provider's OpenID configuration (cached for an hour; a failure for FAILURE_SECONDS,
    which `fresh`, the owner's settings form, skips); its issuer must be `issuer`."""
    key, failed_key = _cache_key("discovery", issuer), _cache_key("discovery-failed", issuer)
    metadata = None if fresh else cache.get(key)
    if metadata is None:
        failure = None if fresh else cache.get(failed_key)
        if failure is not None:
            raise ProviderError(failure)
        try:
            metadata = _discover(issuer)
        except ProviderError as error:
            # Anyone may start a sign-in: without this, each start at an organisation whose
            # provider is down would hold a worker for the whole timeout again.
            cache.set(failed_key, str(error), FAILURE_SECONDS)
            raise
        cache.set(key, metadata, CACHE_SECONDS)
        cache.delete(failed_key)
    return metadata


def _discover(issuer: str) -> dict:
    """The configuration fetched and checked: it must name `issuer` and its three addresses."""
    metadata = fetch_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    if metadata.get("issuer") != issuer:
        raise ProviderError(
            f"The provider calls itself {metadata.get('issuer')!r}, not {issuer!r}: "
            "enter the issuer exactly as its OpenID configuration gives it."
        )
    for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(metadata.get(field), str):
            raise ProviderError(f"The provider's OpenID configuration has no {field}.")
        check_url(metadata[field])
    return metadata


def _key_set(metadata: dict, *, fresh: bool = False) -> KeySet:
    key = _cache_key("jwks", metadata["jwks_uri"])
    data = None if fresh else cache.get(key)
    if data is None:
        data = fetch_json(metadata["jwks_uri"])
        cache.set(key, data, CACHE_SECONDS)
    try:
        return KeySet.import_key_set(data)
    except (JoseError, ValueError, KeyError, TypeError):
        raise ProviderError("The provider's signing keys (JWKS) could not be read.") from None


def _session(metadata: dict, *, client_id: str, client_secret: str = "", redirect_uri: str):
    methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    method = "client_secret_basic" if "client_secret_basic" in methods else "client_secret_post"
    return OAuth2Session(
        client_id,
        client_secret,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method=method,
    )


def authorization_url(
    metadata: dict, *, client_id: str, redirect_uri: str, state: str, nonce: str, verifier: str
) -> str:
    """Where to send the person: the code flow with PKCE (S256), state and nonce."""
    session = _session(metadata, client_id=client_id, redirect_uri=redirect_uri)
    url, _ = session.create_authorization_url(
        metadata["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
    )
    return url


def exchange_code(
    metadata: dict,
    *,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    verifier: str,
) -> dict:
    """The token response for `code`: it must hold an ID token."""
    session = _session(
        metadata, client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri
    )
    try:
        token = session.fetch_token(
            metadata["token_endpoint"],
            code=code,
            code_verifier=verifier,
            timeout=TIMEOUT,
            allow_redirects=False,
            stream=True,
            hooks={"response": [_capped_hook]},
        )
    except requests.RequestException as error:
        raise ProviderError(
            f"The provider could not be reached ({type(error).__name__})."
        ) from None
    except ProviderError:
        raise
    except Exception as error:  # Authlib's OAuth errors: invalid_grant, invalid_client, ...
        raise ProviderError(f"The provider refused the sign-in ({error}).") from None
    if not token.get("id_token"):
        raise ProviderError("The provider sent no ID token.")
    return token


def validate_id_token(
    id_token: str, *, metadata: dict, client_id: str, nonce: str, access_token: str = ""
) -> dict:
    """The ID token's claims once its signature (the provider's JWKS), issuer, audience,
    expiry and nonce are right; else ProviderError."""
    algorithms = [
        alg for alg in metadata.get("id_token_signing_alg_values_supported") or ALGORITHMS
    ]
    registry = JWSRegistry(algorithms=[a for a in algorithms if a in ALGORITHMS])
    try:
        try:
            token = jwt.decode(id_token, _key_set(metadata), registry=registry)
        except InvalidKeyIdError:  # the provider rotated its keys since they were cached
            token = jwt.decode(id_token, _key_set(metadata, fresh=True), registry=registry)
        options = {
            "iss": {"essential": True, "value": metadata["issuer"]},
            "aud": {"essential": True, "value": client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
        }
        params = {"nonce": nonce, "client_id": client_id}
        if access_token:
            params["access_token"] = access_token
        claims = CodeIDToken(token.claims, token.header, options, params)
        claims.validate(leeway=LEEWAY)
    except (JoseError, ValueError) as error:
        raise ProviderError(f"The ID token was refused ({error}).") from None
    if not nonce or not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise ProviderError("The ID token names no subject.")
    return dict(claims)
