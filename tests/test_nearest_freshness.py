"""Edits reach every worker's in-memory index within 2 s (a real 2-worker server on loopback)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine, text

from geo_service.services import setup
from tests.databases import DATA_DIR

POINT = (117.2, 37.9)  # far from every sample facility: the edit below is unmistakable


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(empty_engine: Engine, empty_db_url: str) -> Iterator[str]:
    setup.prepare(empty_engine, DATA_DIR)
    port = _free_port()
    env = {**os.environ, "GEO_DB_URL": empty_db_url, "GEO_INDEX_REFRESH_S": "1.0"}
    cmd = [sys.executable, "-m", "geo_service.cli", "serve", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_ready(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120  # a loaded 2-core machine starts two workers slowly
    while time.monotonic() < deadline:
        assert process.poll() is None, "server exited"
        try:
            if httpx.get(f"{base}/api/v1/facilities/nearest", params=_params(), timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not become ready")


def _params() -> dict:
    return {"lon": POINT[0], "lat": POINT[1], "limit": 1}


def _nearest_code(client: httpx.Client, base: str) -> str:
    return str(
        client.get(f"{base}/api/v1/facilities/nearest", params=_params()).json()["features"][0]["properties"]["code"]
    )


def test_moved_facility_is_nearest_on_every_worker_within_2s(server: str, empty_engine: Engine) -> None:
    # no keep-alive: every request is a new connection, which the kernel hands to either worker
    with httpx.Client(timeout=5, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        before = _nearest_code(client, server)
        target = "BZ-371681-S0001" if before != "BZ-371681-S0001" else "BZ-371602-S0001"
        with empty_engine.begin() as conn:
            conn.execute(
                text("UPDATE facility SET geom = ST_GeomFromText(:wkt, 4326) WHERE code = :code"),
                {"wkt": f"POINT({POINT[0]} {POINT[1]})", "code": target},
            )
        edited = time.monotonic()
        consistent_since = None
        while time.monotonic() - edited < 4.0:
            # a burst of requests spreads over both workers; all must agree before we stop
            codes = {_nearest_code(client, server) for _ in range(20)}
            if codes == {target}:
                consistent_since = time.monotonic()
                break
        assert consistent_since is not None, "edit never became visible on every worker"
        assert consistent_since - edited <= 2.0
