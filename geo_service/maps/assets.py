"""Leaflet, its clustering and vector-tile plugins, the icon font and our own script and styles, served by
the app itself.

Pages reference no CDN: China's networks block or slow several of them, and an intranet or offline
deployment has none. Third-party files come from the XStatic packages on PyPI (installed with the
package); `copy_assets` writes the files a page needs next to a static export.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import xstatic.pkg.font_awesome
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
        "vendor/fontawesome",
        Path(xstatic.pkg.font_awesome.BASE_DIR),
        (
            "css/fontawesome.min.css",
            "css/solid.min.css",
            "webfonts/fa-solid-900.woff2",
            "webfonts/fa-solid-900.ttf",
            "LICENSE.txt",
        ),
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
    "vendor/fontawesome/css/fontawesome.min.css",
    "vendor/fontawesome/css/solid.min.css",
    "maps/maps.css",
)
SCRIPTS: Final = (
    "vendor/leaflet/leaflet.js",
    "vendor/markercluster/leaflet.markercluster.js",
    "vendor/vectorgrid/Leaflet.VectorGrid.bundled.min.js",
    "maps/geomaps.js",
    "maps/facilities.js",
    "maps/controls.js",
)
NEARBY_SCRIPT: Final = "maps/nearby.js"
ROUTE_SCRIPT: Final = "maps/route.js"  # the route page: stations along a drawn or pasted route
PLANNER_SCRIPT: Final = "maps/planner.js"  # the planner map's form (geo_service.maps.planner_panel)
PLANNER_STYLE: Final = "maps/planner.css"


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
