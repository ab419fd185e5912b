"""Turning credentials into a Principal: API keys for machines, username + password for people.

Credentials are looked up in the database on every call, never cached: a revoked key or a disabled user
stops working on the next request, on every worker. Sign-in failures are counted in the database per
account and per client address (fixed windows, atomic upserts), so throttling holds across workers too.
The refusal never says whether the username or the password was wrong.
"""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import Connection, Engine

from geo_service import security
from geo_service.authorization import Principal
from geo_service.errors import TooManyRequests, Unauthenticated
from geo_service.queries import accounts as account_queries
from geo_service.services.accounts import MAX_PASSWORD_LENGTH, AccountPolicy, utc_now

WRONG_CREDENTIALS = "用户名或密码错误 (wrong username or password)"
_BAD_KEY = "API 密钥无效或已吊销 (the API key is invalid or revoked)"


def authenticate_key(conn: Connection, secret: str, now: datetime | None = None) -> Principal:
    """The principal of an API key (`key:<id>`); Unauthenticated when malformed, unknown or revoked.

    The lookup is by SHA-256 on a unique index; the stored digest is then compared in constant time as
    well (the lookup itself can only leak timing about a hash of a 256-bit secret, which helps nobody).
    Records the use (at most once a minute), so call it inside a transaction that is committed.
    """
    if not security.looks_like_api_key(secret):
        raise Unauthenticated(_BAD_KEY, invalid_token=True)
    digest = security.hash_api_key(secret)
    found = account_queries.key_by_hash(conn, digest)
    if found is None or not security.same_secret(found[1], digest) or found[0].revoked:
        raise Unauthenticated(_BAD_KEY, invalid_token=True)
    key = found[0]
    account_queries.touch_key(conn, key.id, utc_now(now))
    return Principal(actor=f"key:{key.id}", role=key.role, districts=frozenset(key.districts))


def principal_for_user(conn: Connection, username: str) -> Principal:
    """The principal of a signed-in user, re-read on every request (a console session calls this), so a
    disabled or deleted account is refused at once."""
    user = account_queries.find_user(conn, username.strip().lower())
    if user is None or user.disabled:
        raise Unauthenticated()
    return Principal(actor=f"user:{user.username}", role=user.role, districts=frozenset(user.districts))


def _throttle_keys(username: str, address: str | None, policy: AccountPolicy) -> list[tuple[str, str]]:
    account = security.keyed_hash(policy.secret, f"account:{username.strip().lower()}")
    return [("account", account), ("address", security.hash_address(policy.secret, address or "unknown"))]


def _check_throttle(conn: Connection, keys: list[tuple[str, str]], policy: AccountPolicy, now: datetime) -> None:
    """TooManyRequests when either counter is full in its current window (the password is not even tried)."""
    for scope, key_hash in keys:
        window = account_queries.failure_window(conn, scope, key_hash)
        if window is None or window.count < policy.max_failures:
            continue
        remaining = (window.window_start + policy.window - now).total_seconds()
        if remaining > 0:
            raise TooManyRequests(
                f"登录失败次数过多，请 {math.ceil(remaining)} 秒后再试 "
                f"(too many failed sign-ins; retry in {math.ceil(remaining)} s)",
                retry_after_s=math.ceil(remaining),
            )


def _verify(conn: Connection, username: str, password: str) -> Principal | None:
    """The principal when the user exists, is enabled and the password matches; None otherwise.

    An unknown username is verified against a dummy hash, so it costs the same time as a wrong password.
    An over-long password is refused without hashing it (no account can have one).
    """
    if len(password) > MAX_PASSWORD_LENGTH:
        return None
    found = account_queries.user_credentials(conn, username.strip().lower())
    if found is None:
        security.verify_password(security.dummy_password_hash(), password)
        return None
    user, password_hash = found
    if not security.verify_password(password_hash, password) or user.disabled:
        return None
    if security.password_needs_rehash(password_hash):
        account_queries.set_password_hash(conn, user.username, security.hash_password(password), utc_now())
    return Principal(actor=f"user:{user.username}", role=user.role, districts=frozenset(user.districts))


def authenticate_password(
    engine: Engine,
    username: str,
    password: str,
    address: str | None,
    now: datetime | None = None,
    *,
    policy: AccountPolicy,
) -> Principal:
    """Sign a person in. TooManyRequests (429) once `policy.max_failures` failures in `policy.window` are
    counted for the account or the address, even if the password is right; Unauthenticated otherwise.

    Takes the engine, not a connection: a failure must be counted in a transaction of its own that
    commits although the sign-in is refused (an exception in the caller's transaction would undo it).
    """
    moment = utc_now(now)
    keys = _throttle_keys(username, address, policy)
    with engine.begin() as conn:
        _check_throttle(conn, keys, policy, moment)
        principal = _verify(conn, username, password)
        if principal is not None:
            account_queries.clear_failures(conn, *keys[0])
            return principal
        account_queries.purge_failures(conn, moment - policy.window)
        for scope, key_hash in keys:
            account_queries.record_failure(conn, scope, key_hash, moment, policy.window)
    raise Unauthenticated(WRONG_CREDENTIALS)
