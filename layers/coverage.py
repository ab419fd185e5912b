"""Coverage layers: gaps (uncovered polygons), the distance grid and suggested sites.

GeoDataFrame → GeoJSON dict (for the API) or a folium layer (for maps). Styling lives here so the API,
the CLI's static maps and the planner page draw them the same way.
"""

from __future__ import annotations

import json
from typing import Any

import folium
import geopandas as gpd

GAP_STYLE = {"color": "#b2182b", "weight": 1, "fillColor": "#ef8a62", "fillOpacity": 0.45}
SITE_COLOR = "#1a9850"
# distance to the nearest facility (m) → colour, for the grid
DISTANCE_BREAKS = [(500, "#1a9850"), (1000, "#91cf60"), (2000, "#d9ef8b"), (5000, "#fee08b"), (10000, "#fc8d59")]
FAR_COLOR = "#d73027"


def feature_collection(frame: gpd.GeoDataFrame, **members: Any) -> dict[str, Any]:
    """A GeoDataFrame (WGS-84) as a GeoJSON dict with foreign members (radius, method, …)."""
    collection: dict[str, Any] = json.loads(frame.to_json(drop_id=True, na="null"))
    collection.update(members)
    return collection


def distance_color(distance_m: float) -> str:
    for limit, color in DISTANCE_BREAKS:
        if distance_m <= limit:
            return color
    return FAR_COLOR


def gaps_layer(gaps: gpd.GeoDataFrame, name: str = "Gaps 覆盖空白") -> folium.GeoJson:
    return folium.GeoJson(
        feature_collection(gaps[["name", "area_km2", "uncovered_demand", "geometry"]].round(2)),
        name=name,
        style_function=lambda _feature: GAP_STYLE,
        tooltip=folium.GeoJsonTooltip(["name", "area_km2", "uncovered_demand"], localize=True),
    )


def grid_layer(grid: gpd.GeoDataFrame, name: str = "Distance grid 距离网格") -> folium.GeoJson:
    return folium.GeoJson(
        feature_collection(grid[["name", "distance_m", "geometry"]].round(0)),
        name=name,
        style_function=lambda feature: {
            "weight": 0,
            "fillOpacity": 0.55,
            "fillColor": distance_color(feature["properties"]["distance_m"]),
        },
    )


def sites_layer(
    sites: gpd.GeoDataFrame, radius_m: float, name: str = "Suggested sites 建议选址"
) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=name)
    for site in sites.itertuples(index=False):
        folium.Circle((site.lat, site.lon), radius=radius_m, color=SITE_COLOR, weight=1, fill=False).add_to(group)
        folium.CircleMarker(
            (site.lat, site.lon),
            radius=6,
            color=SITE_COLOR,
            fill=True,
            fill_opacity=0.9,
            tooltip=f"#{int(site.rank)}  +{site.gain_demand:,.0f}",
        ).add_to(group)
    return group
