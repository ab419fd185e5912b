"""Job rows (migration 0008). The caller owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from geo_service.db.models import Job


@dataclass(frozen=True)
class StoredJob:
    """A job as stored, without its result body (which may be megabytes). `error_status` and `error` are,
    for a failed job, the HTTP status and body its request would have had."""

    id: str
    kind: str
    status: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime
    error_status: int | None
    error: dict[str, Any] | None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


_COLUMNS = (
    Job.id,
    Job.kind,
    Job.status,
    Job.created_at,
    Job.started_at,
    Job.finished_at,
    Job.expires_at,
    Job.error_status,
    Job.error,
)


def insert_job(
    conn: Connection, job_id: str, kind: str, params: dict[str, Any], now: datetime, expires: datetime
) -> None:
    values = {"id": job_id, "kind": kind, "status": "queued", "params": params}
    conn.execute(insert(Job).values({**values, "created_at": now, "expires_at": expires}))


def find_job(conn: Connection, job_id: str) -> StoredJob | None:
    row = conn.execute(select(*_COLUMNS).where(Job.id == job_id)).first()
    return None if row is None else StoredJob(*row)


def job_params(conn: Connection, job_id: str) -> dict[str, Any] | None:
    params = conn.execute(select(Job.params).where(Job.id == job_id)).scalar_one_or_none()
    return None if params is None else dict(params)


def job_result(conn: Connection, job_id: str) -> tuple[bytes, str] | None:
    """The result body and its media type, once the job is done."""
    row = conn.execute(select(Job.result, Job.media_type).where(Job.id == job_id, Job.status == "done")).first()
    return None if row is None or row.result is None else (bytes(row.result), str(row.media_type))


def count_active(conn: Connection, now: datetime) -> int:
    """Queued and running jobs that have not expired (every worker's)."""
    query = select(func.count()).select_from(Job).where(Job.status.in_(("queued", "running")), Job.expires_at > now)
    return int(conn.execute(query).scalar_one())


def mark_running(conn: Connection, job_id: str, now: datetime) -> bool:
    """Claim a queued job; False when it is no longer queued (or gone)."""
    statement = update(Job).where(Job.id == job_id, Job.status == "queued").values(status="running", started_at=now)
    return bool(conn.execute(statement).rowcount)


def mark_done(conn: Connection, job_id: str, body: bytes, media_type: str, now: datetime) -> None:
    values = {"status": "done", "result": body, "media_type": media_type, "finished_at": now}
    conn.execute(update(Job).where(Job.id == job_id).values(values))


def mark_failed(conn: Connection, job_id: str, status: int, error: dict[str, Any], now: datetime) -> None:
    values = {"status": "failed", "error_status": status, "error": error, "finished_at": now}
    conn.execute(update(Job).where(Job.id == job_id).values(values))


def purge_jobs(conn: Connection, *, finished_before: datetime, expired_before: datetime) -> int:
    """Delete the jobs finished before the first instant, and the unfinished ones expired before the
    second; returns how many."""
    finished = Job.finished_at.is_not(None) & (Job.finished_at < finished_before)
    lost = Job.finished_at.is_(None) & (Job.expires_at < expired_before)
    return int(conn.execute(delete(Job).where(finished | lost)).rowcount or 0)
