"""Suggested new sites with their service radius (planner map and plan exports)."""

from __future__ import annotations

from typing import Any

from branca.element import MacroElement

from layers.display import DisplayCrs, display_points
from layers.element import script_layer
from layers.spec import LayerSpec

SPEC = LayerSpec("suggested_sites", {"zh": "建议新址（{count} 处）", "en": "Suggested sites ({count})"})
STYLE = {"color": "#1a9850", "weight": 2, "opacity": 0.9, "fillColor": "#66bd63", "fillOpacity": 0.25}


def site_centres(sites: list[dict[str, Any]], *, crs: DisplayCrs) -> list[list[float]]:
    """[lat, lon] (Leaflet's order) of each site in the basemap's coordinates."""
    lon, lat = display_points([s["lon"] for s in sites], [s["lat"] for s in sites], crs)
    return [[float(y), float(x)] for x, y in zip(lon, lat, strict=True)]


def layer(title: str, centres: list[list[float]], radius_m: float) -> MacroElement:
    config = {"type": "circles", "id": SPEC.id, "title": title, "centres": centres, "radius_m": radius_m}
    return script_layer(config | {"style": STYLE})
