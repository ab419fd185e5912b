"""Liveness/readiness, and what a client sees when the database is not there."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from geo_service.app import create_app
from geo_service.settings import Settings


def test_healthz_and_readyz_on_a_loaded_database(client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True


def test_readyz_503_until_migrated(empty_db_url: str) -> None:
    with TestClient(create_app(Settings(db_url=empty_db_url))) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert "geo-service db upgrade" in response.json()["problem"]


def test_unreachable_postgres_gives_503_with_retry_after() -> None:
    settings = Settings(db_url="postgresql+psycopg://nobody:x@127.0.0.1:9/none")
    with TestClient(create_app(settings)) as client:
        listing = client.get("/api/v1/facilities")
        nearest = client.get("/api/v1/facilities/nearest", params={"lon": 117.97, "lat": 37.38})
        ready = client.get("/readyz")
    assert listing.status_code == 503 and listing.headers["retry-after"]
    assert nearest.status_code == 503 and nearest.headers["retry-after"]
    assert "retry" in listing.json()["detail"]
    assert ready.status_code == 503


def test_openapi_docs_served(client) -> None:
    assert client.get("/docs").status_code == 200
    assert "/api/v1/facilities" in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/facilities/nearest?lon=117.97&lat=37.38", "/api/v1/facilities"])
def test_every_route_answers_with_a_request_id(client, path: str) -> None:
    """The fast nearest path included: a fresh id per request, a proxy's well-formed id kept, others replaced."""
    first, second = client.get(path).headers["x-request-id"], client.get(path).headers["x-request-id"]
    assert first != second and len(first) == 32
    assert client.get(path, headers={"X-Request-ID": "edge-42:a.b"}).headers["x-request-id"] == "edge-42:a.b"
    hostile = client.get(path, headers={"X-Request-ID": "<script>" + "x" * 80}).headers["x-request-id"]
    assert hostile.isalnum() and len(hostile) == 32
