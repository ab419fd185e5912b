"""SpatiaLite, shapely and GeoPackage writing coexist in one process, in the order the CLI uses them.

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
