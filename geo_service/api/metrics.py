"""Prometheus metrics: requests and latency per route, the nearest index, the database pool; `GET /metrics`.

Pure ASGI, so the nearest fast path is counted like every other route. Labels stay bounded: a request is
labelled with its route's template (`/maps/{name}`, `/static/maps/{path}`), never its raw path; a path
no route matches is `other`, an unusual method `OTHER`, and statuses are counted by class (`2xx`, `4xx`).
The labelled children are cached, so a request costs two dictionary lookups and two locked additions.

Gauges are read when scraped, from the app's state: the nearest index's data revision and size, and the
pool's size, checked-out connections and overflow when the engine has a QueuePool.

Several workers (`--workers N`, gunicorn): each process counts on its own. With the environment variable
PROMETHEUS_MULTIPROC_DIR naming an empty directory (emptied at every start), prometheus_client keeps the
counts in files there and any worker's /metrics sums them all; the gauges then describe the worker that
answered the scrape (every worker indexes the same database, so revisions agree within
GEO_INDEX_REFRESH_S; pool usage is that worker's).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from typing import Final

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from sqlalchemy.pool import QueuePool
from starlette.applications import Starlette
from starlette.datastructures import State
from starlette.routing import BaseRoute, Match, Mount, Route, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)
OTHER: Final = "other"
METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class StateCollector(Collector):
    """Gauges of the nearest index and the database pool, read from the app's state at scrape time."""

    def __init__(self, state: State) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        service = getattr(self.state, "nearest", None)
        snapshot = getattr(service, "snapshot", None)
        if snapshot is not None:
            yield GaugeMetricFamily(
                "geo_nearest_index_revision", "Data revision of this worker's index.", snapshot.revision
            )
            yield GaugeMetricFamily("geo_nearest_index_facilities", "Open facilities in the index.", len(snapshot))
        pool = getattr(getattr(self.state, "engine", None), "pool", None)
        if isinstance(pool, QueuePool):
            yield GaugeMetricFamily("geo_db_pool_size", "Connections the pool keeps open.", pool.size())
            yield GaugeMetricFamily("geo_db_pool_checked_out", "Connections in use.", pool.checkedout())
            yield GaugeMetricFamily("geo_db_pool_checked_in", "Open connections waiting in the pool.", pool.checkedin())
            overflow = max(0, pool.overflow())  # SQLAlchemy counts up from -size
            yield GaugeMetricFamily("geo_db_pool_overflow", "Connections open beyond the pool size.", overflow)


class HttpMetrics:
    """The app's registry with its HTTP families and state gauges."""

    def __init__(self, state: State) -> None:
        self.registry = CollectorRegistry()
        self.state_collector = StateCollector(state)
        self.registry.register(self.state_collector)
        self.requests = Counter(
            "geo_http_requests", "HTTP requests by route template, method and status class.",
            ["route", "method", "status"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "geo_http_request_duration_seconds", "Time from request to last body byte, by route and method.",
            ["route", "method"], buckets=BUCKETS, registry=self.registry,
        )  # fmt: skip
        self._counts: dict[tuple[str, str, str], Counter] = {}
        self._latencies: dict[tuple[str, str], Histogram] = {}
        self.multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "OTHER"
        key = (route, method, f"{status // 100}xx")
        counter = self._counts.get(key) or self._counts.setdefault(key, self.requests.labels(*key))
        counter.inc()
        pair = (route, method)
        histogram = self._latencies.get(pair) or self._latencies.setdefault(pair, self.latency.labels(*pair))
        histogram.observe(seconds)

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """The body and its media type (the format the scraper's Accept asks for, Prometheus text by
        default): this registry, or every worker's counts in multiprocess mode."""
        encoder, media_type = choose_encoder(accept)  # type: ignore[arg-type]
        if not self.multiprocess_dir:
            return encoder(self.registry), media_type
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=self.multiprocess_dir)
        registry.register(self.state_collector)
        return encoder(registry), media_type


class RouteLabels:
    """The route template a request is labelled with.

    The route that served it, as the router recorded it in `scope["route"]` (every API route; the nearest
    fast path records its own), else the app's top-level routes and mounts (docs, /static/…), else the
    templates of the OpenAPI schema (a request refused before routing, such as a 413), else `other`."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self._schema: list[tuple[re.Pattern[str], str]] | None = None

    def __call__(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is None:
            route = next((r for r in self.app.router.routes if _matches(r, _pristine(scope))), None)
        template = getattr(route, "path_format", None)
        if isinstance(template, str):
            return template
        path = scope["path"]
        return next((template for regex, template in self._schema_templates() if regex.match(path)), OTHER)

    def _schema_templates(self) -> list[tuple[re.Pattern[str], str]]:
        if self._schema is None:
            try:
                paths = self.app.openapi().get("paths", {}) if isinstance(self.app, FastAPI) else {}
            except Exception as exc:  # a schema bug must not break the responses: such requests are `other`
                log.warning("no OpenAPI templates for metric labels: %s", exc.__class__.__name__, exc_info=exc)
                paths = {}
            self._schema = [(compile_path(template)[0], template) for template in paths]
        return self._schema


def _pristine(scope: Scope) -> Scope:
    """The request as it arrived: a mount it passed through has moved its `root_path`."""
    root = scope.get("app_root_path", scope.get("root_path", ""))
    return {"type": "http", "path": scope["path"], "root_path": root, "method": scope["method"], "headers": []}


def _matches(route: BaseRoute, scope: Scope) -> bool:
    return isinstance(route, Route | Mount) and route.matches(scope)[0] is not Match.NONE


class MetricsMiddleware:
    """Counts and times every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics, labels: Callable[[Scope], str]) -> None:
        self.app, self.metrics, self.labels = app, metrics, labels

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            self.metrics.observe(self.labels(scope), scope["method"], status, time.perf_counter() - start)


router = APIRouter(tags=["ops"])


@router.get(
    "/metrics",
    summary="Prometheus metrics (text format): requests, latency, nearest index, database pool",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
async def metrics(request: Request) -> Response:
    """Async, so a scrape is answered even while every pool thread is busy."""
    collected: HttpMetrics = request.app.state.metrics
    body, media_type = collected.exposition(request.headers.get("accept"))
    return Response(body, media_type=media_type)
