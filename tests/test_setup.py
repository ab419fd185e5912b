"""Loading boundaries and sample data: complete, idempotent, all-or-nothing, spatially consistent."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from geo_service.data_files import BOUNDARIES, POPULATION, SAMPLE_FACILITIES
from geo_service.errors import DataFileError
from geo_service.services import setup
from tests.databases import DATA_DIR


def _sample_features() -> list[dict]:
    return json.loads((DATA_DIR / SAMPLE_FACILITIES).read_text(encoding="utf-8"))["features"]


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_init_is_idempotent(empty_engine: Engine) -> None:
    for _ in range(2):
        setup.upgrade_schema(empty_engine)
        setup.load_boundaries(empty_engine, DATA_DIR)
        report = setup.load_sample(empty_engine, DATA_DIR)
    assert report.inserted == 0 and report.existing == len(_sample_features())
    assert _count(empty_engine, "district") == 8
    assert _count(empty_engine, "facility") == len(_sample_features())


def test_every_sample_facility_is_inside_its_own_district(loaded_engine: Engine) -> None:
    """Checked by the database itself (ST_Contains on each backend), independent of the generator."""
    sql = """
        SELECT f.code FROM facility f JOIN district d ON d.adcode = f.district_adcode
        WHERE NOT ST_Contains(d.geom, f.geom)
    """
    with loaded_engine.connect() as conn:
        outside = conn.execute(text(sql)).scalars().all()
        total = conn.execute(text("SELECT count(*) FROM facility WHERE is_sample")).scalar_one()
    assert outside == []
    assert total == len(_sample_features())


def test_population_figures_loaded_with_year_and_source(loaded_engine: Engine) -> None:
    with loaded_engine.connect() as conn:
        rows = conn.execute(text("SELECT adcode, population, population_year, population_source FROM district")).all()
    assert len(rows) == 8
    for adcode, population, year, source in rows:
        assert population and population > 100_000, adcode
        assert 2000 <= year <= 2030 and source


def _copy_data(tmp_path: Path) -> Path:
    for relative in (BOUNDARIES, POPULATION, SAMPLE_FACILITIES):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA_DIR / relative, tmp_path / relative)
    return tmp_path


def test_bad_sample_row_writes_nothing_and_names_the_row(empty_engine: Engine, tmp_path: Path) -> None:
    data_dir = _copy_data(tmp_path)
    collection = json.loads((data_dir / SAMPLE_FACILITIES).read_text(encoding="utf-8"))
    collection["features"][5]["properties"]["kind"] = "spaceport"
    (data_dir / SAMPLE_FACILITIES).write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    setup.upgrade_schema(empty_engine)
    setup.load_boundaries(empty_engine, data_dir)
    with pytest.raises(DataFileError, match=r"feature 6: .*unknown kind 'spaceport'"):
        setup.load_sample(empty_engine, data_dir)
    assert _count(empty_engine, "facility") == 0


def test_duplicate_code_in_file_is_reported(empty_engine: Engine, tmp_path: Path) -> None:
    data_dir = _copy_data(tmp_path)
    collection = json.loads((data_dir / SAMPLE_FACILITIES).read_text(encoding="utf-8"))
    collection["features"].append(collection["features"][0])
    (data_dir / SAMPLE_FACILITIES).write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    setup.upgrade_schema(empty_engine)
    setup.load_boundaries(empty_engine, data_dir)
    last = len(collection["features"])
    with pytest.raises(DataFileError, match=rf"feature {last}: duplicate code .* \(first in feature 1\)"):
        setup.load_sample(empty_engine, data_dir)
    assert _count(empty_engine, "facility") == 0


def test_database_constraints_reject_bad_values(empty_engine: Engine) -> None:
    """Even SQL that bypasses validation cannot store an unknown kind (CHECK built from the vocabulary)."""
    setup.upgrade_schema(empty_engine)
    setup.load_boundaries(empty_engine, DATA_DIR)
    sql = text(
        "INSERT INTO facility (code, kind, name, district_adcode, geom, amenities, status, truck_parking_spaces,"
        " details, is_sample) VALUES ('X1', 'spaceport', 'x', '371602', ST_GeomFromText('POINT(118 37.4)', 4326),"
        " '[]', 'open', 0, '{}', true)"
    )
    with pytest.raises(Exception, match=r"(?i)check"), empty_engine.begin() as conn:
        conn.execute(sql)
    assert _count(empty_engine, "facility") == 0
