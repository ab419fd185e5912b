"""ASGI factory for servers: `uvicorn --factory geo_service.asgi:build_app` (settings from GEO_* env).

The server's worker process owns its logging, so it is configured here (JSON or text lines on stderr,
geo_service.api.log_format), not in create_app, which tests call many times."""

from fastapi import FastAPI

from geo_service.api.log_format import configure_logging
from geo_service.app import create_app
from geo_service.settings import Settings


def build_app() -> FastAPI:
    settings = Settings()
    configure_logging(settings)
    return create_app(settings)
