"""Coverage gaps: the parts of each district out of reach of every facility (planner map)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from branca.element import MacroElement
from shapely.geometry import mapping

from geo_layers.display import DisplayCrs, display_geometry
from geo_layers.element import script_layer
from geo_layers.spec import LayerSpec, Source, View
from geo_layers.units import distance_text

#: hatched in dark red over the choropleth (the page's script turns `fillPattern` into an SVG pattern), so
#: the per-10k colour stays readable between the lines and no blend colour appears that the legend lacks
COLOR = "#a50f15"
STYLE = {"color": COLOR, "weight": 1.5, "opacity": 0.9, "fillPattern": "hatch", "fillOpacity": 1}
SWATCH = f"repeating-linear-gradient(45deg, {COLOR} 0 1.5px, #ffffff 1.5px 6px)"
SIMPLIFY_DEG = 0.0001  # ≈ 10 m: finer than a 1 km service radius needs on screen


def gap_features(gaps: gpd.GeoDataFrame, *, crs: DisplayCrs) -> list[dict[str, Any]]:
    """One feature per district's gap (WGS-84 in, basemap coordinates out)."""
    return [
        {
            "type": "Feature",
            "geometry": mapping(display_geometry(row.geometry, crs, SIMPLIFY_DEG)),
            "properties": {"adcode": row.adcode, "name": row.name, "style": STYLE},
        }
        for row in gaps.itertuples(index=False)
    ]


def draw(title: str, gaps: gpd.GeoDataFrame, view: View) -> MacroElement:
    """Not interactive: a gap's figures are on its district's tooltip (station_density), which the gaps
    must not hide; a tap on a gap reaches the district below."""
    features = gap_features(gaps, crs=view.crs)
    legend = [[SWATCH, view.words["gaps_legend"].format(r=distance_text(view.radius_m, view.words))]]
    config = {"type": "areas", "id": SPEC.id, "title": title, "features": features, "swatch": SWATCH}
    return script_layer(config | {"interactive": False, "show": True, "legend": legend})


SPEC = LayerSpec("gaps", {"zh": "覆盖空白（{radius}）", "en": "Gaps ({radius})"}, Source.GAPS, draw, ("coverage",))
