"""Shared fixtures: every database test runs on both backends.

SpatiaLite needs nothing. PostGIS is reached through GEO_TEST_POSTGIS_URL (scripts/postgis.sh start
prints it); each test database is created fresh from that server and dropped afterwards. Without the
URL the PostGIS cases are skipped locally, but fail when GEO_TEST_REQUIRE_ALL_BACKENDS=1 (as in CI), so a
green CI run always means both backends ran.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from geo_service.db.engine import make_engine
from geo_service.services import setup
from geo_service.settings import PROJECT_ROOT, Settings

BACKENDS = ("spatialite", "postgis")
DATA_DIR = PROJECT_ROOT / "data"


def _postgis_server_url() -> str:
    url = os.environ.get("GEO_TEST_POSTGIS_URL")
    if url:
        return url
    message = "GEO_TEST_POSTGIS_URL is not set (run scripts/postgis.sh start)"
    if os.environ.get("GEO_TEST_REQUIRE_ALL_BACKENDS") == "1":
        pytest.fail(message + " and GEO_TEST_REQUIRE_ALL_BACKENDS=1 forbids skipping a backend")
    pytest.skip(message)


def _admin_engine(server_url: str) -> Engine:
    return create_engine(server_url, isolation_level="AUTOCOMMIT")


def new_database_url(backend: str, tmp_dir: Path) -> Iterator[str]:
    """Yield the URL of a new, empty database on `backend`; drop it afterwards."""
    if backend == "spatialite":
        yield f"sqlite:///{tmp_dir / f'geo-{uuid.uuid4().hex[:8]}.sqlite'}"
        return
    server_url = _postgis_server_url()
    name = f"geo_t_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine(server_url)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database on the current backend, for tests that write or migrate."""
    yield from new_database_url(backend, tmp_path)


@pytest.fixture
def empty_engine(empty_db_url: str) -> Iterator[Engine]:
    engine = make_engine(Settings(db_url=empty_db_url))
    yield engine
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def loaded_db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database per backend with schema, boundaries and sample data, shared by read-only tests."""
    generator = new_database_url(str(request.param), tmp_path_factory.mktemp("loaded"))
    url = next(generator)
    engine = make_engine(Settings(db_url=url))
    setup.prepare(engine, DATA_DIR)
    engine.dispose()
    yield url
    generator.close()


@pytest.fixture(scope="session")
def loaded_engine(loaded_db_url: str) -> Iterator[Engine]:
    engine = make_engine(Settings(db_url=loaded_db_url))
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def client(loaded_db_url: str) -> Iterator[object]:
    """A TestClient on an app built by create_app(settings) over the loaded database."""
    from fastapi.testclient import TestClient

    from geo_service.app import create_app

    with TestClient(create_app(Settings(db_url=loaded_db_url))) as test_client:
        yield test_client
