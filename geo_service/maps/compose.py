"""Layers for a page, by registry id: each builder loads what its layer draws and returns the folium
element. Pages list the ids they offer; `?layers=` picks among them (layers.registry names them all)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import geopandas as gpd
import shapely
from branca.element import MacroElement
from shapely.geometry import shape
from sqlalchemy import Connection, RowMapping

from geo_service import vocab
from geo_service.errors import GeoServiceError, InvalidParameter
from geo_service.maps import data
from geo_service.maps.i18n import strings
from geo_service.maps.page import PageContext
from geo_service.services import facilities as facility_service
from geo_service.services.coverage import distance_grid as cell_distances
from geo_service.services.coverage import gaps_frame, measure
from geo_service.services.planning import SuggestedSite, plan_sites
from geo_service.services.study_area import StudyArea, load_study_area
from geo_service.settings import Settings
from layers import (
    distance_grid,
    districts,
    facility_markers,
    gaps,
    service_areas,
    station_density,
    suggested_sites,
)
from layers.registry import REGISTRY

SUGGESTED_SITES = 10  # sites the planner map suggests when its suggested_sites layer is asked for
GRID_CELL_M = 2000.0  # the planner map's distance grid (finer grids: the API or `geo-service coverage`)


class TooManyToEmbed(GeoServiceError):
    """More facilities than a page without the API may hold (GEO_MAP_EMBED_MAX_FEATURES)."""


@dataclass
class Sources:
    """What a page's layers draw, loaded once per page."""

    conn: Connection
    settings: Settings
    ctx: PageContext
    query: data.MapQuery
    kinds: Sequence[str] = ()  # the page's own kind restriction (the planner map shows stations)
    radius_m: float = 0.0

    @cached_property
    def markers(self) -> list[dict[str, Any]] | None:
        """Embedded marker features, or None when the page must load them per viewport."""
        filters = data.shown_filter(self.conn, self.query, kinds=self.kinds)
        with_hours = self.ctx.chrome != "static"
        features = data.embedded_markers(self.conn, filters, self.settings, self.ctx.base.crs, with_hours=with_hours)
        if features is None and self.ctx.chrome == "static":
            limit = self.settings.map_embed_max_features
            raise TooManyToEmbed(f"more than {limit} facilities for a static map; serve the live map instead")
        return features

    @cached_property
    def outlines(self) -> Sequence[RowMapping]:
        return facility_service.district_outlines(self.conn, self.query.districts)

    def bounds(self) -> list[list[float]] | None:
        if self.query.districts and self.outlines:
            features = districts.district_features(self.outlines, crs=self.ctx.base.crs)
            return _polygon_bounds(features) or data.data_bounds(self.conn, self.markers)
        return data.data_bounds(self.conn, self.markers)

    plan_count: int = SUGGESTED_SITES

    def title(self, layer_id: str) -> str:
        return REGISTRY[layer_id].title(self.ctx.lang, radius_m=self.radius_m, count=self.plan_count)

    @cached_property
    def study_area(self) -> StudyArea:
        return load_study_area(self.conn, ("station",), self.query.districts)


def facilities_layer(src: Sources) -> MacroElement:
    kinds = list(src.kinds or src.query.kinds or vocab.KINDS)
    if src.markers is not None:
        return facility_markers.layer(src.title("facilities"), kinds, features=src.markers)
    return facility_markers.layer(src.title("facilities"), kinds, source=src.ctx.api["viewport"])


def districts_layer(src: Sources) -> MacroElement:
    return districts.layer(src.title("districts"), districts.district_features(src.outlines, crs=src.ctx.base.crs))


def service_areas_layer(src: Sources) -> MacroElement:
    filters = facility_service.facility_filter(
        src.conn, kinds=("station",), districts=src.query.districts, statuses=("open",)
    )
    rows = facility_service.matching_page(src.conn, filters, src.settings.map_embed_max_features).rows
    return service_areas.layer(
        src.title("service_areas"), service_areas.circle_centres(rows, crs=src.ctx.base.crs), src.radius_m
    )


def station_density_layer(src: Sources) -> MacroElement:
    words = strings(src.ctx.lang)
    filters = facility_service.facility_filter(src.conn, kinds=("station",), statuses=("open",))
    counts = facility_service.counts_by_district(src.conn, filters)

    def describe(row: Mapping[Any, Any], stations: int, rate: float | None) -> list[str]:
        lines = [row["name"], words["density_stations"].format(n=stations)]
        if row["population"]:
            lines.append(words["density_population"].format(p=row["population"] / 1e4, year=row["population_year"]))
        lines.append(words["density_rate"].format(r=rate) if rate is not None else words["no_data"])
        return lines

    features, breaks = station_density.density_features(src.outlines, counts, crs=src.ctx.base.crs, describe=describe)
    return station_density.layer(src.title("station_density"), features, breaks, words["no_data"])


def gaps_layer(src: Sources, frame: gpd.GeoDataFrame | None = None) -> MacroElement:
    """Gaps of the page's study area, or of `frame` (gaps_frame output) when already computed."""
    words = strings(src.ctx.lang)
    if frame is None:
        frame = gaps_frame(measure(src.study_area, src.radius_m))

    def describe(row: Any) -> list[str]:
        return [row.name, words["gap_area"].format(a=row.area_km2), words["gap_demand"].format(d=row.uncovered_demand)]

    return gaps.layer(src.title("gaps"), gaps.gap_features(frame, crs=src.ctx.base.crs, describe=describe))


def distance_grid_layer(src: Sources) -> MacroElement:
    cells = cell_distances(src.study_area, "square", GRID_CELL_M)
    return distance_grid.layer(src.title("distance_grid"), distance_grid.cell_features(cells, crs=src.ctx.base.crs))


def suggested_sites_layer(src: Sources, sites: Sequence[SuggestedSite] | None = None) -> MacroElement:
    """Sites planned for the page's study area (greedy), or `sites` (plan output) when already planned."""
    if sites is None:
        sites = plan_sites(src.study_area, src.plan_count, src.radius_m, solver="greedy").sites
    words = strings(src.ctx.lang)

    def describe(site: SuggestedSite) -> list[str]:
        return [
            words["site_rank"].format(rank=site.rank),
            words["site_demand"].format(d=site.gain_demand),
            words["site_area"].format(a=site.gain_area_km2),
        ]

    items = suggested_sites.site_items(sites, crs=src.ctx.base.crs, describe=describe)
    return suggested_sites.layer(src.title("suggested_sites"), items, src.radius_m)


BUILDERS: Mapping[str, Callable[[Sources], MacroElement]] = {
    "facilities": facilities_layer,
    "districts": districts_layer,
    "service_areas": service_areas_layer,
    "station_density": station_density_layer,
    "gaps": gaps_layer,
    "distance_grid": distance_grid_layer,
    "suggested_sites": suggested_sites_layer,
}


def chosen_layers(offered: Sequence[str], requested: Sequence[str] | None) -> list[str]:
    """The page's layers in drawing order, restricted to `requested` ids (422 for ids the page lacks)."""
    if not requested:
        return list(offered)
    unknown = [layer for layer in requested if layer not in offered]
    if unknown:
        raise InvalidParameter("layers", f"unknown layer(s) {unknown} on this map; expected any of {list(offered)}")
    return [layer for layer in offered if layer in requested]


def _polygon_bounds(features: Sequence[Mapping[Any, Any]]) -> list[list[float]] | None:
    if not features:
        return None
    west, south, east, north = shapely.union_all([shape(f["geometry"]) for f in features]).bounds
    return [[south, west], [north, east]]
