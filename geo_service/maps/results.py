"""Static maps of planning results (`geo-service coverage` / `plan`): the planner map's layers over
already computed gaps and sites, written with their assets so the folder opens offline; and the planner
map itself as a ZIP (the page with its assets) for its "offline map" export."""

from __future__ import annotations

import io
import tempfile
import zipfile
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
from geo_service.maps.i18n import Lang, strings
from geo_service.maps.pages import coverage_page
from geo_service.maps.sources import Sources
from geo_service.services.planner import PlannerQuery
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
    question = PlannerQuery(districts, radius_m, count=len(sites or []))  # titles the layers: its sites are given
    src = Sources(conn, settings, ctx, query, kinds=("station",), radius_m=radius_m, planner=question)
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


def planner_archive(conn: Connection, settings: Settings, lang: Lang, planner: PlannerQuery) -> bytes:
    """The planner map of `planner` as a static page (figures, no form) in a ZIP: planner-map/index.html
    and planner-map/assets/, which opens offline once unpacked."""
    ctx = PageContext(lang, "static", basemap(settings), settings.nav_app_name, "assets")
    html = coverage_page(conn, settings, ctx, MapQuery(districts=planner.districts), planner=planner)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        assets.copy_assets(Path(tmp))
        archive.writestr("planner-map/index.html", html)
        for path in sorted(Path(tmp).rglob("*")):
            if path.is_file():
                archive.write(path, f"planner-map/assets/{path.relative_to(tmp).as_posix()}")
    return buffer.getvalue()
