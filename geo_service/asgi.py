"""ASGI factory for servers: `uvicorn --factory geo_service.asgi:build_app` (settings from GEO_* env)."""

from fastapi import FastAPI

from geo_service.app import create_app
from geo_service.settings import Settings


def build_app() -> FastAPI:
    return create_app(Settings())
