"""Liveness and readiness for load balancers and operators."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from geo_service.api.deps import EngineDep
from geo_service.services import health

router = APIRouter(tags=["ops"])


@router.get("/healthz", summary="The process is alive (does not touch the database)")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database answers and its schema is current")
def readyz(engine: EngineDep) -> JSONResponse:
    report = health.readiness(engine)
    return JSONResponse(report.as_dict(), status_code=200 if report.ready else 503)
