"""Plans as background jobs: 202 with a status URL, the same answer as the request would give, refusals
kept with their status, any app instance answering, and the cost caps checked before any work."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert

from geo_service.app import create_app
from geo_service.db.migrate import upgrade
from geo_service.db.models import Job
from geo_service.settings import Settings

SPEC: dict[str, Any] = {"count": 4, "preset": "walk-15", "solver": "greedy", "district": ["阳信县"]}
ASYNC = {"Prefer": "respond-async"}


@pytest.fixture(scope="module")
def job_client(loaded_db_url: str) -> Iterator[TestClient]:
    """An app whose plans of more than 3 sites are jobs."""
    with TestClient(create_app(Settings(db_url=loaded_db_url, plan_sync_max_count=3))) as client:
        yield client


def _finished(client: TestClient, location: str, within_s: float = 180) -> dict[str, Any]:
    """Poll a status URL until the job is done or failed (the bound only stops a broken run)."""
    stop = time.monotonic() + within_s
    while time.monotonic() < stop:
        status = client.get(location)
        assert status.status_code == 200
        body: dict[str, Any] = status.json()
        if body["status"] in ("done", "failed"):
            return body
        assert status.headers["retry-after"] == "1"
        time.sleep(0.2)
    raise AssertionError(f"{location} still unfinished after {within_s} s")


def _sites(collection: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(f["geometry"]["coordinates"], f["properties"]["gain_demand"]) for f in collection["features"]]


def test_a_large_plan_is_a_job_with_the_answer_of_the_request(client, job_client) -> None:
    accepted = job_client.post("/api/v1/plan/sites", json=SPEC)
    assert accepted.status_code == 202, accepted.text
    location = accepted.headers["location"]
    assert location == f"/api/v1/jobs/{accepted.json()['id']}" and accepted.json()["kind"] == "plan"
    job = _finished(job_client, location)
    assert job["status"] == "done" and job["error"] is None, job
    assert job["started_at"] <= job["finished_at"]
    result = job_client.get(job["result"])
    assert result.status_code == 200 and result.headers["content-type"] == "application/geo+json"
    in_request = client.post("/api/v1/plan/sites", json=SPEC)  # 4 ≤ the default threshold: answered at once
    assert in_request.status_code == 200
    assert _sites(result.json()) == _sites(in_request.json()) and len(_sites(in_request.json())) == 4
    assert result.json()["time_budget_reached"] is False
    # another app instance on the same database (another worker) answers the same URLs
    assert _sites(client.get(job["result"]).json()) == _sites(in_request.json())


def test_prefer_respond_async_makes_a_small_plan_a_job(job_client) -> None:
    accepted = job_client.post("/api/v1/plan/sites", json={**SPEC, "count": 2}, headers=ASYNC)
    assert accepted.status_code == 202
    assert _finished(job_client, accepted.headers["location"])["status"] == "done"
    assert job_client.post("/api/v1/plan/sites", json={**SPEC, "count": 2}).status_code == 200


def test_a_refused_job_keeps_the_status_and_body_of_its_request(job_client) -> None:
    spec = {**SPEC, "district": ["朝阳区"]}
    in_request = job_client.post("/api/v1/plan/sites", json={**spec, "count": 2})
    assert in_request.status_code == 422
    job = _finished(job_client, job_client.post("/api/v1/plan/sites", json=spec).headers["location"])
    assert job["status"] == "failed" and job["result"] is None
    assert job["error_status"] == 422 and job["error"] == in_request.json()
    assert job["error"]["detail"][0]["loc"] == ["body", "district"]
    assert job_client.get(f"/api/v1/jobs/{job['id']}/result").status_code == 404


def test_caps_are_checked_before_a_job_is_made(loaded_db_url: str) -> None:
    point = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [117.9, 37.5]}, "properties": {}}
    demand = {"type": "FeatureCollection", "features": [{**point, "properties": {"weight": 1}}] * 3}
    settings = Settings(db_url=loaded_db_url, plan_max_points=2, plan_max_count=10)
    with TestClient(create_app(settings)) as client:
        for spec, field in (({**SPEC, "demand": demand}, "demand"), ({**SPEC, "count": 11}, "count")):
            refused = client.post("/api/v1/plan/sites", json=spec, headers=ASYNC)
            assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", field]
            assert "location" not in refused.headers


def _stored_job(engine: Engine, job_id: str, status: str, expires_at: datetime) -> None:
    now = datetime.now(UTC)
    values = {"id": job_id, "kind": "plan", "status": status, "params": SPEC, "created_at": now}
    with engine.begin() as conn:
        conn.execute(insert(Job).values({**values, "started_at": now, "expires_at": expires_at}))


def test_full_queue_is_a_fast_503_and_a_lost_job_is_reported_failed(empty_db_url: str, empty_engine: Engine) -> None:
    upgrade(empty_engine)
    running, lost = "a" * 32, "b" * 32
    _stored_job(empty_engine, running, "running", datetime.now(UTC) + timedelta(hours=1))
    _stored_job(empty_engine, lost, "running", datetime.now(UTC) - timedelta(seconds=1))
    with TestClient(create_app(Settings(db_url=empty_db_url, job_max_active=1))) as client:
        busy = client.post("/api/v1/plan/sites", json=SPEC, headers=ASYNC)
        assert busy.status_code == 503 and int(busy.headers["retry-after"]) > 0, busy.text
        assert "任务" in busy.json()["detail"]
        assert client.get(f"/api/v1/jobs/{running}").json()["status"] == "running"
        reported = client.get(f"/api/v1/jobs/{lost}").json()
        assert reported["status"] == "failed" and reported["error_status"] == 503
        assert client.get(f"/api/v1/jobs/{'c' * 32}").status_code == 404
        assert client.get("/api/v1/jobs/not-a-job-id").status_code == 422
