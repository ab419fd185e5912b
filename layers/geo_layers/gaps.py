"""Coverage gaps: the parts of each district out of reach of every facility (planner map)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
from branca.element import MacroElement
from shapely.geometry import mapping

from geo_layers.display import DisplayCrs, display_geometry
from geo_layers.element import script_layer
from geo_layers.spec import LayerSpec, Source, View

STYLE = {"color": "#b2182b", "weight": 1, "opacity": 0.8, "fillColor": "#ef8a62", "fillOpacity": 0.45}
SIMPLIFY_DEG = 0.0001  # ≈ 10 m: finer than a 1 km service radius needs on screen


def gap_lines(gap: Any, words: Mapping[str, str]) -> list[str]:
    """Tooltip of a gap (a row of the gaps frame): district, area, people out of reach."""
    return [gap.name, words["gap_area"].format(a=gap.area_km2), words["gap_demand"].format(d=gap.uncovered_demand)]


def gap_features(gaps: gpd.GeoDataFrame, *, crs: DisplayCrs, words: Mapping[str, str]) -> list[dict[str, Any]]:
    """One feature per district's gap (WGS-84 in, basemap coordinates out) with its tooltip lines."""
    return [
        {
            "type": "Feature",
            "geometry": mapping(display_geometry(row.geometry, crs, SIMPLIFY_DEG)),
            "properties": {"adcode": row.adcode, "style": STYLE, "lines": gap_lines(row, words)},
        }
        for row in gaps.itertuples(index=False)
    ]


def draw(title: str, gaps: gpd.GeoDataFrame, view: View) -> MacroElement:
    features = gap_features(gaps, crs=view.crs, words=view.words)
    config = {"type": "areas", "id": SPEC.id, "title": title, "features": features, "swatch": STYLE["fillColor"]}
    return script_layer(config | {"interactive": True, "show": True})


SPEC = LayerSpec(
    "gaps", {"zh": "覆盖空白（{radius_m:g} 米）", "en": "Gaps ({radius_m:g} m)"}, Source.GAPS, draw, ("coverage",)
)
