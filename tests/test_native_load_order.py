"""SpatiaLite, shapely and GeoPackage writing coexist in one process, in the order the CLI uses them; a
worker loads the heavy native libraries only when it needs them.

Runs in a fresh interpreter: the crash this guards against depends on which native library is loaded
first, which a long-lived test process has already decided."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from geo_service.db.engine import make_engine
from geo_service.settings import Settings
from sqlalchemy import text
engine = make_engine(Settings(db_url="sqlite:///" + sys.argv[1]))
with engine.connect() as conn:
    assert conn.execute(text("SELECT ST_Area(ST_Buffer(MakePoint(0, 0), 1))")).scalar() > 3.1
import geopandas as gpd, shapely
from geo_service import exports
frame = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(118, 37.4).buffer(0.01)], crs="EPSG:4326")
data = exports.layer_bytes(frame, "gpkg", "layer")
assert data[:16] == b"SQLite format 3\\x00", data[:16]
print("ok")
"""


def test_spatialite_then_geopackage_in_one_process(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "db.sqlite")], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


LEAN_SCRIPT = """
import sys
import geo_service.app
from geo_service.db.engine import make_engine
from geo_service.settings import Settings
make_engine(Settings(db_url="postgresql+psycopg://geo@127.0.0.1:1/none"))  # never connects
print(" ".join(sorted(name for name in ("numba", "pyogrio") if name in sys.modules)))
"""


def test_a_postgis_worker_without_a_road_network_loads_neither_numba_nor_gdal() -> None:
    """numba (the road search) and GDAL (uploads and exports in GIS formats) cost a worker ~85 MB; they
    are imported when a road network is loaded or such a file is read or written, not at start."""
    result = subprocess.run([sys.executable, "-c", LEAN_SCRIPT], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == ""
