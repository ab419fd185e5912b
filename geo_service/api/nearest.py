"""GET /api/v1/facilities/nearest — the rider's question, answered from memory (async, no DB I/O).

This is the hottest route: parameters are read by hand (geo_service.api.query_params), features are
joined from the index snapshot's compact columns of JSON fragments (geo_layers.facilities.NearestFeatures,
prepared with each snapshot), and the application (geo_service.app) hands GETs
of this path straight to `fast_path`, skipping FastAPI's middleware, routing and dependency solving
(~45 µs a request, as much as a whole hello-world request). `metric=network` queries take the same fast
path: answered on the loop when the road labels prove the answer, else by a road search in a worker
thread (off the event loop). The FastAPI route stays registered with
the same `answer`, so OpenAPI documents it. Measured by scripts/bench/nearest_http.py and network.py.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.types import Message, Scope, Send

from geo_layers.facilities import NearestFeatures, collection_bytes
from geo_layers.navigation import TRAVEL_MODES, TravelMode, format_point
from geo_service.analysis.crs import COORD_SYSTEMS
from geo_service.analysis.hours_text import Lang
from geo_service.api import query_params as qp
from geo_service.api.errors import error_response
from geo_service.errors import InvalidParameter
from geo_service.services.nearest import NearestQuery, NearestResult, NearestService
from geo_service.services.network import NetworkService
from geo_service.services.network_nearest import PROFILES, RoadNearestResult, RoadSearchNeeded, find_by_road
from geo_service.settings import Settings

NEAREST_PATH = "/api/v1/facilities/nearest"
METRICS = ("straight", "network")
LANGS: tuple[Lang, ...] = ("zh", "en")
ROAD_QUERY = b"metric=network"  # such queries run in the thread pool
Service = NearestService[NearestFeatures]
_NUMBER, _LIST = {"type": "number"}, {"type": "array", "items": {"type": "string"}}


def _parameters(settings: Settings) -> dict[str, Any]:
    """The route's OpenAPI parameters; defaults and caps come from the settings the app serves with."""
    limit = {"type": "integer", "default": settings.nearest_default_limit, "minimum": 1}
    limit["maximum"] = settings.nearest_max_limit
    radius = {**_NUMBER, "exclusiveMinimum": 0, "maximum": settings.nearest_max_distance_m}
    return qp.openapi_parameters(
        [
            ("lon", _NUMBER, True, "longitude of the rider, in `crs`"),
            ("lat", _NUMBER, True, "latitude of the rider, in `crs`"),
            (
                "crs",
                {"enum": list(COORD_SYSTEMS), "default": "wgs84"},
                False,
                "wgs84 (GPS), gcj02 (Amap/Tencent/WeChat) or bd09 (Baidu); converted to WGS-84 once",
            ),
            ("kind", _LIST, False, "facility kinds, any of (station, rest_base, mediation_centre); repeatable"),
            ("amenity", _LIST, False, "required amenities, all of (e.g. toilet, ebike_charging); repeatable"),
            ("open_now", {"type": "boolean", "default": False}, False, "only facilities open at `at` (default now)"),
            ("at", {"type": "string", "format": "date-time"}, False, "ISO time for open/closed; naive = local time"),
            ("limit", limit, False, "how many facilities"),
            ("max_distance_m", radius, False, "search radius in metres (geodesic)"),
            ("mode", {"enum": list(TRAVEL_MODES), "default": "ride"}, False, "travel mode of the navigation links"),
            (
                "metric",
                {"enum": list(METRICS), "default": "straight"},
                False,
                "straight: geodesic distance; network: ranked by distance along roads (needs `geo-service "
                "network build`), with network_distance_m, travel_time_s and snap_distance_m; `query.answered_by` says "
                "whether the per-node labels (`labels`) or a road search (`search`) answered",
            ),
            ("profile", {"enum": list(PROFILES), "default": "ebike"}, False, "travel profile of metric=network"),
            (
                "lang",
                {"enum": list(LANGS), "default": "zh"},
                False,
                "language of hours_text and state_text (zh: 周一至周五 08:30–12:00, 休息中（14:30 开门）; en)",
            ),
        ]
    )


def router(settings: Settings) -> APIRouter:
    """The documented route (the fast path in geo_service.app serves the same `answer`)."""
    routes = APIRouter(tags=["facilities"])
    routes.add_api_route(
        NEAREST_PATH,
        nearest,
        methods=["GET"],
        summary="Nearest open facilities, nearest first, with geodesic distance and navigation links",
        response_class=Response,
        responses={200: {"content": {"application/geo+json": {}}}},
        openapi_extra=_parameters(settings),
    )
    return routes


async def nearest(request: Request) -> Response:
    """Documents the route and serves it when the fast path is not in front (same code path)."""
    body = await _answer(request.app.state.nearest, request.scope["query_string"], request.app.state.roads)
    return Response(body, media_type="application/geo+json")


async def _answer(service: Service, raw: bytes, roads: NetworkService | None) -> bytes:
    """`answer`, with road searches in the thread pool (they may run for milliseconds; the loop must
    not). A road query the per-node labels prove is answered on the loop, as a straight-line one is:
    a bounded lookup costs less than the hop to a thread."""
    if ROAD_QUERY not in raw:
        return answer(service, raw, roads)
    try:
        return answer(service, raw, roads, search=False)
    except RoadSearchNeeded:
        return await run_in_threadpool(answer, service, raw, roads)


def answer(service: Service, raw_query: bytes, roads: NetworkService | None = None, search: bool = True) -> bytes:
    """The GeoJSON body for a raw query string; raises InvalidParameter / DatabaseUnavailable, and
    RoadSearchNeeded for a road query that needs a search when `search` is False."""
    params = qp.parse_query(raw_query)
    query = NearestQuery(
        lon=qp.required_float(params, "lon"),
        lat=qp.required_float(params, "lat"),
        coord_system=qp.choice(params, "crs", COORD_SYSTEMS, "wgs84"),  # type: ignore[arg-type]
        kinds=qp.repeated(params, "kind"),
        amenities=qp.repeated(params, "amenity"),
        open_now=qp.flag(params, "open_now"),
        at=qp.optional_datetime(params, "at"),
        limit=qp.optional_int(params, "limit"),
        max_distance_m=qp.optional_float(params, "max_distance_m"),
    )
    mode: TravelMode = qp.choice(params, "mode", TRAVEL_MODES, "ride")  # type: ignore[assignment]
    lang: Lang = qp.choice(params, "lang", LANGS, "zh")  # type: ignore[assignment]
    if qp.choice(params, "metric", METRICS, "straight") == "network":
        if roads is None:
            raise InvalidParameter("metric", "this server has no road network")
        profile = qp.choice(params, "profile", PROFILES, "ebike")
        return _road_collection(service, find_by_road(service, roads, query, profile, search), mode, lang)
    return _collection(service, service.find(query), mode, lang)


def _collection(service: Service, result: NearestResult[NearestFeatures], mode: TravelMode, lang: Lang) -> bytes:
    snapshot, origin, app, at = result.snapshot, result.origin, service.settings.nav_app_name, result.evaluated_at
    rider = format_point(*origin)
    features = [
        snapshot.presented.complete(
            hit.position,
            distance_m=hit.distance_m,
            bearing_deg=hit.bearing_deg,
            open_state=hit.open_state.value,
            mode=mode,
            app=app,
            origin=rider,
            words=service.words(snapshot, hit.position, at, lang),
        )
        for hit in result.hits
    ]
    members = {
        "numberReturned": len(features),
        "query": {"lon": origin[0], "lat": origin[1], "crs": "wgs84", "evaluated_at": result.evaluated_at.isoformat()},
        "data_revision": snapshot.revision,
    }
    return collection_bytes(features, members)


def _road_collection(
    service: Service, result: RoadNearestResult[NearestFeatures], mode: TravelMode, lang: Lang
) -> bytes:
    rider, app, at = format_point(*result.origin), service.settings.nav_app_name, result.located.wall_clock
    features = [
        result.snapshot.presented.complete(
            road.hit.position,
            distance_m=road.hit.distance_m,
            bearing_deg=road.hit.bearing_deg,
            open_state=road.hit.open_state.value,
            mode=mode,
            app=app,
            origin=rider,
            road=(road.network_distance_m, road.travel_time_s, road.facility_snap_m),
            words=service.words(result.snapshot, road.hit.position, at, lang),
        )
        for road in result.hits
    ]
    lon, lat = result.origin
    network = result.network
    members = {
        "numberReturned": len(features),
        "query": {
            **{"lon": lon, "lat": lat, "crs": "wgs84", "evaluated_at": result.located.wall_clock.isoformat()},
            **{"metric": "network", "profile": result.profile, "snap_distance_m": round(result.snap_distance_m, 1)},
            "searched_m": result.searched_m,
            "answered_by": result.answered_by,
        },
        "data_revision": result.snapshot.revision,
        "network": {"path": network.path, "source": network.source, "built_at": network.built_at},
        "attribution": network.attribution,
    }
    return collection_bytes(features, members)


_HEADERS = [(b"content-type", b"application/geo+json")]


async def fast_path(service: Service, scope: Scope, send: Send, roads: NetworkService | None = None) -> None:
    """Serve a GET of NEAREST_PATH as a bare ASGI call, outside FastAPI's middleware and routing.

    Errors are mapped by api.errors.error_response, exactly as FastAPI's handlers would; an unexpected
    exception propagates to the server (a 500)."""
    try:
        body = await _answer(service, scope["query_string"], roads)
    except Exception as exc:
        response = error_response(exc)
        if response is None:
            raise
        await response(scope, _no_body, send)
        return
    headers = [*_HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}
