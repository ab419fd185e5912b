"""Leaflet, its clustering and vector-tile plugins, and our own scripts, icons and styles, served by the
app itself.

Pages reference no CDN: China's networks block or slow several of them, and an intranet or offline
deployment has none. Third-party files come from the XStatic packages (installed with the package);
`copy_assets` writes the files a page needs next to a static export. Icons are inline SVG generated from
Font Awesome's (geo_service.maps.icons): no icon font.

Pages name every asset with its content fingerprint (`versioned`: `maps/nearby.js?v=<12 hex digits>`), so
the app can let browsers keep it for a year (geo_service.api.static_cache) and a new release is fetched
at once: its files have new fingerprints. The nearby page, a phone's first view, loads only what it draws
(`NEARBY_SCRIPTS`, `NEARBY_STYLESHEETS`): no clustering, tiles, legend or search.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster

OWN_DIR: Final = Path(__file__).resolve().parents[1] / "static" / "maps"
#: third-party files vendored unchanged, each with its licence (Leaflet.VectorGrid has no XStatic package)
VENDORED_DIR: Final = Path(__file__).resolve().parents[1] / "static" / "vendor"


@dataclass(frozen=True)
class AssetDir:
    """A directory published under /static/<url_path>; `files` are the ones a page loads (or its CSS does)."""

    url_path: str
    directory: Path
    files: tuple[str, ...]


ASSET_DIRS: Final = (
    AssetDir(
        "vendor/leaflet",
        Path(xstatic.pkg.leaflet.BASE_DIR),
        ("leaflet.js", "leaflet.css", "images/layers.png", "images/layers-2x.png", "images/marker-icon.png"),
    ),
    AssetDir(
        "vendor/markercluster",
        Path(xstatic.pkg.leaflet_markercluster.BASE_DIR),
        ("leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css"),
    ),
    AssetDir(
        "vendor/vectorgrid",
        VENDORED_DIR / "vectorgrid",
        ("Leaflet.VectorGrid.bundled.min.js", "LICENSE.txt"),
    ),
    AssetDir(
        "maps",
        OWN_DIR,
        (
            "icons.js",
            "geomaps.js",
            "facilities.js",
            "controls.js",
            "nearby.js",
            "route.js",
            "maps.css",
            "planner.js",
            "planner.css",
        ),
    ),
)

STYLESHEETS: Final = (
    "vendor/leaflet/leaflet.css",
    "vendor/markercluster/MarkerCluster.css",
    "vendor/markercluster/MarkerCluster.Default.css",
    "maps/maps.css",
)
SCRIPTS: Final = (
    "vendor/leaflet/leaflet.js",
    "vendor/markercluster/leaflet.markercluster.js",
    "vendor/vectorgrid/Leaflet.VectorGrid.bundled.min.js",
    "maps/icons.js",
    "maps/geomaps.js",
    "maps/facilities.js",
    "maps/controls.js",
)
#: the nearby page draws numbered result markers and cards only: Leaflet, the icons and geomaps.js
NEARBY_STYLESHEETS: Final = ("vendor/leaflet/leaflet.css", "maps/maps.css")
NEARBY_SCRIPTS: Final = ("vendor/leaflet/leaflet.js", "maps/icons.js", "maps/geomaps.js")
NEARBY_SCRIPT: Final = "maps/nearby.js"
ROUTE_SCRIPT: Final = "maps/route.js"  # the route page: stations along a drawn or pasted route
PLANNER_SCRIPT: Final = "maps/planner.js"  # the planner map's form (geo_service.maps.planner_panel)
PLANNER_STYLE: Final = "maps/planner.css"


_FILES: Final = {f"{asset.url_path}/{name}": asset.directory / name for asset in ASSET_DIRS for name in asset.files}


def fingerprint(path: str) -> str | None:
    """The content fingerprint of the asset at `path` (under /static), None for a file pages do not load.

    Keyed on the file's size and modification time, so an edited file gets a new one without a restart."""
    file = _FILES.get(path)
    if file is None:
        return None
    stat = file.stat()
    return _digest(file, stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=256)
def _digest(file: Path, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()[:12]


def versioned(path: str) -> str:
    """`path` with its fingerprint as the `v` query parameter (unchanged for a file pages do not load)."""
    digest = fingerprint(path)
    return path if digest is None else f"{path}?v={digest}"


def copy_assets(destination: Path) -> int:
    """Copy every file pages load into `destination` (same layout as /static); returns the count."""
    copied = 0
    for asset in ASSET_DIRS:
        for name in asset.files:
            target = destination / asset.url_path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(asset.directory / name, target)
            copied += 1
    return copied
