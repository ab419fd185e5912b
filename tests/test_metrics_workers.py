"""A real `geo-service serve --workers 2` with PROMETHEUS_MULTIPROC_DIR: whichever worker answers the
scrape, /metrics counts the requests of both; and each worker writes JSON access lines with the
request ids the client saw."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from geo_service.settings import PROJECT_ROOT
from tests import browser
from tests.databases import loaded_database


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    tmp = tmp_path_factory.mktemp("workers")
    metrics_dir, log = tmp / "metrics", tmp / "server.log"
    metrics_dir.mkdir()
    with loaded_database("spatialite", tmp) as url:
        port = browser.free_port()
        env = {**os.environ, "GEO_DB_URL": url, "GEO_MAP_BASEMAP": "none", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
        cmd = [sys.executable, "-m", "geo_service.cli", "serve", "--port", str(port), "--workers", "2"]
        with log.open("wb") as stderr:
            process = subprocess.Popen(cmd, env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=stderr)
        base = f"http://127.0.0.1:{port}"
        try:
            browser.wait_ready(process, f"{base}/readyz")
            yield base, metrics_dir, log
        finally:
            process.terminate()
            process.wait(timeout=30)


def _healthz_count(base: str) -> float:
    text = httpx.get(f"{base}/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "geo_http_requests_total" and sample.labels.get("route") == "/healthz":
                return sample.value
    return 0.0


def test_metrics_sum_the_workers_and_logs_are_json(two_workers: tuple[str, Path, Path]) -> None:
    base, metrics_dir, log = two_workers
    ids = []
    # a new connection each time, until both workers have answered (each keeps its own counter file)
    while len(list(metrics_dir.glob("counter_*.db"))) < 2 or len(ids) < 20:
        response = httpx.get(f"{base}/healthz", headers={"X-Request-ID": f"w-{len(ids)}"})
        assert response.status_code == 200
        ids.append(response.headers["x-request-id"])
        assert len(ids) < 500, "one worker answered every request"
    assert {_healthz_count(base) for _ in range(6)} == {len(ids)}  # the same total from either worker
    time.sleep(0.5)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    logged = {line["request_id"] for line in lines if line.get("logger") == "geo_service.access"}
    assert set(ids) <= logged
