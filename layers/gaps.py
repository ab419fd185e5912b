"""Coverage gaps: the parts of each district out of reach of every facility (planner map)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
from branca.element import MacroElement
from shapely.geometry import mapping

from layers.display import DisplayCrs, display_geometry
from layers.element import script_layer
from layers.spec import LayerSpec

SPEC = LayerSpec("gaps", {"zh": "覆盖空白（{radius_m:g} 米）", "en": "Gaps ({radius_m:g} m)"})
STYLE = {"color": "#b2182b", "weight": 1, "opacity": 0.8, "fillColor": "#ef8a62", "fillOpacity": 0.45}
SIMPLIFY_DEG = 0.0001  # ≈ 10 m: finer than a 1 km service radius needs on screen

#: (gap row) → tooltip lines, in the page's language
Describe = Callable[[Any], list[str]]


def gap_features(gaps: gpd.GeoDataFrame, *, crs: DisplayCrs, describe: Describe) -> list[dict[str, Any]]:
    """One feature per district's gap (WGS-84 in, basemap coordinates out) with its tooltip lines."""
    return [
        {
            "type": "Feature",
            "geometry": mapping(display_geometry(row.geometry, crs, SIMPLIFY_DEG)),
            "properties": {"adcode": row.adcode, "style": STYLE, "lines": describe(row)},
        }
        for row in gaps.itertuples(index=False)
    ]


def layer(title: str, features: list[dict[str, Any]]) -> MacroElement:
    config = {"type": "areas", "id": SPEC.id, "title": title, "features": features, "swatch": STYLE["fillColor"]}
    return script_layer(config | {"interactive": True, "show": True})
