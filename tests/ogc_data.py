"""The database the OGC API and tile tests read: the Binzhou sample plus a few hand-made rows (empty
optional fields, a hostile name, a facility exactly on a tile corner, a soft-deleted one), and the
expected features computed from the files and the rows themselves, never from the API."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import update

from geo_service.data_files import SAMPLE_FACILITIES
from geo_service.db.engine import make_engine
from geo_service.db.models import Facility
from geo_service.queries.facilities import insert_facilities
from geo_service.records import FacilityRecord
from geo_service.settings import Settings
from tests.databases import DATA_DIR, loaded_database

HOSTILE = "<script>alert(1)</script>&\"'"
#: T-CORNER sits exactly on the north-west corner of this tile (z, x, y), shared by four tiles
CORNER_TILE = (12, 3390, 1587)


def tile_corner(z: int, x: int, y: int) -> tuple[float, float]:
    """The north-west corner of a tile, by the textbook formula (independent of geo_service.analysis.tiles)."""
    n = 2**z
    lon = x / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    return lon, lat


def extra_records() -> list[FacilityRecord]:
    corner = tile_corner(*CORNER_TILE)
    return [
        FacilityRecord(
            code="T-NULLS", kind="station", name="空字段驿站", district_adcode="371602", lon=117.95, lat=37.41
        ),
        FacilityRecord(
            code="T-HOSTILE",
            kind="rest_base",
            name=HOSTILE,
            address=HOSTILE,
            district_adcode="371602",
            lon=117.96,
            lat=37.42,
            phone="0543-1",
            area_m2=12.5,
        ),
        FacilityRecord(
            code="T-CORNER", kind="station", name="瓦片角驿站", district_adcode="371602", lon=corner[0], lat=corner[1]
        ),
        FacilityRecord(
            code="T-DELETED", kind="station", name="已删除驿站", district_adcode="371602", lon=117.97, lat=37.43
        ),
    ]


@dataclass(frozen=True)
class Expected:
    """What the database holds and serves: the non-deleted facilities with their properties."""

    features: list[dict[str, Any]]  # GeoJSON-like: {"code", "lon", "lat", "properties": {...}}

    def codes(self, where: Any = None) -> set[str]:
        return {f["code"] for f in self.features if where is None or where(f["properties"])}


def expected() -> Expected:
    sample = json.loads((DATA_DIR / SAMPLE_FACILITIES).read_text(encoding="utf-8"))["features"]
    features = [
        {
            "code": f["properties"]["code"],
            "lon": f["geometry"]["coordinates"][0],
            "lat": f["geometry"]["coordinates"][1],
            "properties": f["properties"],
        }
        for f in sample
    ]
    for record in extra_records():
        if record.code == "T-DELETED":
            continue
        props = record.model_dump(exclude={"lon", "lat"}) | {"last_verified_at": None}
        features.append({"code": record.code, "lon": record.lon, "lat": record.lat, "properties": props})
    return Expected(features)


@contextmanager
def ogc_database(backend: str, tmp_dir: Path) -> Iterator[str]:
    """The sample database plus the extra rows, T-DELETED soft-deleted."""
    with loaded_database(backend, tmp_dir) as url:
        engine = make_engine(Settings(db_url=url))
        with engine.begin() as conn:
            insert_facilities(conn, extra_records())
            conn.execute(update(Facility).where(Facility.code == "T-DELETED").values(deleted_at=datetime.now(UTC)))
        engine.dispose()
        yield url
