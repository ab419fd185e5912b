"""Connections for the read-only routes of the OGC API and the vector tiles."""

from __future__ import annotations

from sqlalchemy import Connection, Engine


def read_connection(engine: Engine) -> Connection:
    """A connection for reads in autocommit: no BEGIN before the query and no ROLLBACK when it goes back to
    the pool, two round trips fewer per page (each statement reads the data committed at its moment)."""
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")
