"""Liveness and readiness for load balancers and operators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from geo_service.api.deps import EngineDep
from geo_service.services import health

router = APIRouter(tags=["ops"])


@router.get("/healthz", summary="The process is alive (does not touch the database)")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database answers and its schema is current (and which road network is served)")
def readyz(engine: EngineDep, request: Request) -> JSONResponse:
    roads = getattr(request.app.state, "roads", None)
    report = health.readiness(engine, None if roads is None else roads.info)
    return JSONResponse(report.as_dict(), status_code=200 if report.ready else 503)
