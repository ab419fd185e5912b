"""Backups as the README's Production section describes them, restored once into a new database:
pg_dump -Fc / pg_restore for PostGIS, SQLite's online backup API (what `sqlite3 .backup` uses) for
SpatiaLite. The restored copy has the same rows, the same geometries and the current schema revision."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlean
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from geo_service.db import migrate
from geo_service.db.engine import make_engine
from geo_service.db.models import AuditEvent, District, Facility
from geo_service.settings import Settings
from tests.databases import new_database


def _pg_tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return str(found)


def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection options and environment (password) for the PostgreSQL command-line tools."""
    parts = make_url(url)
    args = ["-h", str(parts.host), "-p", str(parts.port or 5432), "-U", str(parts.username)]
    return args, {**os.environ, "PGPASSWORD": str(parts.password or "")}


def _back_up_postgis(source: str, target: str, dump: Path) -> None:
    args, env = _libpq(source)
    subprocess.run(
        [_pg_tool("pg_dump"), *args, "-Fc", "-f", str(dump), str(make_url(source).database)], env=env, check=True
    )
    target_args, target_env = _libpq(target)
    restore = [_pg_tool("pg_restore"), *target_args, "--no-owner", "-d", str(make_url(target).database), str(dump)]
    subprocess.run(restore, env=target_env, check=True)


def _back_up_spatialite(source: str, target: str) -> None:
    """The online backup API: a consistent copy even while the service writes (WAL included)."""
    with sqlean.connect(source.split("///", 1)[1]) as src, sqlean.connect(target.split("///", 1)[1]) as dst:
        src.backup(dst)
    src.close()
    dst.close()


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = make_engine(Settings(db_url=url))
    try:
        yield engine
    finally:
        engine.dispose()


def _contents(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        facilities = conn.execute(select(Facility.code, func.ST_AsText(Facility.geom)).order_by(Facility.code)).all()
        districts = conn.execute(select(District.adcode, func.ST_Area(District.geom)).order_by(District.adcode)).all()
        audit = conn.scalar(select(func.count()).select_from(AuditEvent))
    return {"facilities": [tuple(r) for r in facilities], "districts": [tuple(r) for r in districts], "audit": audit}


def test_a_backup_restores_into_a_new_database(loaded_db_url: str, tmp_path: Path) -> None:
    backend = "postgis" if loaded_db_url.startswith("postgresql") else "spatialite"
    with new_database(backend, tmp_path) as target:
        if backend == "postgis":
            _back_up_postgis(loaded_db_url, target, tmp_path / "geo.dump")
        else:
            _back_up_spatialite(loaded_db_url, target)
        with _engine(loaded_db_url) as source_engine, _engine(target) as restored:
            original = _contents(source_engine)
            assert len(original["facilities"]) > 100 and len(original["districts"]) > 5  # type: ignore[arg-type]
            assert _contents(restored) == original
            assert migrate.current_revision(restored) == migrate.head_revision()
