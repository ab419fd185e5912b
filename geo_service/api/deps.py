"""Request dependencies: settings and a database connection per request.

The settings and the engine are coroutines: FastAPI runs a plain function dependency on the request
thread pool, so even /readyz would otherwise queue behind busy requests to read an attribute."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine

from geo_service.services.heavy import HeavyWork
from geo_service.services.network import NetworkService
from geo_service.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_roads(request: Request) -> NetworkService | None:
    """The worker's road networks (None outside a running app's lifespan)."""
    roads: NetworkService | None = getattr(request.app.state, "roads", None)
    return roads


async def get_heavy(request: Request) -> HeavyWork:
    """The worker's gate and processes for heavy analyses (geo_service.services.heavy)."""
    heavy: HeavyWork = request.app.state.heavy
    return heavy


def get_connection(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Connection]:
    with engine.connect() as conn:
        yield conn


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
ConnectionDep = Annotated[Connection, Depends(get_connection)]
HeavyDep = Annotated[HeavyWork, Depends(get_heavy)]
RoadsDep = Annotated[NetworkService | None, Depends(get_roads)]
