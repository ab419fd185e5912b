"""Suggested new sites: the plan as GeoJSON (API), and drawn with their service radius (planner map and
plan exports)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from branca.element import MacroElement

from layers.display import DisplayCrs, display_points
from layers.element import script_layer
from layers.spec import LayerSpec

SPEC = LayerSpec("suggested_sites", {"zh": "建议新址（{count} 处）", "en": "Suggested sites ({count})"})
STYLE = {"color": "#1a9850", "weight": 2, "opacity": 0.9, "fillColor": "#66bd63", "fillOpacity": 0.25}


class Site(Protocol):
    """What these functions read of a suggested site (geo_service.services.planning.SuggestedSite)."""

    @property
    def lon(self) -> float: ...

    @property
    def lat(self) -> float: ...

    def properties(self) -> dict[str, Any]: ...


SiteT = TypeVar("SiteT", bound=Site)
#: (site from the plan) → tooltip lines, in the page's language
Describe = Callable[[SiteT], list[str]]


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


def site_items(sites: Sequence[SiteT], *, crs: DisplayCrs, describe: Describe[SiteT]) -> list[dict[str, Any]]:
    """Each site's position as [lat, lon] (Leaflet's order) in the basemap's coordinates, with its lines."""
    lon, lat = display_points([s.lon for s in sites], [s.lat for s in sites], crs)
    return [{"at": [float(y), float(x)], "lines": describe(site)} for x, y, site in zip(lon, lat, sites, strict=True)]


def layer(title: str, items: list[dict[str, Any]], radius_m: float) -> MacroElement:
    config = {"type": "sites", "id": SPEC.id, "title": title, "sites": items, "radius_m": radius_m}
    return script_layer(config | {"style": STYLE})
