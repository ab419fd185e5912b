"""Coverage answers are kept per data revision: a repeated question is answered the same, and any write
(here plain SQL, past every service) makes the next answer fresh."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from geo_service.app import create_app
from geo_service.db.engine import make_engine
from geo_service.settings import Settings
from tests.databases import loaded_database

SUMMARY = "/api/v1/coverage/summary?preset=walk-15"


def test_a_kept_summary_is_dropped_by_any_write(backend: str, tmp_path: Path) -> None:
    with loaded_database(backend, tmp_path) as url, TestClient(create_app(Settings(db_url=url))) as client:
        first = client.get(SUMMARY).json()
        assert client.get(SUMMARY).json() == first
        engine = make_engine(Settings(db_url=url))
        with engine.begin() as conn:
            station = conn.execute(
                text("SELECT id FROM facility WHERE kind = 'station' AND status = 'open' ORDER BY id LIMIT 1")
            ).scalar_one()
            conn.execute(text("UPDATE facility SET status = 'closed' WHERE id = :id"), {"id": station})
        engine.dispose()
        after = client.get(SUMMARY).json()
        assert after["total"]["facilities"] == first["total"]["facilities"] - 1
