"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from geo_layers.facilities import NearestFeatures
from geo_service import __version__
from geo_service.allocator import map_large_blocks
from geo_service.api import (
    along_route,
    audit,
    coverage,
    edits,
    exports,
    facilities,
    health,
    imports,
    jobs,
    maps,
    metrics,
    nearest,
    ogc,
    reports,
    thread_gate,
)
from geo_service.api.access_log import AccessLogMiddleware
from geo_service.api.body_limit import BodyLimitMiddleware, limits_for
from geo_service.api.compression import JsonCompression
from geo_service.api.errors import install_error_handlers
from geo_service.api.json_guard import JsonBodyGuard
from geo_service.api.metrics import HttpMetrics, MetricsMiddleware, RouteLabels
from geo_service.api.rate_limit import RateLimitMiddleware
from geo_service.api.request_id import RequestIdMiddleware
from geo_service.api.responses import document_geojson_bodies
from geo_service.api.security_headers import SecurityHeadersMiddleware
from geo_service.console import install as console
from geo_service.db.engine import make_engine
from geo_service.services.heavy import HeavyWork
from geo_service.services.jobs import JobRunner
from geo_service.services.nearest import NearestService
from geo_service.services.network import NetworkService
from geo_service.services.rate_limits import RatePolicy, RequestLimiter
from geo_service.settings import Settings

log = logging.getLogger(__name__)


async def _refresh(service: NearestService[NearestFeatures]) -> None:
    try:
        await asyncio.to_thread(service.refresh)
    except SQLAlchemyError as exc:  # database down or not migrated: keep serving the last snapshot
        log.warning("nearest index not refreshed: %s", exc.__class__.__name__)
    except Exception:  # a bug must not stop the poller for good: log it, keep the last snapshot, retry
        log.exception("nearest index not refreshed")


async def _refresh_roads(roads: NetworkService) -> None:
    try:
        await asyncio.to_thread(roads.refresh)
    except Exception:  # a damaged file must not stop the poller: keep serving the last network
        log.exception("road network not refreshed")


async def _prepare_roads(service: NearestService[NearestFeatures], roads: NetworkService) -> None:
    """Snap the current snapshot's facilities to the network and build their labels, in a thread."""
    snapshot = service.snapshot
    if snapshot is None:
        return
    try:
        await asyncio.to_thread(roads.prepare, snapshot.revision, snapshot.lon, snapshot.lat)
    except Exception:  # answers by search meanwhile; retried at the next poll
        log.exception("road labels not built")


async def _keep_index_fresh(service: NearestService[NearestFeatures], roads: NetworkService, every_s: float) -> None:
    """Poll the data revision so edits reach this worker's index within about `every_s` seconds, and the
    road network file so a new build is served within the same delay; first, and after each refresh,
    bring the road labels to the snapshot (network nearest answers by search until they are built, so
    building them never delays the start)."""
    while True:
        await _prepare_roads(service, roads)
        await asyncio.sleep(every_s)
        await _refresh(service)
        await _refresh_roads(roads)


class GeoServiceApp(FastAPI):
    """FastAPI behind the product's cross-cutting rules, written as pure ASGI so that they wrap every
    route: GETs of the nearest route are then served by its fast path, before FastAPI's own middleware,
    routing and dependency solving, but never before these rules (see `edge_stack`)."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state.settings = settings
        self.state.metrics = HttpMetrics(self.state)
        limiter = RequestLimiter(RatePolicy.from_settings(settings), lambda: getattr(self.state, "engine", None))
        self._edge = edge_stack(self._dispatch, settings, self.state.metrics, RouteLabels(self), limiter)
        # the route the fast path stands in for, recorded as a router would (metrics label by it)
        self._nearest_route = Route(nearest.NEAREST_PATH, nearest.nearest, methods=["GET"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._edge(scope, receive, send)

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            self.openapi_schema = document_geojson_bodies(super().openapi())
        return self.openapi_schema

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == nearest.NEAREST_PATH and scope["method"] == "GET":
            scope["route"] = self._nearest_route
            await nearest.fast_path(self.state.nearest, scope, send, self.state.roads)
            return
        await super().__call__(scope, receive, send)


def edge_stack(
    app: ASGIApp,
    settings: Settings,
    http_metrics: HttpMetrics,
    labels: Callable[[Scope], str],
    limiter: RequestLimiter,
) -> ASGIApp:
    """The cross-cutting rules around `app`, outermost first:

    1. request id — first, so every layer below, every log line and the response carry it;
    2. access and error log — outside the rest, so its duration and status are what the client got;
    3. metrics — per route template and status class, 429s, 413s and 500s included;
    4. security headers — on every response made below, the 429, the 413 and the guard's 500 included;
    5. rate limit — per client address, shared by every worker (GEO_RATE_LIMIT_*; absent when 0);
    6. body-size limit — refuses a body too large before anything reads it;
    7. trusted hosts — a Host header not in GEO_TRUSTED_HOSTS is a 400 (when that setting is given);
    8. JSON-body guard — a body that is not strict JSON (NaN, lone surrogates, huge integers, deep
       nesting) is a 422 naming the field, before any parser or model sees it;
    9. compression — JSON and GeoJSON answers gzipped for clients that accept it, the fast path's too;
    10. server-error guard — an exception that escapes before a response (the fast path has no FastAPI
       around it) still gets a 500 through the layers above, then reaches the server as usual.

    Each is a small module of geo_service.api, beside the routers (they are the HTTP layer's rules). All
    together cost about 8 µs a request, plus about 15 µs when the access line is written; the nearest
    benchmark (scripts/bench/nearest_http.py) measures the whole stack against a hello-world app."""
    app = ServerErrorMiddleware(app)
    app = JsonCompression(app, settings.compress_min_bytes, settings.compress_level)
    app = JsonBodyGuard(app, settings.max_json_depth)
    if settings.trusted_hosts:
        app = TrustedHostMiddleware(app, allowed_hosts=settings.trusted_hosts, www_redirect=False)
    app = BodyLimitMiddleware(app, *limits_for(settings))
    if limiter.policy.limit:
        app = RateLimitMiddleware(app, limiter)
    app = SecurityHeadersMiddleware(app)
    app = MetricsMiddleware(app, http_metrics, labels)
    app = AccessLogMiddleware(app, enabled=settings.access_log)
    return RequestIdMiddleware(app)


def lifespan_for(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """What each worker opens at start and closes at exit: the engine, the nearest index and the road
    network (kept fresh by one poller), the pool that runs jobs and the analysis processes. It also sets
    the interpreter's thread switch interval (GEO_SWITCH_INTERVAL_MS): a request thread computing in
    Python then hands the event loop the interpreter lock within that time, not Python's default 5 ms."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.secret_key.get_secret_value():
            log.warning("GEO_SECRET_KEY is not set: client addresses are hashed with a public development secret")
        sys.setswitchinterval(settings.switch_interval_ms / 1000)
        map_large_blocks()  # before the index is built: its columns go back to the system when replaced
        app.state.engine = make_engine(settings)
        app.state.nearest = NearestService(app.state.engine, settings, NearestFeatures.from_columns)
        app.state.roads = NetworkService(
            settings.network_path, settings.network_max_snap_m, settings.network_search_slots, settings.network_label_k
        )
        app.state.jobs = JobRunner(settings)
        app.state.threads = thread_gate.request_threads(settings.queue_wait_s)
        app.state.heavy = HeavyWork(settings, app.state.engine, app.state.roads)
        if settings.heavy_prewarm:
            await app.state.heavy.start(maps.warm_analysis)
        await _refresh(app.state.nearest)
        await _refresh_roads(app.state.roads)
        poller = asyncio.create_task(_keep_index_fresh(app.state.nearest, app.state.roads, settings.index_refresh_s))
        try:
            yield
        finally:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
            app.state.jobs.close()
            app.state.heavy.close()
            app.state.engine.dispose()

    return lifespan


def create_app(settings: Settings) -> FastAPI:
    """Build the app for `settings`; the database engine is opened in the lifespan, not here."""
    app = GeoServiceApp(
        settings,
        title="geo_service",
        version=__version__,
        summary="Find, map and plan trade-union service facilities (工会驿站).",
        lifespan=lifespan_for(settings),
        dependencies=[Depends(thread_gate.thread_slot)],  # first of every route's: a bounded wait for a thread
    )
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(nearest.router(settings))
    app.include_router(facilities.router)
    app.include_router(edits.router)  # after nearest: /facilities/nearest is not a facility id
    for module in (along_route, reports, coverage, jobs, audit, imports, exports):
        app.include_router(module.router)
    maps.install(app, settings)
    ogc.install(app, settings)
    console.install(app)  # after the maps: console pages use their /static/vendor/leaflet
    return app
