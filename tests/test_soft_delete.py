"""A soft-deleted facility keeps its row but leaves every read, the nearest index included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, update

from geo_service.db.models import Facility
from geo_service.queries import facilities as q
from geo_service.services import setup as setup_service
from tests.databases import DATA_DIR

EVERYTHING = q.FacilityFilter()


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    setup_service.prepare(empty_engine, DATA_DIR)
    return empty_engine


def _reads(engine: Engine, filters: q.FacilityFilter = EVERYTHING) -> dict[str, object]:
    with engine.connect() as conn:
        return {
            "list": [r["id"] for r in q.list_facilities(conn, filters, 1000, 0)],
            "count": q.count_facilities(conn, filters),
            "grid": sum(r["count"] for r in q.grid_counts(conn, filters, 1.0)),
            "by_district": q.count_by_district(conn, filters),
            "open": [i for batch in q.open_facility_columns(conn, 100) for i in batch["id"]],
            "points": [r["id"] for r in q.facility_points(conn)],
            "revision": q.data_revision(conn),
        }


def test_deleted_rows_vanish_from_every_read_and_bump_the_revision(engine: Engine) -> None:
    before = _reads(engine)
    victim = before["open"][0]
    with engine.connect() as conn:
        (row,) = [r for r in q.list_facilities(conn, EVERYTHING, 1000, 0) if r["id"] == victim]
    with engine.begin() as conn:
        conn.execute(update(Facility).where(Facility.id == victim).values(deleted_at=datetime.now(UTC)))
    after = _reads(engine)

    assert victim in before["list"] and victim not in after["list"]
    assert after["list"] == [i for i in before["list"] if i != victim]
    assert after["count"] == before["count"] - 1 == after["grid"]
    district = row["district_adcode"]
    assert after["by_district"][district] == before["by_district"][district] - 1
    assert after["open"] == [i for i in before["open"] if i != victim]
    assert after["points"] == [i for i in before["points"] if i != victim]
    assert after["revision"] > before["revision"]  # the nearest index reloads without the row

    with_deleted = _reads(engine, q.FacilityFilter(include_deleted=True))
    assert with_deleted["list"] == before["list"] and with_deleted["count"] == before["count"]
