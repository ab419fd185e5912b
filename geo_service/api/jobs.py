"""Background jobs over HTTP: `202 Accepted` with a status URL, the status, and the result when done.

The status URL (`/api/v1/jobs/{id}`) is the job's capability: its id is 128 random bits, and only its
holder can read the result. A client polls it (the response's `Retry-After` says how often) until the
status is `done` (then `result` links the body, served as the synchronous request would have been) or
`failed` (then `error_status` and `error` are what the synchronous request would have answered).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import Engine

from geo_service.api.deps import ConnectionDep
from geo_service.api.errors import error_response
from geo_service.queries.jobs import StoredJob
from geo_service.services import jobs
from geo_service.services.jobs import JobRefused, JobWork

router = APIRouter(prefix="/api/v1", tags=["jobs"])

JOBS_PATH = "/api/v1/jobs"
POLL_AFTER_S = 1
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="the id in the job's status URL")]


class JobOut(BaseModel):
    """A job's status: the stored job, and its result's URL once done."""

    id: str
    kind: str
    status: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime
    result: str | None
    error_status: int | None
    error: dict[str, Any] | None

    @classmethod
    def of(cls, job: StoredJob) -> JobOut:
        result = f"{JOBS_PATH}/{job.id}/result" if job.status == "done" else None
        return cls(**asdict(job), result=result)


def accepted(request: Request, engine: Engine, kind: str, params: dict[str, Any], work: JobWork) -> JSONResponse:
    """Store a job, start it on this worker's pool and answer `202 Accepted` with its status URL."""
    with engine.begin() as conn:
        job_id = jobs.create(conn, kind, params, request.app.state.settings)
    request.app.state.jobs.start(engine, job_id, work)
    with engine.connect() as conn:
        job = jobs.status(conn, job_id)
    location = f"{JOBS_PATH}/{job_id}"
    headers = {"Location": location, "Retry-After": str(POLL_AFTER_S)}
    return JSONResponse(JobOut.of(job).model_dump(mode="json"), status_code=202, headers=headers)


@contextmanager
def refusals() -> Iterator[None]:
    """In a job: an error the request would have answered (422, 404 …) becomes the job's refusal, with
    the same status and body (api.errors); a bug stays a bug."""
    try:
        yield
    except Exception as exc:
        response = error_response(exc)
        if response is None:
            raise
        raise JobRefused(response.status_code, orjson.loads(bytes(response.body))) from exc


@router.get("/jobs/{job_id}", summary="A job's status (poll until done or failed)")
def job_status(job_id: JobId, conn: ConnectionDep) -> JSONResponse:
    job = jobs.status(conn, job_id)
    headers = {} if job.finished else {"Retry-After": str(POLL_AFTER_S)}
    return JSONResponse(JobOut.of(job).model_dump(mode="json"), headers=headers)


@router.get("/jobs/{job_id}/result", summary="A finished job's result (the body its request would have had)")
def job_result(job_id: JobId, conn: ConnectionDep) -> Response:
    body, media_type = jobs.result(conn, job_id)
    return Response(body, media_type=media_type)
