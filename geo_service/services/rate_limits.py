"""Requests per client address in a fixed window, one limit for all workers and hosts together.

The count must be shared (several workers each allowing N would allow N x workers), but a database
write per request would cost the nearest route most of its speed. So each worker counts an address's
requests in memory and adds them to the shared count (queries.rate_limits, one upsert) once it holds a
batch of them, reading back the total of every worker; it refuses once its own view — the shared total
plus what it has not added yet — reaches the limit. A batch is a tenth of what the address has left
(limit minus the shared total), but at least `flush_every`: an address far from its limit — nearly every
rider, who asks a few times — never costs a database write, and the batches shrink as it comes close.
With one worker the limit is exact; with W workers a client can pass it by at most
(W - 1) x max(flush_every, limit / 10) requests, and a refusal holds until the window ends. Windows
are fixed and aligned to the epoch (`window_s` seconds), so every worker names the same one without
talking to the others.

While the database cannot be reached, addresses are limited by the local counts only (no request waits
for it): the limit fails open to what one worker alone can see, and the shared count is tried again a
few seconds later.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from geo_service import security
from geo_service.errors import TooManyRequests
from geo_service.queries import rate_limits as queries
from geo_service.settings import Settings

log = logging.getLogger(__name__)

SCOPE = "request"
#: After a failed flush, no flush is tried for this long (the database is down or saturated).
RETRY_SHARED_AFTER_S = 5.0
#: A batch is this fraction (1/n) of what an address has left in its window, or flush_every if larger.
BATCH_FRACTION = 10


@dataclass
class _Client:
    """One address's requests in the current window, as this worker knows them."""

    shared: int = 0  # the total of every worker, as the last flush read it
    in_flight: int = 0  # requests being added by a flush now
    pending: int = 0  # requests not added yet
    flushing: bool = False

    @property
    def seen(self) -> int:
        return self.shared + self.in_flight + self.pending


@dataclass(frozen=True)
class RatePolicy:
    limit: int  # requests per window (0: no limit)
    window_s: int
    flush_every: int
    secret: str  # GEO_SECRET_KEY, for the stored address hash

    @classmethod
    def from_settings(cls, settings: Settings) -> RatePolicy:
        return cls(
            limit=settings.rate_limit_requests,
            window_s=settings.rate_limit_window_s,
            flush_every=min(settings.rate_limit_flush_every, max(1, settings.rate_limit_requests)),
            secret=settings.secret_key.get_secret_value(),
        )


@lru_cache(maxsize=4096)
def client_key(address: str) -> str:
    """The address limited: an IPv6 address by its /64 (one subscriber's network hands out the rest)."""
    if ":" not in address:
        return address
    try:
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False).network_address) + "/64"
    except ValueError:
        return address


class RequestLimiter:
    """The per-address request limit of one worker (see the module docstring); `engine` names the shared
    database, None while the app has not opened it."""

    def __init__(
        self, policy: RatePolicy, engine: Callable[[], Engine | None], clock: Callable[[], float] = time.time
    ) -> None:
        self.policy = policy
        self._engine = engine
        self._clock = clock
        self._window = 0
        self._clients: dict[str, _Client] = {}
        self._shared_again_at = 0.0
        self._purged = -1  # the window whose past counters were last purged

    async def check(self, address: str) -> None:
        """Count one request from `address`, or raise TooManyRequests (it is not counted then)."""
        now = self._clock()
        window = int(now // self.policy.window_s) * self.policy.window_s
        if window != self._window:  # a new window: every count starts again
            self._window, self._clients = window, {}
        key = client_key(address)
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = _Client()
        if client.seen >= self.policy.limit:
            self._refuse(now)
        client.pending += 1
        batch = max(self.policy.flush_every, (self.policy.limit - client.shared) // BATCH_FRACTION)
        if client.pending >= batch and not client.flushing and now >= self._shared_again_at:
            await self._flush(key, client, window)
            if client.shared > self.policy.limit:  # others used the window up meanwhile
                self._refuse(now)

    def _refuse(self, now: float) -> None:
        wait = max(1, math.ceil(self._window + self.policy.window_s - now))
        raise TooManyRequests(
            f"请求过于频繁，请 {wait} 秒后再试 (too many requests from this address; retry in {wait} s)",
            retry_after_s=wait,
        )

    async def _flush(self, key: str, client: _Client, window: int) -> None:
        engine = self._engine()
        if engine is None:
            return
        client.flushing, client.in_flight, client.pending = True, client.pending, 0
        try:
            total = await asyncio.to_thread(self._add, engine, key, window, client.in_flight)
        except SQLAlchemyError as exc:
            log.warning("rate-limit counts not shared: %s", exc.__class__.__name__)
            self._shared_again_at = self._clock() + RETRY_SHARED_AFTER_S
            client.pending += client.in_flight
        else:
            client.shared = max(client.shared, total)
        finally:
            client.in_flight, client.flushing = 0, False

    def _add(self, engine: Engine, key: str, window: int, requests: int) -> int:
        key_hash = security.hash_address(self.policy.secret, key)
        with engine.begin() as conn:
            if window != self._purged:
                queries.purge(conn, window - self.policy.window_s)
                self._purged = window
            return queries.add_requests(conn, SCOPE, key_hash, window, requests)
