"""Account use cases: create, list, disable and enable users, set passwords; create, list, revoke keys.

Every change is audited on the caller's connection, so the change and its audit row commit together:
call these inside `with engine.begin() as conn:`. Secrets never reach the audit log or a listing.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from geo_service import security, vocab
from geo_service.authorization import AuditContext, Role, as_role, require_role
from geo_service.errors import Conflict, InvalidParameter, NotFound
from geo_service.queries import accounts as account_queries
from geo_service.queries import districts as district_queries
from geo_service.queries.accounts import StoredKey, StoredUser
from geo_service.services import audit
from geo_service.services.caller import Caller
from geo_service.services.validation import resolve_districts
from geo_service.settings import Settings

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.@-]{0,63}$")
MAX_PASSWORD_LENGTH = 1024  # argon2 costs grow with the input; longer is refused unhashed


@dataclass(frozen=True)
class AccountPolicy:
    """The settings account code obeys (built once from Settings, passed in explicitly)."""

    max_failures: int
    window: timedelta
    secret: str
    password_min_length: int

    @classmethod
    def from_settings(cls, settings: Settings) -> AccountPolicy:
        return cls(
            max_failures=settings.login_max_failures,
            window=timedelta(seconds=settings.login_window_s),
            secret=settings.secret_key.get_secret_value(),
            password_min_length=settings.password_min_length,
        )


@dataclass(frozen=True)
class NewKey:
    """A key just created. `secret` exists only here: it is shown once and never stored."""

    key: StoredKey
    secret: str


def utc_now(now: datetime | None = None) -> datetime:
    return datetime.now(UTC) if now is None else now.astimezone(UTC)


def admin_context(caller: Caller) -> AuditContext:
    """The audit context of an account change made through the console: admins only (401/403 otherwise).
    The CLI audits as `cli:<os user>` instead (whoever reaches the database is trusted there)."""
    require_role(caller.principal, "admin")
    return caller.audit_context()


def generate_password() -> str:
    """A first password for a new account when the admin leaves it blank: 128 random bits (22 characters)."""
    return secrets.token_urlsafe(16)


def normalise_username(raw: str) -> str:
    """Usernames are compared lower-cased: `Alice` and `alice` are one account."""
    name = raw.strip().lower()
    if not _USERNAME.fullmatch(name):
        raise InvalidParameter(
            "username", "用户名须为 1–64 位小写字母、数字或 _ . @ - (1–64 letters, digits, _ . @ -)", "body"
        )
    return name


def parse_role(raw: str) -> Role:
    if raw not in vocab.ROLES:
        raise InvalidParameter("role", f"未知角色 unknown role {raw!r}; expected one of {list(vocab.ROLES)}", "body")
    return as_role(raw)


def check_password(password: str, policy: AccountPolicy) -> None:
    if not policy.password_min_length <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidParameter(
            "password",
            f"密码长度须为 {policy.password_min_length}–{MAX_PASSWORD_LENGTH} 个字符 "
            f"(a password needs {policy.password_min_length} to {MAX_PASSWORD_LENGTH} characters)",
            "body",
        )


def check_districts(conn: Connection, role: Role, districts: Sequence[str]) -> tuple[str, ...]:
    """County-level adcodes for `districts` (adcode or name); an editor needs one, an admin none."""
    adcodes = tuple(sorted(set(resolve_districts(conn, districts))))
    counties = {row.adcode for row in district_queries.list_districts(conn, level="district")}
    wider = [a for a in adcodes if a not in counties]
    if wider:
        raise InvalidParameter("district", f"须为区县级 (must be county-level districts): {wider}", "body")
    if role == "editor" and not adcodes:
        raise InvalidParameter("district", "编辑者至少需要一个区县 (an editor needs at least one district)", "body")
    if role == "admin" and adcodes:
        raise InvalidParameter("district", "管理员可编辑全部区县，无需指定 (an admin writes every district)", "body")
    return adcodes


def user_snapshot(user: StoredUser) -> dict[str, object]:
    """What the audit log keeps of a user (never the password hash)."""
    return {"username": user.username, "role": user.role, "districts": user.districts, "disabled": user.disabled}


def key_snapshot(key: StoredKey) -> dict[str, object]:
    """What the audit log keeps of a key (never the secret or its hash)."""
    return {
        "label": key.label,
        "key_prefix": key.key_prefix,
        "role": key.role,
        "districts": key.districts,
        "revoked": key.revoked,
    }


def create_user(
    conn: Connection,
    by: AuditContext,
    *,
    username: str,
    password: str,
    role: str,
    districts: Sequence[str],
    policy: AccountPolicy,
    now: datetime | None = None,
) -> StoredUser:
    """A new enabled user with an argon2id password hash; 409 when the name is taken."""
    name, checked_role = normalise_username(username), parse_role(role)
    check_password(password, policy)
    adcodes = check_districts(conn, checked_role, districts)
    if account_queries.find_user(conn, name) is not None:
        raise Conflict(f"用户名已存在 (username {name!r} is taken)")
    user = account_queries.insert_user(
        conn,
        username=name,
        password_hash=security.hash_password(password),
        role=checked_role,
        districts=adcodes,
        now=utc_now(now),
    )
    audit.record(
        conn, by, action="user.create", entity="app_user", entity_id=user.id, before=None, after=user_snapshot(user)
    )
    return user


def list_users(conn: Connection) -> list[StoredUser]:
    return account_queries.list_users(conn)


def set_user_disabled(
    conn: Connection, by: AuditContext, username: str, disabled: bool, now: datetime | None = None
) -> StoredUser:
    """Disable (sign-ins refused at once, on every worker) or enable a user; a no-op is not audited."""
    name = normalise_username(username)
    before = account_queries.find_user(conn, name)
    if before is None:
        raise NotFound(f"没有该用户 (no user {name!r})")
    if before.disabled == disabled:
        return before
    after = account_queries.set_user_disabled(conn, name, disabled, utc_now(now))
    assert after is not None  # found above, in this transaction
    action = "user.disable" if disabled else "user.enable"
    audit.record(
        conn,
        by,
        action=action,
        entity="app_user",
        entity_id=after.id,
        before=user_snapshot(before),
        after=user_snapshot(after),
    )
    return after


def set_password(
    conn: Connection,
    by: AuditContext,
    username: str,
    password: str,
    policy: AccountPolicy,
    now: datetime | None = None,
) -> StoredUser:
    """Replace a user's password (the audit row says that it changed, not what to)."""
    name = normalise_username(username)
    check_password(password, policy)
    user = account_queries.set_password_hash(conn, name, security.hash_password(password), utc_now(now))
    if user is None:
        raise NotFound(f"没有该用户 (no user {name!r})")
    audit.record(
        conn,
        by,
        action="user.password",
        entity="app_user",
        entity_id=user.id,
        before=None,
        after={"username": user.username, "password_changed": True},
    )
    return user


def create_key(
    conn: Connection,
    by: AuditContext,
    *,
    label: str,
    role: str,
    districts: Sequence[str],
    now: datetime | None = None,
) -> NewKey:
    """A new API key; its secret is returned once (in NewKey) and only its SHA-256 is stored."""
    text = label.strip()
    if not 1 <= len(text) <= 200:
        raise InvalidParameter("label", "须为 1–200 个字符 (1 to 200 characters)", "body")
    checked_role = parse_role(role)
    adcodes = check_districts(conn, checked_role, districts)
    secret = security.new_api_key()
    key = account_queries.insert_key(
        conn,
        label=text,
        key_prefix=security.key_display_prefix(secret),
        key_hash=security.hash_api_key(secret),
        role=checked_role,
        districts=adcodes,
        now=utc_now(now),
    )
    audit.record(
        conn, by, action="key.create", entity="api_key", entity_id=key.id, before=None, after=key_snapshot(key)
    )
    return NewKey(key, secret)


def list_keys(conn: Connection) -> list[StoredKey]:
    return account_queries.list_keys(conn)


def revoke_key(conn: Connection, by: AuditContext, key_id: int, now: datetime | None = None) -> StoredKey:
    """Revoke a key: the next request with it is refused, on every worker (keys are looked up each time)."""
    before = account_queries.find_key(conn, key_id)
    if before is None:
        raise NotFound(f"没有该密钥 (no API key {key_id})")
    after = account_queries.revoke_key(conn, key_id, utc_now(now))
    if after is None:
        raise Conflict(f"该密钥已吊销 (API key {key_id} is already revoked)")
    audit.record(
        conn,
        by,
        action="key.revoke",
        entity="api_key",
        entity_id=key_id,
        before=key_snapshot(before),
        after=key_snapshot(after),
    )
    return after
