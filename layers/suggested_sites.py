"""Suggested new sites with their service radius (planner map and plan exports)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from branca.element import MacroElement

from layers.display import DisplayCrs, display_points
from layers.element import script_layer
from layers.spec import LayerSpec

SPEC = LayerSpec("suggested_sites", {"zh": "建议新址（{count} 处）", "en": "Suggested sites ({count})"})
STYLE = {"color": "#1a9850", "weight": 2, "opacity": 0.9, "fillColor": "#66bd63", "fillOpacity": 0.25}

#: (site from the plan) → tooltip lines, in the page's language
Describe = Callable[[dict[str, Any]], list[str]]


def site_items(sites: list[dict[str, Any]], *, crs: DisplayCrs, describe: Describe) -> list[dict[str, Any]]:
    """Each site's position as [lat, lon] (Leaflet's order) in the basemap's coordinates, with its lines."""
    lon, lat = display_points([s["lon"] for s in sites], [s["lat"] for s in sites], crs)
    return [{"at": [float(y), float(x)], "lines": describe(site)} for x, y, site in zip(lon, lat, sites, strict=True)]


def layer(title: str, items: list[dict[str, Any]], radius_m: float) -> MacroElement:
    config = {"type": "sites", "id": SPEC.id, "title": title, "sites": items, "radius_m": radius_m}
    return script_layer(config | {"style": STYLE})
