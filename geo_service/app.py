"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from geo_service import __version__
from geo_service.api import facilities, health
from geo_service.api.errors import install_error_handlers
from geo_service.db.engine import make_engine
from geo_service.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    """Build the app for `settings`; the database engine is opened in the lifespan, not here."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = make_engine(settings)
        try:
            yield
        finally:
            app.state.engine.dispose()

    app = FastAPI(
        title="geo_service",
        version=__version__,
        summary="Find, map and plan trade-union service facilities (工会驿站).",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(facilities.router)
    return app
