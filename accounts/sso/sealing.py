"""The client secret at rest: encrypted (JWE, dir + A256GCM) under a key derived from
SECRET_KEY, so a copy of the database alone does not give away the secret. The token endpoint
needs the secret itself, so it cannot be hashed like a password."""

import hashlib

from django.conf import settings
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

HEADER = {"alg": "dir", "enc": "A256GCM"}


class Unreadable(Exception):
    """The stored secret cannot be decrypted: SECRET_KEY changed since it was entered."""


def _key() -> OctKey:
    digest = hashlib.sha256(b"ladder-sso-client-secret:" + settings.SECRET_KEY.encode()).digest()
    return OctKey.import_key(digest)


def seal(secret: str) -> str:
    return jwe.encrypt_compact(HEADER, secret.encode(), _key())


def unseal(sealed: str) -> str:
    try:
        return jwe.decrypt_compact(sealed, _key()).plaintext.decode()
    except (JoseError, ValueError) as error:
        raise Unreadable("The client secret cannot be read: enter it again.") from error
