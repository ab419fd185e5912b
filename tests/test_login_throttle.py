"""Sign-in throttling per account and per address, shared through the database by every worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from geo_service.authorization import AuditContext
from geo_service.db.engine import make_engine
from geo_service.db.models import LoginFailure
from geo_service.errors import TooManyRequests, Unauthenticated
from geo_service.services import accounts, authentication
from geo_service.services import setup as setup_service
from geo_service.settings import Settings
from tests.databases import DATA_DIR

BY = AuditContext(actor="cli:tester", role="admin")
POLICY = accounts.AccountPolicy(max_failures=5, window=timedelta(minutes=15), secret="y" * 32, password_min_length=12)
PASSWORD = "correct horse battery"
T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    setup_service.prepare(empty_engine, DATA_DIR, sample=False)
    with empty_engine.begin() as conn:
        for name in ("alice", "bob", "carol"):
            accounts.create_user(conn, BY, username=name, password=PASSWORD, role="viewer", districts=(), policy=POLICY)
    return empty_engine


def _sign_in(engine: Engine, name: str, password: str, address: str, at: datetime):
    return authentication.authenticate_password(engine, name, password, address, at, policy=POLICY)


def _fail(engine: Engine, name: str, address: str, at: datetime) -> None:
    with pytest.raises(Unauthenticated):
        _sign_in(engine, name, "wrong password", address, at)


def test_sixth_attempt_in_the_window_is_429_even_with_the_right_password(engine: Engine) -> None:
    for i in range(5):
        _fail(engine, "alice", f"10.0.0.{i}", T0 + timedelta(minutes=i))
    with pytest.raises(TooManyRequests) as caught:
        _sign_in(engine, "alice", PASSWORD, "10.0.0.99", T0 + timedelta(minutes=5))
    # the window opened at T0 and lasts 15 minutes: 10 minutes are left
    assert caught.value.retry_after_s == 600
    # other accounts are not affected
    assert _sign_in(engine, "bob", PASSWORD, "10.0.0.99", T0 + timedelta(minutes=5)).actor == "user:bob"
    # when the window has passed, the right password works again
    assert _sign_in(engine, "alice", PASSWORD, "10.0.0.99", T0 + timedelta(minutes=15)).actor == "user:alice"


def test_the_address_limit_spans_accounts(engine: Engine) -> None:
    names = ["alice", "bob", "nobody", "alice", "bob"]  # unknown usernames count too
    for i, name in enumerate(names):
        _fail(engine, name, "203.0.113.7", T0 + timedelta(seconds=i))
    with pytest.raises(TooManyRequests):
        _sign_in(engine, "carol", PASSWORD, "203.0.113.7", T0 + timedelta(seconds=10))
    assert _sign_in(engine, "carol", PASSWORD, "203.0.113.8", T0 + timedelta(seconds=10)).actor == "user:carol"


def test_four_failures_then_success_resets_the_account_counter(engine: Engine) -> None:
    for i in range(4):
        _fail(engine, "alice", f"10.1.0.{i}", T0 + timedelta(seconds=i))
    _sign_in(engine, "alice", PASSWORD, "10.1.0.50", T0 + timedelta(seconds=5))
    for i in range(4):
        _fail(engine, "alice", f"10.1.1.{i}", T0 + timedelta(seconds=10 + i))
    assert _sign_in(engine, "alice", PASSWORD, "10.1.1.50", T0 + timedelta(seconds=20)).actor == "user:alice"


def test_counters_are_shared_by_workers(engine: Engine, empty_db_url: str) -> None:
    """Failures through two engines (two workers) add up: the count lives in the database."""
    second = make_engine(Settings(db_url=empty_db_url))
    try:
        for i in range(5):
            _fail(engine if i % 2 else second, "alice", f"10.2.0.{i}", T0 + timedelta(seconds=i))
        with pytest.raises(TooManyRequests):
            _sign_in(second, "alice", PASSWORD, "10.2.0.50", T0 + timedelta(seconds=6))
    finally:
        second.dispose()


def test_no_username_or_address_is_stored_in_clear(engine: Engine) -> None:
    _fail(engine, "hunter2-typed-as-username", "198.51.100.23", T0)
    with engine.connect() as conn:
        rows = conn.execute(select(LoginFailure.scope, LoginFailure.key_hash, LoginFailure.count)).all()
    assert sorted(r.scope for r in rows) == ["account", "address"]
    assert all(len(r.key_hash) == 64 and "hunter2" not in r.key_hash and "198.51" not in r.key_hash for r in rows)


def test_expired_counters_are_purged(engine: Engine) -> None:
    _fail(engine, "alice", "10.3.0.1", T0)
    _fail(engine, "bob", "10.3.0.2", T0 + timedelta(minutes=20))
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(LoginFailure)) == 2  # bob's two, alice's purged
