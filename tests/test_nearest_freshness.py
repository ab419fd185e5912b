"""Edits reach every worker's in-memory index without a restart (a real 2-worker server on loopback).

How fast is a benchmark's question (scripts/bench/), not a test's: this one only bounds the wait so that a
worker that never refreshes fails instead of hanging."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine, text

from geo_service.services import setup
from tests import browser
from tests.databases import DATA_DIR

POINT = (117.2, 37.9)  # far from every sample facility: the edit below is unmistakable


@pytest.fixture
def server(empty_engine: Engine, empty_db_url: str) -> Iterator[str]:
    setup.prepare(empty_engine, DATA_DIR)
    ready = f"/api/v1/facilities/nearest?lon={POINT[0]}&lat={POINT[1]}&limit=1"  # the index is loaded
    with browser.serve(empty_db_url, workers=2, ready_path=ready, index_refresh_s="1.0") as base:
        yield base


def _params() -> dict:
    return {"lon": POINT[0], "lat": POINT[1], "limit": 1}


def _nearest_code(client: httpx.Client, base: str) -> str:
    return str(
        client.get(f"{base}/api/v1/facilities/nearest", params=_params()).json()["features"][0]["properties"]["code"]
    )


def test_moved_facility_becomes_nearest_on_every_worker(server: str, empty_engine: Engine) -> None:
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
        while time.monotonic() - edited < 60.0:
            # a burst of requests spreads over both workers; all must agree before we stop
            codes = {_nearest_code(client, server) for _ in range(20)}
            if codes == {target}:
                consistent_since = time.monotonic()
                break
        assert consistent_since is not None, "edit never became visible on every worker"
