"""Shared fixtures: every database test runs on both backends (tests/databases.py makes the databases)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from geo_service.cli import app as cli_app
from geo_service.db.engine import make_engine
from geo_service.settings import Settings
from tests.databases import BACKENDS, loaded_database, new_database

pytest_plugins = ["pytester", "tests.log_guard"]

# A plan's solver stops at its time budget with the best sites so far, so under load it may answer with
# other sites. Tests compare plans with independent answers, which must not depend on the machine's load:
# their in-request budget is generous (the budget itself is tested with explicit settings). Servers the
# tests start inherit it.
os.environ.setdefault("GEO_PLAN_SYNC_BUDGET_S", "600")

# The suite's clients send thousands of requests a minute from one address, which the request limit
# would refuse; it is tested on its own with explicit settings (tests/test_rate_limits.py). Servers
# started by the tests inherit this too.
os.environ.setdefault("GEO_RATE_LIMIT_REQUESTS", "0")

# A served worker starts its analysis processes with itself; the suite builds hundreds of apps, most of
# which never ask for a heavy analysis, so they start them at the first one instead (tests/test_admission.py
# covers both). Servers started by the tests inherit this.
os.environ.setdefault("GEO_HEAVY_PREWARM", "false")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database on the current backend, for tests that write or migrate."""
    with new_database(backend, tmp_path) as url:
        yield url


@pytest.fixture
def empty_engine(empty_db_url: str) -> Iterator[Engine]:
    engine = make_engine(Settings(db_url=empty_db_url))
    yield engine
    engine.dispose()


@pytest.fixture
def cli_db_url(empty_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty database prepared by `geo-service init --no-sample`, selected by GEO_DB_URL as a user would."""
    monkeypatch.setenv("GEO_DB_URL", empty_db_url)
    result = CliRunner().invoke(cli_app, ["init", "--no-sample"])
    assert result.exit_code == 0, result.output
    return empty_db_url


@pytest.fixture(scope="session", params=BACKENDS)
def loaded_db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database per backend with schema, boundaries and sample data, shared by read-only tests."""
    with loaded_database(str(request.param), tmp_path_factory.mktemp("loaded")) as url:
        yield url


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


@pytest.fixture(scope="session")
def context() -> Iterator[object]:
    """One headless Chromium for every browser test of the session (Playwright's sync API allows one)."""
    from tests import browser

    yield from browser.browser_context()
