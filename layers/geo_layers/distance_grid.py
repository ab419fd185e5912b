"""Distance grid: cells coloured by the distance from their centre to the nearest facility."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
from branca.element import MacroElement
from shapely.geometry import mapping

from geo_layers.display import DisplayCrs, display_geometry
from geo_layers.element import script_layer
from geo_layers.spec import LayerSpec, Source, View
from geo_layers.units import distance_text

#: upper bound (m) → colour; farther than the last bound is FAR
BREAKS = ((500, "#1a9850"), (1000, "#91cf60"), (2000, "#d9ef8b"), (5000, "#fee08b"), (10000, "#fc8d59"))
FAR = "#d73027"


def color_for(distance_m: float) -> str:
    return next((color for bound, color in BREAKS if distance_m <= bound), FAR)


def cell_features(cells: gpd.GeoDataFrame, *, crs: DisplayCrs, words: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "type": "Feature",
            "geometry": mapping(display_geometry(row.geometry, crs)),
            "properties": {
                "style": {"fillColor": color_for(row.distance_m), "fillOpacity": 0.55, "weight": 0},
                "lines": [distance_text(row.distance_m, words)],
            },
        }
        for row in cells.itertuples(index=False)
    ]


def draw(title: str, cells: gpd.GeoDataFrame, view: View) -> MacroElement:
    features = cell_features(cells, crs=view.crs, words=view.words)
    legend = [[color, f"≤ {distance_text(bound, view.words)}"] for bound, color in BREAKS]
    legend.append([FAR, f"> {distance_text(BREAKS[-1][0], view.words)}"])
    config = {"type": "areas", "id": SPEC.id, "title": title, "features": features, "legend": legend}
    return script_layer(config | {"interactive": True, "show": True, "swatch": BREAKS[2][1]})


#: not drawn unless asked for: the grid is computed per page
SPEC = LayerSpec(
    "distance_grid",
    {"zh": "到最近驿站距离", "en": "Distance to the nearest station"},
    Source.DISTANCE_GRID,
    draw,
    ("coverage",),
    by_default=False,
)
