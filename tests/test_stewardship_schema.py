"""Constraints of the report and batch tables, ready for the routes built on them (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import DataError, IntegrityError

from geo_service.db.models import Facility, ImportBatch, ProblemReport
from geo_service.services import setup as setup_service
from tests.databases import DATA_DIR

#: How the database refuses a row: a failed constraint, or (PostgreSQL) a value longer than its VARCHAR.
REFUSED = (IntegrityError, DataError)
NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
BATCH = {
    "actor": "user:wang",
    "file_name": "滨城区.xlsx",
    "checksum": "0" * 64,
    "format": "xlsx",
    "crs": "gcj02",
    "counts": {"created": 20, "updated": 0, "unchanged": 0, "rejected": 0},
    "report": {"rows": []},
}


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    setup_service.prepare(empty_engine, DATA_DIR)
    return empty_engine


def _facility_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(Facility.id).order_by(Facility.id).limit(1)) or 0)


def _report(**overrides: object) -> dict[str, object]:
    return {
        "kind": "locked",
        "status": "open",
        "note": "门锁着",
        "lon": 118.0,
        "lat": 37.4,
        "address_hash": "a" * 64,
    } | (overrides)


def test_a_batch_links_to_the_facilities_it_wrote(engine: Engine) -> None:
    facility_id = _facility_id(engine)
    with engine.begin() as conn:
        batch_id = conn.execute(insert(ImportBatch).values(BATCH).returning(ImportBatch.id)).scalar_one()
        conn.execute(update(Facility).where(Facility.id == facility_id).values(import_batch_id=batch_id))
    with engine.connect() as conn:
        assert conn.scalar(select(Facility.import_batch_id).where(Facility.id == facility_id)) == batch_id
        assert conn.scalar(select(ImportBatch.counts)) == BATCH["counts"]


@pytest.mark.parametrize("bad", [{"format": "docx"}, {"checksum": "abc"}])
def test_batch_constraints(engine: Engine, bad: dict) -> None:
    with pytest.raises(REFUSED), engine.begin() as conn:
        conn.execute(insert(ImportBatch).values(BATCH | bad))


def test_facility_batch_must_exist(engine: Engine) -> None:
    with pytest.raises(REFUSED), engine.begin() as conn:
        conn.execute(update(Facility).where(Facility.id == _facility_id(engine)).values(import_batch_id=999))


def test_open_and_resolved_reports_are_accepted(engine: Engine) -> None:
    facility_id = _facility_id(engine)
    resolved = {"status": "resolved", "resolution": "confirmed_fine", "resolved_by": "user:wang", "resolved_at": NOW}
    with engine.begin() as conn:
        conn.execute(insert(ProblemReport).values(_report(facility_id=facility_id)))
        conn.execute(insert(ProblemReport).values(_report(facility_id=facility_id, lon=None, lat=None, note=None)))
        conn.execute(insert(ProblemReport).values(_report(facility_id=facility_id, **resolved)))
    with engine.connect() as conn:
        rows = conn.execute(select(ProblemReport.status, ProblemReport.resolved_at).order_by(ProblemReport.id)).all()
    assert [r.status for r in rows] == ["open", "open", "resolved"] and rows[2].resolved_at == NOW


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "haunted"},
        {"status": "pending"},
        {"note": "长" * 501},
        {"lon": 118.0, "lat": None},
        {"lon": 200.0},
        {"resolution": "fixed"},  # an open report has no resolution
        {"status": "resolved", "resolution": "fixed", "resolved_at": NOW},  # who resolved it?
        {"status": "dismissed", "resolution": "teleported", "resolved_by": "user:wang", "resolved_at": NOW},
        {"facility_id": 999_999},
    ],
)
def test_report_constraints(engine: Engine, bad: dict) -> None:
    row = _report(facility_id=_facility_id(engine)) | bad
    with pytest.raises(REFUSED), engine.begin() as conn:
        conn.execute(insert(ProblemReport).values(row))


def test_a_500_character_chinese_note_fits(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(ProblemReport).values(_report(facility_id=_facility_id(engine), note="长" * 500)))
