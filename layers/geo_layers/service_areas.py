"""Service-radius circles around facilities: what a planner compares with the gaps between them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from branca.element import MacroElement

from geo_layers.display import DisplayCrs, display_points
from geo_layers.element import script_layer
from geo_layers.spec import LayerSpec, Source, View

#: outlines only: a fill would tint the choropleth below into colours its legend does not have
STYLE = {"color": "#c62828", "weight": 1, "opacity": 0.7, "fill": False}
RING = f"radial-gradient(circle, transparent 50%, {STYLE['color']} 55% 75%, transparent 80%)"  # legend swatch


def circle_centres(rows: Sequence[Mapping[Any, Any]], *, crs: DisplayCrs) -> list[list[float]]:
    """[lat, lon] of each facility in the basemap's coordinates (Leaflet's order)."""
    lon, lat = display_points([r["lon"] for r in rows], [r["lat"] for r in rows], crs)
    return [[float(y), float(x)] for x, y in zip(lon, lat, strict=True)]


def draw(title: str, stations: Sequence[Mapping[Any, Any]], view: View) -> MacroElement:
    """Circles of the view's radius, not interactive (drawn on a canvas: hundreds stay cheap)."""
    centres = circle_centres(stations, crs=view.crs)
    config = {"type": "circles", "id": SPEC.id, "title": title, "centres": centres, "radius_m": view.radius_m}
    return script_layer(config | {"style": STYLE, "legend": [[RING, view.words["areas_legend"]]]})


SPEC = LayerSpec(
    "service_areas",
    {"zh": "服务半径 {radius}", "en": "Service radius {radius}"},
    Source.OPEN_STATIONS,
    draw,
    ("coverage",),
)
