"""Test databases on both backends, as context managers shared by the fixtures and the browser tests.

SpatiaLite needs nothing. PostGIS is reached through GEO_TEST_POSTGIS_URL (scripts/postgis.sh start
prints it); each test database is created fresh on that server and dropped afterwards. Without the URL
the PostGIS cases are skipped locally, but fail when GEO_TEST_REQUIRE_ALL_BACKENDS=1 (as in CI), so a
green CI run always means both backends ran.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from geo_service.db.engine import make_engine
from geo_service.queries.facilities import insert_facilities
from geo_service.records import FacilityRecord
from geo_service.services import setup
from geo_service.settings import PROJECT_ROOT, Settings

BACKENDS = ("spatialite", "postgis")
DATA_DIR = PROJECT_ROOT / "data"


def postgis_server_url() -> str:
    """The PostGIS server of the test run, or a skip (a failure when every backend is required)."""
    url = os.environ.get("GEO_TEST_POSTGIS_URL")
    if url:
        return url
    message = "GEO_TEST_POSTGIS_URL is not set (run scripts/postgis.sh start)"
    if os.environ.get("GEO_TEST_REQUIRE_ALL_BACKENDS") == "1":
        pytest.fail(message + " and GEO_TEST_REQUIRE_ALL_BACKENDS=1 forbids skipping a backend")
    pytest.skip(message)


@contextmanager
def new_database(backend: str, tmp_dir: Path) -> Iterator[str]:
    """The URL of a new, empty database on `backend`, dropped on exit."""
    if backend == "spatialite":
        yield f"sqlite:///{tmp_dir / f'geo-{uuid.uuid4().hex[:8]}.sqlite'}"
        return
    server_url = postgis_server_url()
    name = f"geo_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def loaded_database(backend: str, tmp_dir: Path, extra: Sequence[FacilityRecord] = ()) -> Iterator[str]:
    """A new database with the schema, the Binzhou boundaries and the sample facilities, plus `extra`
    facilities of a test's own."""
    with new_database(backend, tmp_dir) as url:
        engine = make_engine(Settings(db_url=url))
        try:
            setup.prepare(engine, DATA_DIR)
            if extra:
                with engine.begin() as conn:
                    insert_facilities(conn, extra)
        finally:
            engine.dispose()
        yield url
