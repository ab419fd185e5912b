"""PostgreSQL stopped under a running server, then started again (the project's scripts/postgis.sh on a
cluster of this test's own, never the shared one): fast 503s while it is down, liveness unaffected,
200s again without restarting the app, and no acknowledged write lost.

The bounds are generous on purpose (each 503 within 5 s proves "not the 30 s pool wait"); the timings
themselves are printed (`pytest -s`), not asserted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from geo_service.db.engine import make_engine
from geo_service.services import accounts
from geo_service.services import setup as setup_service
from geo_service.settings import PROJECT_ROOT, Settings
from tests import browser
from tests.editing_support import BY, OWN, POINT

pytestmark = pytest.mark.postgis

SCRIPT = PROJECT_ROOT / "scripts" / "postgis.sh"
CLUSTER = {"GEO_PG_DIR": "/tmp/geo-outage-pg", "GEO_PG_PORT": "54339"}
SLOW_S = 5.0  # far below a pool or connect wait of 30 s, far above a loaded machine's jitter


def _cluster(action: str) -> str:
    result = subprocess.run(
        ["bash", str(SCRIPT), action], env={**os.environ, **CLUSTER}, capture_output=True, text=True, check=True
    )
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A loaded database on this test's own cluster; the cluster is stopped afterwards."""
    if not (shutil.which("pg_ctl") or list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))):
        pytest.skip("PostgreSQL is not installed (scripts/setup.sh --postgis)")
    server = _cluster("start")
    name = f"geo_outage_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)  # it outlives a restart
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(Settings(db_url=url))
    setup_service.prepare(engine, PROJECT_ROOT / "data")
    engine.dispose()
    try:
        yield url
    finally:
        _cluster("start")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        _cluster("stop")


def _editor_key(url: str) -> str:
    engine = make_engine(Settings(db_url=url))
    try:
        with engine.begin() as conn:
            return accounts.create_key(conn, BY, label="outage", role="editor", districts=(OWN,)).secret
    finally:
        engine.dispose()


def _timed(client: httpx.Client, path: str) -> tuple[int, float, httpx.Response]:
    start = time.monotonic()
    response = client.get(path)
    return response.status_code, time.monotonic() - start, response


def test_postgres_stopped_and_started_under_a_running_server(database: str) -> None:
    key = _editor_key(database)
    lon, lat = POINT[OWN]
    body = {"code": f"OUT-{uuid.uuid4().hex[:8]}", "kind": "station", "name": "停电前写入", "lon": lon, "lat": lat}
    with browser.serve(database) as base, httpx.Client(base_url=base, timeout=30) as client:
        created = client.post("/api/v1/facilities", json=body, headers={"Authorization": f"Bearer {key}"})
        assert created.status_code == 201  # acknowledged before the stop
        location = created.headers["location"]
        with _background_load(base) as load:
            _cluster("stop")
            _check_down(client, location)
            _cluster("start")
            back = _poll_until_ready(client, deadline_s=5.0)
        print(f"up: first 200s {back * 1000:.0f} ms after the cluster answered again")
        statuses, slowest = {status for status, _ in load}, max(seconds for _, seconds in load)
        print(f"load: {len(load)} listings during the outage, statuses {sorted(statuses)}, slowest {slowest:.2f} s")
        assert statuses <= {200, 503} and slowest < SLOW_S
        stored = client.get(location)
        assert stored.status_code == 200 and stored.json()["properties"]["name"] == "停电前写入"


@contextmanager
def _background_load(base: str) -> Iterator[list[tuple[int, float]]]:
    """Listings requested back to back from a second client while the test runs: (status, seconds) each."""
    results: list[tuple[int, float]] = []
    stop = threading.Event()

    def run() -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            while not stop.is_set():
                status, seconds, _ = _timed(client, "/api/v1/facilities?limit=20")
                results.append((status, seconds))

    worker = threading.Thread(target=run)
    worker.start()
    try:
        yield results
    finally:
        stop.set()
        worker.join()


def _check_down(client: httpx.Client, location: str) -> None:
    """While PostgreSQL is down: database routes are fast 503s with Retry-After, /readyz a fast 503, and
    /healthz and the nearest index answer as usual."""
    down = {path: _timed(client, path) for path in ("/api/v1/facilities?limit=5", location, "/readyz")}
    alive = _timed(client, "/healthz")
    nearest = _timed(client, "/api/v1/facilities/nearest?lon=117.97&lat=37.38")
    for path, (status, seconds, response) in down.items():
        print(f"down: {path} → {status} in {seconds * 1000:.0f} ms")
        assert status == 503 and seconds < SLOW_S, path
        assert path == "/readyz" or response.headers["retry-after"]
    print(f"down: /healthz → {alive[0]} in {alive[1] * 1000:.0f} ms; nearest → {nearest[0]}")
    assert alive[0] == 200 and alive[1] < SLOW_S
    assert nearest[0] == 200  # answered from the worker's in-memory index


def _poll_until_ready(client: httpx.Client, deadline_s: float) -> float:
    """Seconds until /readyz and a listing are 200 again (fails after `deadline_s`)."""
    start = time.monotonic()
    while True:
        if client.get("/readyz").status_code == 200 and client.get("/api/v1/facilities?limit=1").status_code == 200:
            return time.monotonic() - start
        assert time.monotonic() - start < deadline_s, "still failing 5 s after PostgreSQL was back"
        time.sleep(0.1)
