"""Add the console to the app: its routers (thin, over the API's services) and its static files."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

from geo_service.console import (
    routes_admin,
    routes_api,
    routes_audit,
    routes_auth,
    routes_facilities,
    routes_facility,
    routes_freshness,
    routes_imports,
    routes_reports,
)
from geo_service.console.route import ConsoleRoute, error_page
from geo_service.console.templating import lang_of
from geo_service.console.words import WORDS

STATIC_DIR: Final = Path(__file__).resolve().parents[1] / "static" / "console"
_fallback = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@_fallback.api_route("/console/{rest:path}", methods=["GET", "POST"])
def not_found(request: Request, rest: str) -> Response:
    return error_page(request, 404, WORDS[lang_of(request)]["no_such_page"])


def install(app: FastAPI) -> None:
    """Routers in matching order: /console/facilities/map and …/new before …/{id}; the 404 page last."""
    app.mount(
        "/static/console", GZipMiddleware(StaticFiles(directory=STATIC_DIR), minimum_size=1024), name="static-console"
    )
    for module in (
        routes_auth,
        routes_api,
        routes_facilities,
        routes_facility,
        routes_reports,
        routes_imports,
        routes_freshness,
        routes_admin,
        routes_audit,
    ):
        app.include_router(module.router)
    app.include_router(_fallback)
