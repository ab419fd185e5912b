"""Suggested new sites: the plan as GeoJSON (API), and drawn with their service radius (planner map and
plan exports)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from branca.element import MacroElement

from geo_layers.display import DisplayCrs, display_points
from geo_layers.element import script_layer
from geo_layers.spec import LayerSpec, Source, View

STYLE = {"color": "#1a9850", "weight": 2, "opacity": 0.9, "fillColor": "#66bd63", "fillOpacity": 0.25}


class Site(Protocol):
    """What this layer reads of a suggested site (geo_service.services.planning.SuggestedSite)."""

    @property
    def rank(self) -> int: ...

    @property
    def lon(self) -> float: ...

    @property
    def lat(self) -> float: ...

    @property
    def gain_demand(self) -> float: ...

    @property
    def gain_area_km2(self) -> float: ...

    def properties(self) -> dict[str, Any]: ...


def site_collection(sites: Sequence[Site], **members: Any) -> dict[str, Any]:
    """The sites in order as a GeoJSON FeatureCollection (WGS-84), with foreign members (solver, coverage, …)."""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [site.lon, site.lat]},
            "properties": site.properties(),
        }
        for site in sites
    ]
    return {"type": "FeatureCollection", "features": features, **members}


def site_lines(site: Site, words: Mapping[str, str]) -> list[str]:
    """Tooltip of a site from the plan: its rank and what it adds."""
    return [
        words["site_rank"].format(rank=site.rank),
        words["site_demand"].format(d=site.gain_demand),
        words["site_area"].format(a=site.gain_area_km2),
    ]


def site_items(sites: Sequence[Site], *, crs: DisplayCrs, words: Mapping[str, str]) -> list[dict[str, Any]]:
    """Each site's position as [lat, lon] (Leaflet's order) in the basemap's coordinates, with its lines."""
    lon, lat = display_points([s.lon for s in sites], [s.lat for s in sites], crs)
    return [
        {"at": [float(y), float(x)], "lines": site_lines(site, words)}
        for x, y, site in zip(lon, lat, sites, strict=True)
    ]


def draw(title: str, sites: Sequence[Site], view: View) -> MacroElement:
    items = site_items(sites, crs=view.crs, words=view.words)
    config = {"type": "sites", "id": SPEC.id, "title": title, "sites": items, "radius_m": view.radius_m}
    return script_layer(config | {"style": STYLE})


#: not drawn unless asked for: the sites are planned per page
SPEC = LayerSpec(
    "suggested_sites",
    {"zh": "建议新址（{count} 处）", "en": "Suggested sites ({count})"},
    Source.SUGGESTED_SITES,
    draw,
    ("coverage",),
    by_default=False,
)
