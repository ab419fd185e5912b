"""The data map layers draw, loaded at most once per page.

Each member of geo_layers.spec.Source is a cached property of `Sources` with the member's value as its name:
a layer only names what it draws (layers are presentation and never touch the database), and loading it
— with the connection, the services, the page's query and radius — happens here. A page that draws the
district outlines twice (outlines and choropleth) or computes its study area for gaps and sites alike
loads each once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry import shape
from sqlalchemy import Connection, RowMapping

from geo_layers import districts
from geo_layers.facility_markers import Markers, TileSource
from geo_layers.spec import LayerSpec, Source, View
from geo_layers.station_density import DistrictCounts
from geo_layers.units import distance_text
from geo_service import vocab
from geo_service.errors import GeoServiceError
from geo_service.maps import data
from geo_service.maps.document import PageContext
from geo_service.maps.i18n import strings
from geo_service.services import facilities as facility_service
from geo_service.services.coverage import distance_grid as cell_distances
from geo_service.services.planner import PlannerAnalysis, PlannerQuery, analyse
from geo_service.services.planning import SuggestedSite
from geo_service.services.study_area import StudyArea, load_study_area
from geo_service.settings import Settings

GRID_CELL_M = 2000.0  # the planner map's distance grid (finer grids: the API or `geo-service coverage`)


class TooManyToEmbed(GeoServiceError):
    """More facilities than a page without the API may hold (GEO_MAP_EMBED_MAX_FEATURES)."""


@dataclass
class Sources:
    """What a page's layers draw; `kinds` is the page's own kind restriction (the planner map shows
    stations), `statuses` the statuses it shows (the planner map: the open ones its figures count),
    `radius_m` its service radius and `planner` its question (gaps, figures and sites come from one
    services.planner analysis, the one its exports repeat)."""

    conn: Connection
    settings: Settings
    ctx: PageContext
    query: data.MapQuery
    kinds: Sequence[str] = ()
    radius_m: float = 0.0
    planner: PlannerQuery | None = None
    statuses: Sequence[str] = data.SHOWN_STATUSES
    planned: PlannerAnalysis | None = None  # the analysis, when the page computed it before connecting

    @property
    def plan_count(self) -> int:
        return self.planner.count if self.planner is not None else 0

    def load(self, source: Source) -> object:
        """The data of `source`: the property of the same name."""
        return getattr(self, source.value)

    @property
    def view(self) -> View:
        return View(self.ctx.base.crs, strings(self.ctx.lang), self.radius_m)

    def title(self, spec: LayerSpec[Any]) -> str:
        radius = distance_text(self.radius_m, strings(self.ctx.lang))
        return spec.title(self.ctx.lang, radius_m=self.radius_m, radius=radius, count=self.plan_count)

    def bounds(self) -> list[list[float]] | None:
        """The view to frame: the asked districts' outlines, else the embedded facilities or all the data."""
        if self.query.districts and self.district_outlines:
            features = districts.district_features(self.district_outlines, crs=self.ctx.base.crs)
            return _polygon_bounds(features) or data.data_bounds(self.conn, self.embedded)
        return data.data_bounds(self.conn, self.embedded)

    @cached_property
    def from_tiles(self) -> bool:
        """Whether the page draws its facilities from vector tiles: more than GEO_MAP_TILES_MIN_FEATURES on a
        WGS-84 basemap of a live page (tiles are WGS-84; on Amap's GCJ-02 tiles the viewport feed shifts them)."""
        if self.ctx.chrome == "static" or self.ctx.base.crs != "wgs84" or "tiles" not in self.ctx.api:
            return False
        filters = data.shown_filter(self.conn, self.query, kinds=self.kinds, statuses=self.statuses)
        return facility_service.count_matching(self.conn, filters) > self.settings.map_tiles_min_features

    @cached_property
    def embedded(self) -> list[dict[str, Any]] | None:
        """Embedded marker features, or None when the page must load them per viewport or from tiles."""
        if self.from_tiles:
            return None
        filters = data.shown_filter(self.conn, self.query, kinds=self.kinds, statuses=self.statuses)
        with_hours = self.ctx.chrome != "static"
        features = data.embedded_markers(
            self.conn, filters, self.settings, self.ctx.base.crs, self.ctx.lang, with_hours=with_hours
        )
        if features is None and self.ctx.chrome == "static":
            limit = self.settings.map_embed_max_features
            raise TooManyToEmbed(f"more than {limit} facilities for a static map; serve the live map instead")
        return features

    @cached_property
    def markers(self) -> Markers:
        kinds = list(self.kinds or self.query.kinds or vocab.KINDS)
        if self.from_tiles:
            return Markers(kinds, tiles=TileSource(self.ctx.api["tiles"], "facilities", self.ctx.api["item"]))
        if self.embedded is not None:
            return Markers(kinds, features=self.embedded)
        return Markers(kinds, source=self.ctx.api["viewport"])

    @cached_property
    def district_outlines(self) -> Sequence[RowMapping]:
        return facility_service.district_outlines(self.conn, self.query.districts)

    @cached_property
    def open_stations(self) -> Sequence[RowMapping]:
        filters = facility_service.facility_filter(
            self.conn, kinds=("station",), districts=self.query.districts, statuses=("open",)
        )
        return facility_service.matching_page(self.conn, filters, self.settings.map_embed_max_features).rows

    @cached_property
    def analysis(self) -> PlannerAnalysis:
        """The planner map's coverage and sites (a plain PlannerQuery for the page's districts and radius
        when the page has no question of its own)."""
        if self.planned is not None:
            return self.planned
        question = self.planner or PlannerQuery(self.query.districts, self.radius_m, count=0)
        return analyse(self.conn.engine, question, self.settings)

    @cached_property
    def stations_by_district(self) -> DistrictCounts:
        """Open stations per stated district and each district's coverage, as the summary tables count them."""
        rows = {row["adcode"]: row for row in self.analysis.summary}
        sites: dict[str, int] = {}
        for site in self.analysis.sites:
            adcode = site.place.district_adcode or ""
            sites[adcode] = sites.get(adcode, 0) + 1
        counts = {adcode: int(row["facilities"]) for adcode, row in rows.items() if adcode != "total"}
        return DistrictCounts(self.district_outlines, counts, coverage=rows, sites=sites)

    @cached_property
    def study_area(self) -> StudyArea:
        if self.planner is not None:
            return self.analysis.area
        return load_study_area(self.conn, ("station",), self.query.districts)

    @cached_property
    def gaps(self) -> gpd.GeoDataFrame:
        return self.analysis.gaps()

    @cached_property
    def distance_grid(self) -> gpd.GeoDataFrame:
        return cell_distances(self.study_area, "square", GRID_CELL_M)

    @cached_property
    def suggested_sites(self) -> list[SuggestedSite]:
        """Sites planned for the page's study area (services.planner: the greedy solver)."""
        return self.analysis.sites


def _polygon_bounds(features: Sequence[Mapping[Any, Any]]) -> list[list[float]] | None:
    if not features:
        return None
    west, south, east, north = shapely.union_all([shape(f["geometry"]) for f in features]).bounds
    return [[south, west], [north, east]]
