"""Console session rows (migration 0006). The caller owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, or_, select, update

from geo_service.db.models import ConsoleSession


@dataclass(frozen=True)
class StoredSession:
    username: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


def insert_session(conn: Connection, token_hash: str, username: str, csrf_token: str, now: datetime) -> None:
    values = {"token_hash": token_hash, "username": username, "csrf_token": csrf_token}
    conn.execute(insert(ConsoleSession).values({**values, "created_at": now, "last_seen_at": now}))


def find_session(conn: Connection, token_hash: str) -> StoredSession | None:
    query = select(
        ConsoleSession.username, ConsoleSession.csrf_token, ConsoleSession.created_at, ConsoleSession.last_seen_at
    ).where(ConsoleSession.token_hash == token_hash)
    row = conn.execute(query).first()
    return None if row is None else StoredSession(*row)


def touch_session(conn: Connection, token_hash: str, now: datetime) -> None:
    statement = update(ConsoleSession).where(ConsoleSession.token_hash == token_hash).values(last_seen_at=now)
    conn.execute(statement)


def delete_session(conn: Connection, token_hash: str) -> None:
    conn.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == token_hash))


def purge_sessions(conn: Connection, *, idle_before: datetime, created_before: datetime) -> int:
    """Delete the sessions that have expired either way; returns how many."""
    statement = delete(ConsoleSession).where(
        or_(ConsoleSession.last_seen_at < idle_before, ConsoleSession.created_at < created_before)
    )
    return int(conn.execute(statement).rowcount or 0)
