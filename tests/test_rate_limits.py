"""The per-address request limit: one count for every worker, kept in the database (both backends).

Two app instances on one database stand for two workers (or hosts): what one admits, the other counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from geo_service.app import create_app
from geo_service.db.engine import make_engine
from geo_service.db.models import RateLimit
from geo_service.errors import TooManyRequests
from geo_service.services.rate_limits import RatePolicy, RequestLimiter, client_key
from geo_service.settings import Settings
from tests.run_async import run_async

NEAREST = "/api/v1/facilities/nearest?lon=117.97&lat=37.38"
LISTING = "/api/v1/facilities?limit=1"
WINDOW_S = 10**8  # fixed windows are aligned to the epoch: no window ends during the test


@contextmanager
def pair(loaded_db_url: str, limit: int, flush_every: int) -> Iterator[tuple[TestClient, TestClient]]:
    """Two apps on the loaded database with this limit, and a fresh counter."""
    settings = Settings(
        db_url=loaded_db_url,
        rate_limit_requests=limit,
        rate_limit_flush_every=flush_every,
        rate_limit_window_s=WINDOW_S,
    )
    with ExitStack() as stack:
        first, second = (stack.enter_context(TestClient(create_app(settings))) for _ in range(2))
        with first.app.state.engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(RateLimit.__table__.delete())
        yield first, second


def test_two_workers_share_one_limit(loaded_db_url: str) -> None:
    """Adding every request at once (flush_every 1): exactly 5 admitted in all, wherever they arrive, the
    nearest fast path counted like any route; the 6th is a 429 on both, with Retry-After, the house
    message and the security headers; probes are never counted."""
    with pair(loaded_db_url, 5, 1) as (first, second):
        admitted = [client.get(path).status_code for client, path in [(first, NEAREST), (second, LISTING)] * 2]
        admitted.append(first.get(LISTING).status_code)
        assert admitted == [200] * 5
        for client, path in ((first, NEAREST), (second, LISTING)):
            refused = client.get(path)
            assert refused.status_code == 429
            assert 0 < int(refused.headers["retry-after"]) <= WINDOW_S
            assert (
                refused.json()["detail"].startswith("请求过于频繁") and "too many requests" in refused.json()["detail"]
            )
            assert refused.headers["x-content-type-options"] == "nosniff" and refused.headers["x-request-id"]
        assert first.get("/healthz").status_code == 200 and second.get("/readyz").status_code == 200


def test_batched_counts_overshoot_by_at_most_the_documented_bound(loaded_db_url: str) -> None:
    """Every 3rd request of an address adds to the shared count: with 2 workers at most
    limit + (2 - 1) x (3 - 1) = 7 requests pass, and each worker refuses once it sees the limit."""
    with pair(loaded_db_url, 5, 3) as (first, second):
        statuses = [first.get(LISTING).status_code for _ in range(3)]  # 3 added: shared 3
        statuses += [second.get(LISTING).status_code for _ in range(3)]  # 2 pending, the 3rd adds: 6 > 5
        statuses += [first.get(LISTING).status_code for _ in range(3)]  # first sees 3, admits 2 more
        assert statuses == [200, 200, 200, 200, 200, 429, 200, 200, 429]
        assert second.get(NEAREST).status_code == 429


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.sum(RateLimit.count))) or 0)


def test_a_new_window_starts_again_and_old_counters_are_purged(loaded_db_url: str) -> None:
    """Fixed windows aligned to the epoch: a refusal waits for the window's end, and the next window
    admits again from zero; the stored counter of a past window is dropped."""
    run_async(_windows(loaded_db_url))


async def _windows(loaded_db_url: str) -> None:
    engine = make_engine(Settings(db_url=loaded_db_url))
    now = [7200.0 + 50]  # 50 s into a 60 s window
    limiter = RequestLimiter(RatePolicy(limit=2, window_s=60, flush_every=1, secret=""), lambda: engine, lambda: now[0])
    try:
        with engine.begin() as conn:
            conn.execute(RateLimit.__table__.delete())
        await limiter.check("203.0.113.9")
        await limiter.check("203.0.113.9")
        with pytest.raises(TooManyRequests) as refused:
            await limiter.check("203.0.113.9")
        assert refused.value.retry_after_s == 10
        assert _count(engine) == 2
        now[0] += 120  # two windows later
        await limiter.check("203.0.113.9")
        assert _count(engine) == 1
    finally:
        engine.dispose()


def test_ipv6_addresses_are_limited_by_their_64_network() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::7") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("198.51.100.4") == "198.51.100.4"
