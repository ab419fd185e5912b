"""Helpers shared by the import and export tests: databases with keys for every role, the state of the
facility table as a checksum, and HTTP calls with a key."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text

from geo_service.app import create_app
from geo_service.authorization import AuditContext
from geo_service.db.engine import make_engine
from geo_service.db.models import AuditEvent, Facility, ImportBatch
from geo_service.queries import facilities as facility_queries
from geo_service.queries.imports import RECORD_FIELDS
from geo_service.records import FacilityRecord
from geo_service.services import accounts
from geo_service.services import setup as setup_service
from geo_service.settings import Settings
from tests.databases import DATA_DIR, new_database

BY = AuditContext(actor="cli:tester", role="admin")
#: role → (role, districts) of the keys every import database gets
KEYS = {
    "admin": ("admin", ()),
    "viewer": ("viewer", ()),
    "editor": ("editor", ("371602",)),  # 滨城区, where the first sample rows are
    "other": ("editor", ("371603",)),  # 沾化区
}


@dataclass
class Api:
    client: TestClient
    engine: Engine
    keys: dict[str, str]

    def headers(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"} if who else {}

    def upload(self, who: str | None, name: str, data: bytes, **fields: object) -> Any:
        form = {key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in fields.items()}
        return self.client.post("/api/v1/imports", headers=self.headers(who), files={"file": (name, data)}, data=form)

    def get(self, path: str, who: str | None = None, **params: object) -> Any:
        return self.client.get(path, headers=self.headers(who), params=params)


def seed(engine: Engine, *, sample: bool = False, records: list[FacilityRecord] | None = None) -> dict[str, str]:
    """Schema, boundaries, optionally the sample or given facilities; a key per role in KEYS."""
    setup_service.prepare(engine, DATA_DIR, sample=sample)
    with engine.begin() as conn:
        if records:
            facility_queries.insert_facilities(conn, records)
        return {
            who: accounts.create_key(conn, BY, label=who, role=role, districts=districts).secret
            for who, (role, districts) in KEYS.items()
        }


@contextmanager
def api_on(backend: str, tmp_dir: Path, **seeding: Any) -> Iterator[Api]:
    """A new database on `backend`, seeded, with a TestClient on the app over it."""
    with new_database(backend, tmp_dir) as url:
        engine = make_engine(Settings(db_url=url))
        try:
            keys = seed(engine, **seeding)
            with TestClient(create_app(Settings(db_url=url))) as client:
                yield Api(client, engine, keys)
        finally:
            engine.dispose()


@dataclass(frozen=True)
class TableState:
    """Row counts and a checksum of every facility row (all columns, the point as WKB)."""

    facilities: int
    audit_rows: int
    batches: int
    checksum: str


def table_state(engine: Engine) -> TableState:
    columns = [c for c in Facility.__table__.c if c.name != "geom"]
    query = select(*columns, func.ST_AsBinary(Facility.geom).label("wkb")).order_by(Facility.id)
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for row in conn.execute(query).mappings():
            values = {k: (bytes(v).hex() if k == "wkb" else v) for k, v in row.items()}
            digest.update(orjson.dumps(values, default=str, option=orjson.OPT_SORT_KEYS))
        count = lambda model: int(conn.scalar(select(func.count()).select_from(model)) or 0)  # noqa: E731
        return TableState(count(Facility), count(AuditEvent), count(ImportBatch), digest.hexdigest())


def stored_records(engine: Engine) -> dict[str, dict[str, object]]:
    """code → every record field (plus lon, lat) of the facilities not deleted."""
    position = (func.ST_X(Facility.geom).label("lon"), func.ST_Y(Facility.geom).label("lat"))
    columns = [Facility.__table__.c[name] for name in RECORD_FIELDS]
    with engine.connect() as conn:
        rows = conn.execute(select(*columns, *position).where(Facility.deleted_at.is_(None))).mappings().all()
    return {row["code"]: dict(row) for row in rows}


def data_revision(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT revision FROM data_revision WHERE id = 1")) or 0)


def same_facilities(got: Mapping[str, Mapping[str, object]], expected: Mapping[str, Mapping[str, object]]) -> None:
    """Equal codes; coordinates within 1e-7°; every other field equal."""
    assert sorted(got) == sorted(expected)
    for code, original in expected.items():
        back = got[code]
        assert abs(float(back["lon"]) - float(original["lon"])) <= 1e-7, code  # type: ignore[arg-type]
        assert abs(float(back["lat"]) - float(original["lat"])) <= 1e-7, code  # type: ignore[arg-type]
        rest = {k: v for k, v in back.items() if k not in ("lon", "lat")}
        assert rest == {k: v for k, v in original.items() if k not in ("lon", "lat")}, code
