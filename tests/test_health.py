"""Liveness/readiness, and what a client sees when the database is not there."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from geo_service.api.errors import error_response
from geo_service.app import create_app
from geo_service.db.engine import make_engine
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


def test_a_full_pool_is_a_fast_503_and_liveness_does_not_wait(loaded_db_url: str) -> None:
    """Every connection of the pool checked out (here the only one): a database route waits the pool
    timeout and answers 503 with Retry-After, /readyz is a 503, /healthz and the in-memory nearest
    index answer as usual; once the connection is back, everything is 200 again."""
    settings = Settings(db_url=loaded_db_url, db_pool_size=1, db_max_overflow=0, db_pool_timeout_s=0.2)
    with TestClient(create_app(settings)) as client:
        with client.app.state.engine.connect():  # type: ignore[attr-defined]
            listing = client.get("/api/v1/facilities")
            ready = client.get("/readyz")
            alive = client.get("/healthz")
            nearest = client.get("/api/v1/facilities/nearest", params={"lon": 117.97, "lat": 37.38})
        assert listing.status_code == 503 and listing.headers["retry-after"] == "5"
        assert listing.json()["detail"].startswith("数据库暂时不可用")
        assert ready.status_code == 503 and ready.json()["ready"] is False
        assert alive.status_code == 200 and nearest.status_code == 200
        assert client.get("/api/v1/facilities").status_code == 200
        assert client.get("/readyz").status_code == 200


def test_a_statement_timeout_or_a_held_lock_is_a_503(loaded_db_url: str) -> None:
    """The driver's own errors, raised by the real database: PostgreSQL cancelling a statement past its
    statement_timeout, SQLite refusing a write while another connection holds the write lock."""
    engine = make_engine(Settings(db_url=loaded_db_url, sqlite_busy_timeout_s=0.1, pg_statement_timeout_ms=100))
    try:
        with pytest.raises(DBAPIError) as caught:
            if engine.dialect.name == "postgresql":
                with engine.connect() as conn:
                    conn.execute(text("SELECT pg_sleep(2)"))
            else:
                with engine.connect() as holder, engine.connect() as writer:
                    holder.exec_driver_sql("BEGIN IMMEDIATE")
                    writer.exec_driver_sql("BEGIN IMMEDIATE")
        response = error_response(caught.value)
    finally:
        engine.dispose()
    assert response is not None and response.status_code == 503 and response.headers["retry-after"] == "5"
