"""Account reads and writes: users, API keys, sign-in failure counters. The caller owns the transaction.

Rows come back as frozen dataclasses without their secrets; the two reads that need a stored hash
(`user_credentials`, `key_by_hash`) return it beside the row so it never travels further by accident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Row, case, delete, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from geo_service.authorization import Role, as_role
from geo_service.db.models import ApiKey, AppUser, LoginFailure, UTCDateTime

#: A key's last_used_at is written at most this often: a write per API call would serialise SQLite.
KEY_TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class StoredUser:
    id: int
    username: str
    role: Role
    districts: tuple[str, ...]
    disabled: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class StoredKey:
    id: int
    label: str
    key_prefix: str
    role: Role
    districts: tuple[str, ...]
    revoked: bool
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class FailureWindow:
    """Failures counted for one key since `window_start`."""

    window_start: datetime
    count: int


_USER_COLUMNS = (
    AppUser.id,
    AppUser.username,
    AppUser.role,
    AppUser.districts,
    AppUser.disabled,
    AppUser.created_at,
    AppUser.updated_at,
)
_KEY_COLUMNS = (
    ApiKey.id,
    ApiKey.label,
    ApiKey.key_prefix,
    ApiKey.role,
    ApiKey.districts,
    ApiKey.revoked,
    ApiKey.created_at,
    ApiKey.revoked_at,
    ApiKey.last_used_at,
)


def _user(row: Row) -> StoredUser:
    return StoredUser(
        id=row.id,
        username=row.username,
        role=as_role(row.role),
        districts=tuple(row.districts or ()),
        disabled=bool(row.disabled),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _key(row: Row) -> StoredKey:
    return StoredKey(
        id=row.id,
        label=row.label,
        key_prefix=row.key_prefix,
        role=as_role(row.role),
        districts=tuple(row.districts or ()),
        revoked=bool(row.revoked),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


def insert_user(
    conn: Connection, *, username: str, password_hash: str, role: Role, districts: Sequence[str], now: datetime
) -> StoredUser:
    values = {
        "username": username,
        "password_hash": password_hash,
        "role": role,
        "districts": sorted(districts),
        "disabled": False,
        "created_at": now,
        "updated_at": now,
    }
    return _user(conn.execute(insert(AppUser).values(values).returning(*_USER_COLUMNS)).one())


def find_user(conn: Connection, username: str) -> StoredUser | None:
    row = conn.execute(select(*_USER_COLUMNS).where(AppUser.username == username)).one_or_none()
    return None if row is None else _user(row)


def user_credentials(conn: Connection, username: str) -> tuple[StoredUser, str] | None:
    """The user and its password hash (for sign-in only)."""
    row = conn.execute(select(*_USER_COLUMNS, AppUser.password_hash).where(AppUser.username == username)).one_or_none()
    return None if row is None else (_user(row), row.password_hash)


def list_users(conn: Connection) -> list[StoredUser]:
    return [_user(row) for row in conn.execute(select(*_USER_COLUMNS).order_by(AppUser.username))]


def set_user_disabled(conn: Connection, username: str, disabled: bool, now: datetime) -> StoredUser | None:
    """Disable or enable; None when there is no such user."""
    return _update_user(conn, username, now, disabled=disabled)


def set_password_hash(conn: Connection, username: str, password_hash: str, now: datetime) -> StoredUser | None:
    return _update_user(conn, username, now, password_hash=password_hash)


def _update_user(conn: Connection, username: str, now: datetime, **values: object) -> StoredUser | None:
    query = update(AppUser).where(AppUser.username == username).values(updated_at=now, **values)
    row = conn.execute(query.returning(*_USER_COLUMNS)).one_or_none()
    return None if row is None else _user(row)


def insert_key(
    conn: Connection,
    *,
    label: str,
    key_prefix: str,
    key_hash: str,
    role: Role,
    districts: Sequence[str],
    now: datetime,
) -> StoredKey:
    values = {
        "label": label,
        "key_prefix": key_prefix,
        "key_hash": key_hash,
        "role": role,
        "districts": sorted(districts),
        "revoked": False,
        "created_at": now,
    }
    return _key(conn.execute(insert(ApiKey).values(values).returning(*_KEY_COLUMNS)).one())


def key_by_hash(conn: Connection, key_hash: str) -> tuple[StoredKey, str] | None:
    """The key whose secret hashes to `key_hash` (one unique-index lookup), with the stored hash."""
    row = conn.execute(select(*_KEY_COLUMNS, ApiKey.key_hash).where(ApiKey.key_hash == key_hash)).one_or_none()
    return None if row is None else (_key(row), row.key_hash)


def find_key(conn: Connection, key_id: int) -> StoredKey | None:
    row = conn.execute(select(*_KEY_COLUMNS).where(ApiKey.id == key_id)).one_or_none()
    return None if row is None else _key(row)


def list_keys(conn: Connection) -> list[StoredKey]:
    return [_key(row) for row in conn.execute(select(*_KEY_COLUMNS).order_by(ApiKey.id))]


def revoke_key(conn: Connection, key_id: int, now: datetime) -> StoredKey | None:
    """Revoke a key that is not revoked yet; None when there is no such active key."""
    query = (
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.revoked.is_(False))
        .values(revoked=True, revoked_at=now)
        .returning(*_KEY_COLUMNS)
    )
    row = conn.execute(query).one_or_none()
    return None if row is None else _key(row)


def touch_key(conn: Connection, key_id: int, now: datetime) -> None:
    """Record that the key was used, unless that was already recorded within KEY_TOUCH_INTERVAL."""
    stale = now - KEY_TOUCH_INTERVAL
    conn.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id)
        .where((ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < stale))
        .values(last_used_at=now)
    )


def failure_window(conn: Connection, scope: str, key_hash: str) -> FailureWindow | None:
    row = conn.execute(
        select(LoginFailure.window_start, LoginFailure.count).where(
            LoginFailure.scope == scope, LoginFailure.key_hash == key_hash
        )
    ).one_or_none()
    return None if row is None else FailureWindow(row[0], int(row[1]))


def record_failure(conn: Connection, scope: str, key_hash: str, now: datetime, window: timedelta) -> None:
    """Count one failure: +1 in the current window, or a new window from `now` when the last one ended.

    One atomic upsert, so concurrent failures on several workers are all counted.
    """
    expired = LoginFailure.window_start <= literal(now - window, UTCDateTime())
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    query = dialect_insert(LoginFailure).values(scope=scope, key_hash=key_hash, window_start=now, count=1)
    query = query.on_conflict_do_update(
        index_elements=[LoginFailure.scope, LoginFailure.key_hash],
        set_={
            "count": case((expired, 1), else_=LoginFailure.count + 1),
            "window_start": case((expired, literal(now, UTCDateTime())), else_=LoginFailure.window_start),
        },
    )
    conn.execute(query)


def clear_failures(conn: Connection, scope: str, key_hash: str) -> None:
    conn.execute(delete(LoginFailure).where(LoginFailure.scope == scope, LoginFailure.key_hash == key_hash))


def purge_failures(conn: Connection, before: datetime) -> int:
    """Drop counters whose window started before `before` (they no longer count); returns how many."""
    return conn.execute(delete(LoginFailure).where(LoginFailure.window_start < before)).rowcount
