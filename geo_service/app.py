"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import Receive, Scope, Send

from geo_layers.facilities import NearestFeatures
from geo_service import __version__
from geo_service.api import audit, coverage, facilities, health, maps, nearest, ogc
from geo_service.api.errors import install_error_handlers
from geo_service.api.request_id import RequestIdMiddleware
from geo_service.db.engine import make_engine
from geo_service.services.nearest import NearestService
from geo_service.settings import Settings

log = logging.getLogger(__name__)


async def _refresh(service: NearestService[NearestFeatures]) -> None:
    try:
        await asyncio.to_thread(service.refresh)
    except SQLAlchemyError as exc:  # database down or not migrated: keep serving the last snapshot
        log.warning("nearest index not refreshed: %s", exc.__class__.__name__)


async def _keep_index_fresh(service: NearestService[NearestFeatures], every_s: float) -> None:
    """Poll the data revision so edits reach this worker's index within about `every_s` seconds."""
    while True:
        await asyncio.sleep(every_s)
        await _refresh(service)


class GeoServiceApp(FastAPI):
    """FastAPI behind the product's cross-cutting rules, written as pure ASGI so that they wrap every
    route: GETs of the nearest route are then served by its fast path, before FastAPI's own middleware,
    routing and dependency solving, but never before these rules."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._edge = RequestIdMiddleware(self._dispatch)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._edge(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == nearest.NEAREST_PATH and scope["method"] == "GET":
            await nearest.fast_path(self.state.nearest, scope, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings) -> FastAPI:
    """Build the app for `settings`; the database engine is opened in the lifespan, not here."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.secret_key.get_secret_value():
            log.warning("GEO_SECRET_KEY is not set: client addresses are hashed with a public development secret")
        app.state.engine = make_engine(settings)
        app.state.nearest = NearestService(app.state.engine, settings, NearestFeatures.from_rows)
        await _refresh(app.state.nearest)
        poller = asyncio.create_task(_keep_index_fresh(app.state.nearest, settings.index_refresh_s))
        try:
            yield
        finally:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
            app.state.engine.dispose()

    app = GeoServiceApp(
        title="geo_service",
        version=__version__,
        summary="Find, map and plan trade-union service facilities (工会驿站).",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(nearest.router(settings))
    app.include_router(facilities.router)
    app.include_router(coverage.router)
    app.include_router(audit.router)
    maps.install(app, settings)
    ogc.install(app, settings)
    return app
