"""Static maps of planning results (`geo-service coverage` / `plan`): the planner map's layers over
already computed gaps and sites, written with their assets so the folder opens offline."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
from sqlalchemy import Connection

from geo_layers import districts as district_layer
from geo_layers import facility_markers, suggested_sites
from geo_layers import gaps as gaps_layer
from geo_service.maps import assets
from geo_service.maps.basemaps import basemap
from geo_service.maps.compose import layer_element
from geo_service.maps.data import MapQuery
from geo_service.maps.document import PageContext, new_page, render
from geo_service.maps.i18n import strings
from geo_service.maps.sources import Sources
from geo_service.services.planning import SuggestedSite
from geo_service.settings import Settings


def write_result_map(
    conn: Connection,
    settings: Settings,
    path: Path,
    *,
    radius_m: float,
    districts: tuple[str, ...] = (),
    gaps: gpd.GeoDataFrame | None = None,
    sites: Sequence[SuggestedSite] | None = None,
) -> Path:
    """`path` (an .html file) plus `assets/` beside it: districts, stations, and the given results."""
    ctx = PageContext("zh", "static", basemap(settings), settings.nav_app_name, "assets")
    query = MapQuery(districts=districts)
    src = Sources(conn, settings, ctx, query, kinds=("station",), radius_m=radius_m, plan_count=len(sites or []))
    document, fmap = new_page(ctx, "coverage", strings("zh")["coverage_title"], src.bounds())
    if gaps is not None:
        layer_element(src, gaps_layer.SPEC, gaps).add_to(fmap)
    layer_element(src, district_layer.SPEC).add_to(fmap)
    if sites is not None:
        layer_element(src, suggested_sites.SPEC, sites).add_to(fmap)
    layer_element(src, facility_markers.SPEC).add_to(fmap)
    path.write_text(render(document, fmap), encoding="utf-8")
    assets.copy_assets(path.parent / "assets")
    return path
