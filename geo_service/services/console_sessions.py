"""Editor console sessions: sign in with username + password, resume on every request, sign out.

The browser holds a random 256-bit token (an HttpOnly cookie set by geo_service.console); the database
holds its SHA-256, the username, the CSRF token of the session's forms and two instants that bound it:
a session ends `idle` after its last request and `absolute` after sign-in, whichever comes first.
Resuming re-reads the account (authentication.principal_for_user), so a disabled user or a changed role
takes effect on the next request. Sign-in goes through authentication.authenticate_password: the same
throttling, and the same refusal that never says whether the username or the password was wrong.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine

from geo_service.authorization import Principal
from geo_service.errors import Unauthenticated
from geo_service.queries import console_sessions as session_queries
from geo_service.services import authentication
from geo_service.services.accounts import AccountPolicy, utc_now
from geo_service.settings import Settings

#: last_seen_at is written at most this often (a write per page view would serialise SQLite writers);
#: the idle expiry is therefore exact to within this interval.
TOUCH_INTERVAL = timedelta(minutes=1)
SESSION_ENDED = "登录已过期，请重新登录 (your session has ended; sign in again)"
_MAX_TOKEN_LENGTH = 128


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta
    account: AccountPolicy  # sign-in throttling

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionPolicy:
        return cls(
            idle=timedelta(seconds=settings.console_idle_s),
            absolute=timedelta(seconds=settings.console_absolute_s),
            account=AccountPolicy.from_settings(settings),
        )


@dataclass(frozen=True)
class ActiveSession:
    """A session that is valid now: who (re-read from the account) and the CSRF token of its forms."""

    username: str
    principal: Principal
    csrf_token: str


@dataclass(frozen=True)
class NewSession:
    """A session just opened. `token` exists only here: it goes into the cookie and is never stored."""

    token: str
    session: ActiveSession


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def sign_in(
    engine: Engine,
    username: str,
    password: str,
    address: str | None,
    policy: SessionPolicy,
    now: datetime | None = None,
) -> NewSession:
    """A new session for a correct username and password; Unauthenticated (401) or TooManyRequests (429)."""
    moment = utc_now(now)
    principal = authentication.authenticate_password(engine, username, password, address, moment, policy=policy.account)
    name = principal.actor.removeprefix("user:")
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with engine.begin() as conn:
        session_queries.purge_sessions(conn, idle_before=moment - policy.idle, created_before=moment - policy.absolute)
        session_queries.insert_session(conn, token_hash(token), name, csrf, moment)
    return NewSession(token, ActiveSession(name, principal, csrf))


def resume(conn: Connection, token: str | None, policy: SessionPolicy, now: datetime | None = None) -> ActiveSession:
    """The session of a cookie's token, valid now; Unauthenticated when absent, unknown, expired (the
    row is then deleted) or when its account is disabled. Call inside `engine.begin()`: it may write."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        raise Unauthenticated(SESSION_ENDED)
    moment, key = utc_now(now), token_hash(token)
    stored = session_queries.find_session(conn, key)
    if stored is None:
        raise Unauthenticated(SESSION_ENDED)
    if moment - stored.last_seen_at > policy.idle or moment - stored.created_at > policy.absolute:
        session_queries.delete_session(conn, key)
        raise Unauthenticated(SESSION_ENDED)
    principal = authentication.principal_for_user(conn, stored.username)
    if moment - stored.last_seen_at >= TOUCH_INTERVAL:
        session_queries.touch_session(conn, key, moment)
    return ActiveSession(stored.username, principal, stored.csrf_token)


def sign_out(conn: Connection, token: str | None) -> None:
    """End the session of `token` (nothing happens for an unknown one): a copy of the cookie dies too."""
    if token and len(token) <= _MAX_TOKEN_LENGTH:
        session_queries.delete_session(conn, token_hash(token))


def same_token(expected: str, given: str | None) -> bool:
    """Constant-time check of a CSRF token sent with a form or a request header."""
    return bool(given) and secrets.compare_digest(expected.encode("utf-8"), str(given).encode("utf-8"))
