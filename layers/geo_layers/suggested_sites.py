"""Suggested new sites: the plan as GeoJSON (API), and drawn with their service radius (planner map and
plan exports)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from branca.element import MacroElement

from geo_layers.display import DisplayCrs, display_points
from geo_layers.element import script_layer
from geo_layers.spec import LayerSpec, Source, View
from geo_layers.units import distance_text

#: the service circle is an outline only (a fill would tint the choropleth into a colour not in its legend)
STYLE = {"color": "#1b7837", "weight": 2, "opacity": 0.9, "fill": False, "dashArray": "5 4"}
DOT = f"radial-gradient(circle, {STYLE['color']} 40%, transparent 45%)"  # legend swatch: the site's dot


class Place(Protocol):
    """What this layer reads of a site's place (geo_service.services.site_places.SitePlace)."""

    @property
    def district_name(self) -> str | None: ...

    @property
    def township(self) -> str | None: ...

    @property
    def nearest_name(self) -> str | None: ...

    @property
    def nearest_address(self) -> str | None: ...

    @property
    def nearest_township(self) -> str | None: ...

    @property
    def nearest_distance_m(self) -> float | None: ...


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

    @property
    def place(self) -> Place: ...

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


def place_lines(place: Place, words: Mapping[str, str]) -> list[str]:
    """Where the site is: district, township (or why not known) and the nearest address we hold, labelled
    as the nearest existing facility's."""
    lines = []
    if place.district_name:
        lines.append(words["site_district"].format(d=place.district_name))
    if place.township:
        lines.append(place.township)
    else:
        lines.append(words["site_no_township"].format(t=place.nearest_township or "—"))
    if place.nearest_name is not None and place.nearest_distance_m is not None:
        distance = distance_text(place.nearest_distance_m, words)
        lines.append(
            words["site_nearest"].format(name=place.nearest_name, address=place.nearest_address, distance=distance)
        )
    return lines


def site_lines(site: Site, words: Mapping[str, str]) -> list[str]:
    """Tooltip of a site from the plan: its rank, where it is and what it adds."""
    return [
        words["site_rank"].format(rank=site.rank),
        *place_lines(site.place, words),
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
    return script_layer(config | {"style": STYLE, "legend": [[DOT, view.words["sites_legend"]]]})


#: drawn by default: the planner map's site count (0: none) says whether there are sites to draw
SPEC = LayerSpec(
    "suggested_sites",
    {"zh": "建议新址（{count} 处）", "en": "Suggested sites ({count})"},
    Source.SUGGESTED_SITES,
    draw,
    ("coverage",),
)
