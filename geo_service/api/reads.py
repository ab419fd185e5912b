"""Connections for the read-only routes of the OGC API and the vector tiles."""

from __future__ import annotations

from sqlalchemy import Connection, Engine


def read_connection(engine: Engine) -> Connection:
    """A connection for reads in autocommit: no BEGIN before the query and no ROLLBACK when it goes back to
    the pool, two round trips fewer per page (each statement reads the data committed at its moment)."""
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def idle_connection(engine: Engine) -> bool:
    """Whether a pooled connection waits idle, so an async route may read on the event loop: taking it
    costs microseconds. Otherwise the read goes to a thread, because on the loop a checkout from a full
    pool (or the opening of a new connection) would hold every request of the worker — /healthz and
    nearest included — for up to GEO_DB_POOL_TIMEOUT_S."""
    checked_in = getattr(engine.pool, "checkedin", None)
    return checked_in is not None and checked_in() > 0
