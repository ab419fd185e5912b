"""Load a SYNTHETIC national set of facilities (default 186,000, the national count of 工会驿站).

Why: the nearest index, the maps and the coverage code must stay fast at national scale, and real
national data is not published. The points are invented: clusters around randomly placed "cities"
inside mainland China's populated extent, denser in the east. Every row has is_sample=true, a code
starting with NAT- and a name ending with "（示例）"; they belong to one synthetic district 100000
(全国示例范围), inserted if missing. The target database must be initialised (`geo-service init`).

    GEO_DB_URL=... python scripts/build_national_sample.py [--count 186000] [--seed 7] [--replace]
"""

from __future__ import annotations

import argparse
import logging

import numpy as np
from rich.progress import Progress
from sqlalchemy import Engine, text

from geo_service import vocab
from geo_service.db.engine import make_engine
from geo_service.queries.districts import upsert_districts
from geo_service.queries.facilities import insert_facilities
from geo_service.records import DistrictRecord, FacilityRecord
from geo_service.settings import Settings

log = logging.getLogger("build_national_sample")
DISTRICT = "100000"
# (west, south, east, north, weight): where synthetic cities are placed; east China carries most.
REGIONS = [
    (108.0, 22.0, 122.0, 41.0, 0.72),
    (98.0, 22.0, 108.0, 35.0, 0.16),
    (118.0, 41.0, 131.0, 48.0, 0.07),
    (80.0, 36.0, 98.0, 45.0, 0.05),
]
HOURS = ["24/7", "Mo-Su 08:00-20:00", "Mo-Fr 08:30-12:00,14:30-18:00", "Mo-Su 20:00-08:00", "Mo-Sa 07:00-21:00"]
AMENITY_ODDS = dict(zip(vocab.AMENITIES, np.linspace(0.9, 0.05, len(vocab.AMENITIES)), strict=True))


def city_centres(rng: np.random.Generator, count: int) -> np.ndarray:
    weights = np.array([r[4] for r in REGIONS])
    picks = rng.choice(len(REGIONS), size=count, p=weights / weights.sum())
    west, south, east, north = (np.array([REGIONS[i][j] for i in picks]) for j in range(4))
    return np.column_stack([rng.uniform(west, east), rng.uniform(south, north)])


def generate(count: int, seed: int) -> list[FacilityRecord]:
    """`count` synthetic facilities, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    centres = city_centres(rng, 400)
    sizes = rng.pareto(1.2, len(centres)) + 1
    owner = rng.choice(len(centres), size=count, p=sizes / sizes.sum())
    spread_deg = rng.uniform(0.03, 0.25, len(centres))[owner]  # city radius ~3-25 km
    lon = centres[owner, 0] + rng.normal(0, 1, count) * spread_deg
    lat = centres[owner, 1] + rng.normal(0, 1, count) * spread_deg * 0.8
    kinds = rng.choice(["station", "rest_base", "mediation_centre"], size=count, p=[0.97, 0.02, 0.01])
    statuses = rng.choice(["open", "temporarily_closed", "closed"], size=count, p=[0.95, 0.03, 0.02])
    has = {code: rng.random(count) < odds for code, odds in AMENITY_ODDS.items()}
    hours = rng.choice(len(HOURS), size=count)
    return [
        FacilityRecord(
            code=f"NAT-{i + 1:06d}",
            kind=str(kinds[i]),
            name=f"全国示例驿站{i + 1:06d}（示例）",
            district_adcode=DISTRICT,
            lon=round(float(lon[i]), 6),
            lat=round(float(lat[i]), 6),
            amenities=[code for code in vocab.AMENITIES if has[code][i] and code != "truck_parking"],
            opening_hours=HOURS[hours[i]],
            status=str(statuses[i]),
            access_method="open",
            host_type="other",
            source=f"synthetic: scripts/build_national_sample.py seed={seed}",
            is_sample=True,
        )
        for i in range(count)
    ]


def _ensure_district(engine: Engine, records: list[FacilityRecord]) -> None:
    lons, lats = [r.lon for r in records], [r.lat for r in records]
    w, s, e, n = min(lons) - 0.1, min(lats) - 0.1, max(lons) + 0.1, max(lats) + 0.1
    wkt = f"MULTIPOLYGON((({w} {s},{e} {s},{e} {n},{w} {n},{w} {s})))"
    record = DistrictRecord(adcode=DISTRICT, name="全国示例范围（示例）", level="district", wkt=wkt)
    with engine.begin() as conn:
        upsert_districts(conn, [record])


def load(engine: Engine, records: list[FacilityRecord], replace: bool, chunk: int = 5000) -> None:
    """Insert in one transaction (all or nothing), with a progress bar."""
    _ensure_district(engine, records)
    with engine.begin() as conn, Progress() as progress:
        if replace:
            conn.execute(text("DELETE FROM facility WHERE code LIKE 'NAT-%'"))
        task = progress.add_task("inserting synthetic national facilities", total=len(records))
        for start in range(0, len(records), chunk):
            insert_facilities(conn, records[start : start + chunk])
            progress.advance(task, min(chunk, len(records) - start))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=186_000, help="facilities to generate (default %(default)s)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default %(default)s)")
    parser.add_argument("--db-url", help="database URL (default: GEO_DB_URL / the embedded SpatiaLite file)")
    parser.add_argument("--replace", action="store_true", help="delete earlier NAT- rows first")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = Settings(db_url=args.db_url) if args.db_url else Settings()
    engine = make_engine(settings)
    records = generate(args.count, args.seed)
    load(engine, records, args.replace)
    log.info("loaded %d synthetic facilities into %s", len(records), engine.url.render_as_string(hide_password=True))
    engine.dispose()


if __name__ == "__main__":
    main()
