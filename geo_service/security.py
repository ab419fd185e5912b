"""Secrets: password hashes, API keys, keyed hashes of client addresses.

Passwords are chosen by people and can be guessed, so they get a memory-hard KDF (argon2id with
argon2-cffi's defaults, RFC 9106's low-memory profile). API keys are 256 random bits chosen by us, so a
single SHA-256 is enough to store them: nothing can be guessed, and every API call stays fast. Client
addresses are hashed with a server secret (HMAC) so that the small IPv4 space cannot be enumerated
back from a stored hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: Every API key starts with this, so a leaked one is recognisable (secret scanners, logs).
KEY_PREFIX = "gsk_"
#: Characters of a key shown in lists: the `gsk_` marker and 8 of its ~43 random characters.
KEY_DISPLAY_CHARS = 12
_KEY_RANDOM_BYTES = 32
_KEY_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
#: Used when GEO_SECRET_KEY is unset (development; the app logs a warning): the same on every worker, so
#: throttling still holds, but anyone with this source can test an address against a stored hash.
DEVELOPMENT_SECRET = "geo_service-development-secret-set-GEO_SECRET_KEY"  # noqa: S105 (public by design)


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash string (`$argon2id$v=19$m=…`) carrying its own salt and parameters."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches; a wrong password or a damaged hash is False, never an exception."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (rehash it after a good login)."""
    return _hasher().check_needs_rehash(password_hash)


@cache
def dummy_password_hash() -> str:
    """A hash to verify against when the username is unknown, so that answer takes as long as a wrong
    password and the timing does not tell which usernames exist."""
    return hash_password(secrets.token_urlsafe(16))


def new_api_key() -> str:
    """A fresh API key: `gsk_` + 32 random bytes in URL-safe base64 (43 characters)."""
    return KEY_PREFIX + secrets.token_urlsafe(_KEY_RANDOM_BYTES)


def looks_like_api_key(secret: str) -> bool:
    """Whether `secret` has the shape of a key we issue (checked before any database lookup)."""
    body = secret.removeprefix(KEY_PREFIX)
    return secret.startswith(KEY_PREFIX) and len(body) == 43 and set(body) <= _KEY_ALPHABET


def hash_api_key(secret: str) -> str:
    """SHA-256 hex of the key: what is stored and looked up."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def key_display_prefix(secret: str) -> str:
    """The start of a key, shown in `keys list` so an operator can tell keys apart."""
    return secret[:KEY_DISPLAY_CHARS]


def same_secret(expected: str, given: str) -> bool:
    """Constant-time comparison of two secrets or digests (the time does not depend on where they differ)."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def keyed_hash(secret: str, value: str) -> str:
    """HMAC-SHA256 hex of `value` under the server secret: stable across workers, not reversible without it."""
    key = (secret or DEVELOPMENT_SECRET).encode("utf-8")
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def hash_address(secret: str, address: str) -> str:
    """The stored form of a client address (problem reports, login throttling)."""
    return keyed_hash(secret, f"address:{address}")
