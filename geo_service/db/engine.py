"""Engine construction for the two supported backends.

SpatiaLite (the embedded default) needs a DB-API module that can load extensions; the stock `sqlite3`
of many Python builds cannot, so we use `sqlean` (SQLite with extension loading enabled) and load
`mod_spatialite` on every new connection. WAL lets readers proceed while one writer works; the busy
timeout turns short lock waits into waits instead of errors.

PostGIS (production) gets `pool_pre_ping` so a restarted server is recovered without restarting us, and
a server-side statement timeout so one slow query cannot hold a worker forever.

Both get a bounded pool with a short checkout timeout (`db_pool_*` settings): a worker runs up to 40
requests at once on its thread pool (anyio's default), more than it has connections, so that requests
that need no database (the nearest index, cached tiles, static files, /healthz) are never queued behind
ones that do; a request that finds every connection busy waits `db_pool_timeout_s` (1 s) and then gets
a 503 with Retry-After (geo_service.api.errors) instead of SQLAlchemy's 30 s default wait, so a
saturated database sheds load at once instead of stalling every worker. PostgreSQL's max_connections
must cover workers x (db_pool_size + db_max_overflow), plus the CLI and backups.
"""

from __future__ import annotations

import logging
import math
from typing import Any

# Native load order matters: shapely's and pyogrio's bundled GEOS/GDAL/SQLite must be in the process
# before mod_spatialite pulls in the system libgeos/libsqlite3, or later shapely or GeoPackage calls
# crash the process (GEOSException "WKB output dimension", then "free(): invalid pointer"; GDAL loaded
# after SpatiaLite segfaults on its first GeoPackage). shapely is imported here, GDAL (pyogrio, ~35 MB
# a process) by the SpatiaLite engine, so a PostGIS worker loads it only when an upload or export needs
# it. tests/test_native_load_order.py guards this.
import shapely  # noqa: F401
import sqlean
from sqlalchemy import Engine, create_engine, event

from geo_service.settings import Settings

log = logging.getLogger(__name__)


def make_engine(settings: Settings) -> Engine:
    """Create (but do not connect) the engine for `settings.db_url`."""
    if settings.is_sqlite:
        return _spatialite_engine(settings)
    if settings.db_url.startswith("postgresql"):
        return _postgis_engine(settings)
    raise ValueError(f"unsupported GEO_DB_URL scheme: {settings.db_url.split(':', 1)[0]!r}")


def _spatialite_engine(settings: Settings) -> Engine:
    import pyogrio  # noqa: F401  (before any connection loads mod_spatialite: see the imports above)

    path = settings.db_url.split("///", 1)[-1]
    in_file = bool(path) and path != ":memory:"  # an in-memory database has one connection per thread, no pool
    if in_file:
        from pathlib import Path

        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        settings.db_url,
        module=sqlean,
        connect_args={"timeout": settings.sqlite_busy_timeout_s, "check_same_thread": False},
        **(_pool_args(settings) if in_file else {}),
    )
    busy_ms = int(settings.sqlite_busy_timeout_s * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.enable_load_extension(True)
        dbapi_conn.load_extension(settings.spatialite_path)
        dbapi_conn.enable_load_extension(False)
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def _postgis_engine(settings: Settings) -> Engine:
    return create_engine(
        settings.db_url,
        pool_pre_ping=True,
        connect_args={
            "options": f"-c statement_timeout={settings.pg_statement_timeout_ms}",
            "connect_timeout": max(2, math.ceil(settings.db_pool_timeout_s)),  # libpq counts 2 s at least
            "application_name": "geo_service",
        },
        **_pool_args(settings),
    )


def _pool_args(settings: Settings) -> dict[str, Any]:
    return {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout_s,
    }
