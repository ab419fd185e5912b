"""Shared request counters (table `rate_limit`). The caller owns the transaction."""

from __future__ import annotations

from sqlalchemy import Connection, case, delete, literal
from sqlalchemy.dialects import postgresql, sqlite

from geo_service.db.models import RateLimit


def add_requests(conn: Connection, scope: str, key_hash: str, window_start: int, requests: int) -> int:
    """Add `requests` to the key's count in the window starting at `window_start` (a row still counting an
        earlier window starts again from them; a late flush of a window already past is dropped) and return the
    count after, every worker's included.

        One atomic upsert, so the counts of workers that flush at the same moment all add up."""
    current, older = RateLimit.window_start == literal(window_start), RateLimit.window_start < literal(window_start)
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    query = dialect_insert(RateLimit).values(scope=scope, key_hash=key_hash, window_start=window_start, count=requests)
    query = query.on_conflict_do_update(
        index_elements=[RateLimit.scope, RateLimit.key_hash],
        set_={
            "count": case((current, RateLimit.count + requests), (older, requests), else_=RateLimit.count),
            "window_start": case((older, literal(window_start)), else_=RateLimit.window_start),
        },
    )
    return int(conn.execute(query.returning(RateLimit.count)).scalar_one())


def purge(conn: Connection, before: int) -> int:
    """Drop the counters of windows that started before `before` (they no longer count); returns how many."""
    return conn.execute(delete(RateLimit).where(RateLimit.window_start < before)).rowcount
