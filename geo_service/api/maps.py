"""Map pages (HTML), their embeddable variants, the viewport feed of the public map, and the assets.

Routes only parse parameters, pick the page context and set the page's Content-Security-Policy
(geo_service.api.page_policy: inline blocks by hash, tiles from the basemap's hosts, and who may frame
the page: GEO_MAP_FRAME_ANCESTORS for /embed, nobody elsewhere). The headers every response carries
(nosniff, Referrer-Policy) come from geo_service.api.security_headers.
Pages are composed by geo_service.maps, which also checks the values Settings bound (the radius cap):
FastAPI's Query bounds are fixed at import, before any Settings exist.

Pages, the viewport feed and the assets travel gzipped when the client accepts it, through Starlette's
GZipMiddleware around each of them (map pages and viewport answers shrink ~5×, which a phone on a mobile
network feels); the rest of the API's JSON through geo_service.api.compression. Assets are named with
their content fingerprint by the pages and cached for a year under it (geo_service.api.static_cache).
A nearby page whose URL carries the position carries the first nearest answer too (the same
`nearest.answer` the API serves).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from geo_layers.navigation import TravelMode
from geo_service.analysis.crs import CoordSystem
from geo_service.api import heavy_routes, nearest
from geo_service.api.deps import ConnectionDep, HeavyDep, SettingsDep
from geo_service.api.page_policy import page_policy, tile_origins
from geo_service.api.responses import GeoJSONResponse
from geo_service.api.static_cache import AssetCaching
from geo_service.api.typed_params import DbInt
from geo_service.errors import DatabaseUnavailable, InvalidParameter
from geo_service.maps import assets, pages
from geo_service.maps.basemaps import basemap
from geo_service.maps.data import SHOWN_STATUSES, MapQuery, viewport
from geo_service.maps.document import Chrome, PageContext
from geo_service.maps.i18n import Lang, strings
from geo_service.services.facilities import parse_bbox
from geo_service.services.heavy import HeavyWork, Resources
from geo_service.services.planner import DEFAULT_COUNT, PlannerQuery, analyse
from geo_service.services.study_area import presets_help
from geo_service.settings import Settings

MapName = Literal["public", "nearby", "coverage", "route"]
HEAVY_PAGES: tuple[MapName, ...] = ("public", "coverage")  # built in an analysis process
_GZIP_MIN_BYTES = 1024
_PAGE_GZIP_LEVEL = 5  # pages are built per request: 96% of level 9's gain for a quarter of its time
_RADIUS_HELP = (
    "coverage: service radius in metres (default GEO_MAP_SERVICE_RADIUS_M, at most GEO_COVERAGE_MAX_RADIUS_M)"
)


@dataclass
class PageParams:
    """Query parameters of every map page (each page uses the ones it knows)."""

    lang: Annotated[Lang, Query(description="zh (default) or en")] = "zh"
    kind: Annotated[list[str] | None, Query(description="facility kinds; repeatable")] = None
    district: Annotated[list[str] | None, Query(description="adcode or name; repeatable")] = None
    layers: Annotated[str | None, Query(description="comma-separated layer ids (see geo_layers.registry)")] = None
    radius_m: Annotated[float | None, Query(allow_inf_nan=False, description=_RADIUS_HELP)] = None
    preset: Annotated[str | None, Query(description=f"coverage: named service radius: {presets_help()}")] = None
    count: Annotated[DbInt, Query(description="coverage: suggested sites (0: none; at most GEO_PLAN_MAX_COUNT)")] = (
        DEFAULT_COUNT
    )
    lon: Annotated[float | None, Query(allow_inf_nan=False, description="nearby: longitude of the rider, in `crs`")] = (
        None
    )
    lat: Annotated[float | None, Query(allow_inf_nan=False, description="nearby: latitude of the rider, in `crs`")] = (
        None
    )
    crs: Annotated[CoordSystem, Query(description="nearby: wgs84, gcj02 or bd09")] = "wgs84"
    amenity: Annotated[list[str] | None, Query(description="nearby: required amenities; repeatable")] = None
    open_now: Annotated[bool, Query(description="nearby: only facilities open now")] = False
    mode: Annotated[TravelMode, Query(description="nearby: ride (default), drive or walk: radius and navigation")] = (
        "ride"
    )
    max_distance_m: Annotated[
        float | None, Query(allow_inf_nan=False, description="nearby: search radius in metres (default by `mode`)")
    ] = None

    @property
    def query(self) -> MapQuery:
        """Kinds and districts; an empty district (the planner form's "whole city") is no district."""
        return MapQuery(kinds=tuple(self.kind or ()), districts=tuple(d for d in self.district or () if d))

    @property
    def planner(self) -> PlannerQuery:
        return PlannerQuery(self.query.districts, self.radius_m, self.preset or None, self.count)

    @property
    def layer_ids(self) -> list[str] | None:
        return [part for part in self.layers.split(",") if part] if self.layers else None


ParamsDep = Annotated[PageParams, Depends()]


class _GzippedRoute(APIRoute):
    """A route whose responses pass through GZipMiddleware, as the /static mounts' files do: compression
    stays with the map routes instead of being added to the whole app."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._gzipped: ASGIApp = GZipMiddleware(
            super().handle, minimum_size=_GZIP_MIN_BYTES, compresslevel=_PAGE_GZIP_LEVEL
        )

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._gzipped(scope, receive, send)


router = APIRouter(tags=["maps"], route_class=_GzippedRoute)


def install(app: FastAPI, settings: Settings) -> None:
    """Add the routes and the /static assets; a bad basemap configuration fails here, at start-up."""
    tile_origins(basemap(settings))
    for asset in assets.ASSET_DIRS:
        cached = AssetCaching(StaticFiles(directory=asset.directory), asset.url_path)
        files = GZipMiddleware(cached, minimum_size=_GZIP_MIN_BYTES)
        app.mount(f"/static/{asset.url_path}", files, name=f"static-{asset.url_path}")
    app.include_router(router)


@router.get("/maps/{name}", response_class=HTMLResponse, summary="A map page: public, nearby, coverage or route")
async def map_page(
    name: MapName, request: Request, params: ParamsDep, settings: SettingsDep, heavy: HeavyDep
) -> Response:
    """The public and coverage pages are built in an analysis process (geo_service.services.heavy): 503 +
    Retry-After when this worker's GEO_HEAVY_CONCURRENCY analyses stay busy past GEO_QUEUE_WAIT_S."""
    return await _page(name, "full", request, params, settings, heavy)


@router.get("/embed/{name}", response_class=HTMLResponse, summary="A map page with minimal chrome, for iframes")
async def embed_page(
    name: MapName, request: Request, params: ParamsDep, settings: SettingsDep, heavy: HeavyDep
) -> Response:
    return await _page(name, "embed", request, params, settings, heavy)


@router.get("/maps/data/facilities", response_class=GeoJSONResponse, summary="Facilities in a viewport, for maps")
def viewport_data(
    conn: ConnectionDep,
    settings: SettingsDep,
    bbox: Annotated[str, Query(description="minlon,minlat,maxlon,maxlat in the basemap's coordinates")],
    cell: Annotated[
        float, Query(gt=0, le=90, allow_inf_nan=False, description="grid cell (degrees) when clustered")
    ] = 0.5,
    kind: Annotated[list[str] | None, Query()] = None,
    district: Annotated[list[str] | None, Query()] = None,
    lang: Annotated[Lang, Query(description="language of hours_text and state_text: zh (default) or en")] = "zh",
) -> Response:
    box = parse_bbox(bbox)
    if box is None:
        raise InvalidParameter("bbox", "required: minlon,minlat,maxlon,maxlat")
    query = MapQuery(kinds=tuple(kind or ()), districts=tuple(district or ()))
    return GeoJSONResponse(viewport(conn, query, box, cell, settings, basemap(settings).crs, lang))


async def _page(
    name: MapName, chrome: Chrome, request: Request, params: PageParams, settings: Settings, heavy: HeavyWork
) -> Response:
    ctx = _context(request, settings, name, params.lang, chrome)
    if name in HEAVY_PAGES:
        return await heavy_routes.answer(request, heavy, heavy_page, name, ctx, params, level=_PAGE_GZIP_LEVEL)
    return await run_in_threadpool(_light_page, name, request, params, ctx, settings)


def heavy_page(res: Resources, name: MapName, ctx: PageContext, params: PageParams) -> Response:
    """The public or coverage page, in an analysis process; the coverage page's analysis is computed
    before it takes a connection (pages.planned_coverage_page)."""
    if name == "coverage":
        planner = params.planner
        html = pages.planned_coverage_page(res.engine, res.settings, ctx, params.query, params.layer_ids, planner)
    else:
        with res.engine.connect() as conn:
            html = pages.public_page(conn, res.settings, ctx, params.query, params.layer_ids)
    return _html_response(html, ctx.chrome, res.settings)


def _light_page(name: MapName, request: Request, params: PageParams, ctx: PageContext, settings: Settings) -> Response:
    """The nearby page (its first answer comes from this worker's nearest index) or the route page."""
    with request.app.state.engine.connect() as conn:
        if name == "route":
            html = pages.route_page(conn, settings, ctx, params.query)
        else:
            html = _nearby(request, params, conn, ctx, settings)
    return _html_response(html, ctx.chrome, settings)


def _html_response(html: str, chrome: Chrome, settings: Settings) -> Response:
    ancestors = settings.map_frame_ancestors if chrome == "embed" else "'none'"
    policy = page_policy(html, frame_ancestors=ancestors, tile_hosts=tile_origins(basemap(settings)))
    headers = {"Content-Security-Policy": policy, "Cache-Control": "no-cache"}
    if chrome != "embed":
        headers["X-Frame-Options"] = "DENY"
    return HTMLResponse(html, headers=headers)


def warm_analysis(res: Resources) -> None:
    """Run first in each analysis process: its imports (this module pulls in the maps, the coverage
    service and their libraries), a first connection, and the planner map's default analysis (65 sites:
    seconds of CPU, kept per data revision), before any request waits on them."""
    analyse(res.engine, PageParams().planner, res.settings)


def _nearby(request: Request, params: PageParams, conn: Connection, ctx: PageContext, settings: Settings) -> str:
    """The nearby page; with a position in the URL it carries the first nearest answer."""
    filters = pages.NearbyFilters(tuple(params.amenity or ()), params.open_now, params.mode, params.max_distance_m)
    if params.lon is None or params.lat is None:
        return pages.nearby_page(conn, settings, ctx, params.query, origin=None, filters=filters)
    origin = {"lon": params.lon, "lat": params.lat, "crs": params.crs}
    first = _first_nearest(request, params, filters, settings, ctx.lang)
    return pages.nearby_page(conn, settings, ctx, params.query, origin=origin, filters=filters, first_answer=first)


def _first_nearest(
    request: Request, params: PageParams, filters: pages.NearbyFilters, settings: Settings, lang: Lang
) -> bytes | None:
    """The nearest API's answer to the query the page script would send first (nearby.js `query`), or None
    when it has none to give (a bad position or radius, the index not loaded yet): the script then asks,
    and says why."""
    try:
        radius = pages.nearby_radius(settings, filters)
        query: list[tuple[str, object]] = [("lon", params.lon), ("lat", params.lat), ("crs", params.crs)]
        query += [("limit", pages.NEARBY_LIMIT), *(("kind", k) for k in params.kind or ())]
        query += [("amenity", a) for a in filters.amenities]
        if filters.open_now:
            query.append(("open_now", "true"))
        query += [("mode", filters.mode), ("max_distance_m", radius), ("lang", lang)]
        return nearest.answer(request.app.state.nearest, urlencode(query).encode())
    except (InvalidParameter, DatabaseUnavailable):
        return None


def _context(request: Request, settings: Settings, name: MapName, lang: Lang, chrome: Chrome) -> PageContext:
    """Asset and API URLs (under the app's root path) and the header links of a page."""
    root = request.scope.get("root_path", "")
    words = strings(lang)
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    if chrome == "embed":
        links = [(words["full_map"], f"{root}/maps/{name}?{urlencode([*query, ('lang', lang)])}")]
    else:
        other = "en" if lang == "zh" else "zh"
        label, target = ("nearby_link", "nearby") if name != "nearby" else ("full_map", "public")
        links = [
            (words[label], f"{root}/maps/{target}?lang={lang}"),
            *([(words["route_link"], f"{root}/maps/route?lang={lang}")] if name == "nearby" else []),
            (words["language"], f"{root}/maps/{name}?{urlencode([*query, ('lang', other)])}"),
        ]
    filters = urlencode([*((k, v) for k, v in query if k in ("kind", "district")), ("lang", lang)])
    statuses = ("open",) if name == "coverage" else SHOWN_STATUSES  # the planner map: the stations it counts
    shown = urlencode([("status", ",".join(statuses)), *((k, v) for k, v in query if k == "district" and v)])
    api = {
        "tiles": f"{root}/tiles/facilities/{{z}}/{{x}}/{{y}}.mvt?{shown}",
        "item": f"{root}/ogc/collections/facilities/items/",
        "viewport": f"{root}/maps/data/facilities?{filters}",
        "search": f"{root}/api/v1/facilities",
        "nearest": f"{root}/api/v1/facilities/nearest",
        "along_route": f"{root}/api/v1/facilities/along-route",
        "nearby_page": f"{root}/maps/nearby?lang={lang}",
        "planner_page": f"{root}/maps/coverage",
        "plan_export": f"{root}/api/v1/plan/export",
    }
    return PageContext(lang, chrome, basemap(settings), settings.nav_app_name, f"{root}/static", links, api=api)
