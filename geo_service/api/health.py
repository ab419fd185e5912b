"""Liveness and readiness for load balancers and operators.

Both are coroutines, so they run on the event loop and never wait for a thread of the request pool:
liveness touches nothing shared at all, and readiness runs its database check on the loop's own
executor with a deadline (`ready_timeout_s`), so a saturated or dead database makes it a fast 503.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from geo_service.api.deps import EngineDep, SettingsDep
from geo_service.services import health

router = APIRouter(tags=["ops"])


@router.get("/healthz", summary="The process is alive (touches no database, lock or thread pool)")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database answers and its schema is current (and which road network is served)")
async def readyz(engine: EngineDep, settings: SettingsDep, request: Request) -> JSONResponse:
    roads = getattr(request.app.state, "roads", None)
    road_network = None if roads is None else roads.info
    check = asyncio.to_thread(health.readiness, engine, road_network)
    try:
        report = await asyncio.wait_for(check, settings.ready_timeout_s)
    except TimeoutError:
        report = health.not_answering(engine, settings.ready_timeout_s, road_network)
    return JSONResponse(report.as_dict(), status_code=200 if report.ready else 503)
