"""What the console's maps need: the basemap as the settings configure it, and positions to draw.

The maps are Leaflet from the app's own /static (as on the public maps), so the console needs no CDN
and, with GEO_MAP_BASEMAP=none, no request leaves the server. On Amap tiles (GCJ-02) every position is
shifted before it is drawn (geo_layers.display), and a dragged pin reports GCJ-02, converted on save.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from geo_layers.display import display_points
from geo_service.maps.basemaps import BLANK_TILE, basemap
from geo_service.settings import Settings


def map_config(settings: Settings, root: str, districts: Sequence[str] = ()) -> str:
    """JSON for a map element's `data-map` attribute (escaped by the template like any attribute)."""
    base = basemap(settings)
    tiles = [
        {
            "url": t.url,
            "attribution": t.attribution,
            "subdomains": t.subdomains,
            "maxZoom": t.max_zoom,
            "errorTileUrl": BLANK_TILE,
        }
        for t in base.tiles
    ]
    query = "&".join(f"district={adcode}" for adcode in districts)
    outlines = f"{root}/console/api/districts" + (f"?{query}" if query else "")
    return json.dumps({"tiles": tiles, "crs": base.crs, "districts": outlines}, ensure_ascii=False)


def marker(row: Mapping[Any, Any], settings: Settings) -> dict[str, Any]:
    """A facility as one map marker: id, name, code, kind, status and [lat, lng] on the basemap."""
    x, y = display_points(float(row["lon"]), float(row["lat"]), basemap(settings).crs)
    return {
        "id": int(row["id"]),
        "name": row["name"],
        "code": row["code"],
        "kind": row["kind"],
        "status": row["status"],
        "at": [float(y), float(x)],
    }
