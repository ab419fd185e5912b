"""Alembic environment: runs on the connection the caller hands over, or on GEO_DB_URL.

`geo_service.db.migrate` passes a live connection (so SpatiaLite is already loaded); the plain
`alembic upgrade head` command builds the engine from Settings, the same way the service does.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from geo_service.db.engine import make_engine
from geo_service.db.models import Base
from geo_service.settings import Settings


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(Settings())
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: the spatial DDL needs a live database")
main()
