"""Long requests as background jobs: stored in the database, run in a pool of processes beside the server.

A request whose cost is over the thresholds (a plan with many sites or many supplied points) is answered
at once with `202 Accepted` and the job's status URL; the work runs here, and the status URL answers
from the `job` table, so any worker can serve it, whichever worker runs the job.

Processes, not threads: a plan is seconds of CPU in Python loops; in a thread it would hold the GIL that
the event loop and the cheap requests need, and the nearest route's latency would grow with every plan.
A process only competes for a core, which the operating system shares fairly. Each job has a time
budget (GEO_PLAN_TIME_LIMIT_S) after which the solver returns its best answer so far with its gap.

A job that a dead process left unfinished is reported failed once its `expires_at` passes (the time it
could have waited for the pool plus its budget, plus a margin); nothing polls for it.
"""

from __future__ import annotations

import logging
import multiprocessing
import secrets
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Connection, Engine

from geo_service.db.engine import make_engine
from geo_service.errors import JobsBusy, NotFound
from geo_service.queries import jobs as job_rows
from geo_service.queries.jobs import StoredJob as StoredJob  # the status the API presents
from geo_service.services.accounts import utc_now
from geo_service.services.heavy import process_start, start_process
from geo_service.settings import Settings

log = logging.getLogger(__name__)

#: Added to a job's worst wait and budget before an unfinished job is declared lost.
EXPIRY_MARGIN: Final = timedelta(seconds=60)
LOST: Final = {
    "detail": "任务未完成即中断（服务进程已退出），请重新提交 / "
    "the job was interrupted (its worker stopped); submit it again"
}
FAILED: Final = {"detail": "任务失败（服务器错误）/ the job failed (a server error)"}

#: What a job does: read its data through the engine, compute, and return (body, media type). It raises `JobRefused`
#: for an answer that is an error the client must see (a 422 with its body), anything else for a bug.
JobWork = Callable[[Engine, dict[str, Any], Settings], tuple[bytes, str]]


class JobRefused(Exception):
    """The job's request is refused, with the status and body its synchronous request would have had."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"job refused with {status}")
        self.status, self.body = status, body


def status(conn: Connection, job_id: str, now: datetime | None = None) -> StoredJob:
    """The job's state; a job left unfinished past its expiry is reported failed (lost)."""
    stored = job_rows.find_job(conn, job_id)
    if stored is None:
        raise NotFound(f"没有这个任务（或已过期删除）/ no job {job_id!r} (or it expired)")
    if not stored.finished and stored.expires_at <= utc_now(now):
        return replace(stored, status="failed", error_status=503, error=LOST)
    return stored


def result(conn: Connection, job_id: str) -> tuple[bytes, str]:
    """The body of a finished job (404 until it is done: the status URL says why)."""
    found = job_rows.job_result(conn, job_id)
    if found is None:
        raise NotFound(
            f"任务 {job_id!r} 没有结果（未完成、失败或不存在），请查看其状态 / "
            f"job {job_id!r} has no result (not done, failed or unknown); see its status"
        )
    return found


def new_job_id() -> str:
    return secrets.token_hex(16)


def _expiry(settings: Settings, now: datetime) -> datetime:
    """The latest an honest job finishes: behind every other active job, each using its whole budget."""
    return now + (settings.job_max_active + 1) * timedelta(seconds=settings.plan_time_limit_s) + EXPIRY_MARGIN


def create(conn: Connection, kind: str, params: dict[str, Any], settings: Settings) -> str:
    """Store a queued job (committing `conn`'s transaction is the caller's); 503 when too many are active.

    Old jobs are purged here: finished ones after GEO_JOB_KEEP_S, lost ones as long after their expiry."""
    now = utc_now()
    keep = timedelta(seconds=settings.job_keep_s)
    job_rows.purge_jobs(conn, finished_before=now - keep, expired_before=now - keep)
    if job_rows.count_active(conn, now) >= settings.job_max_active:
        raise JobsBusy(settings.job_max_active)
    job_id = new_job_id()
    job_rows.insert_job(conn, job_id, kind, params, now, _expiry(settings, now))
    return job_id


class JobRunner:
    """This worker's pool of job processes, started on the first job (most workers never run one)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._pool: ProcessPoolExecutor | None = None

    def start(self, engine: Engine, job_id: str, work: JobWork) -> None:
        """Run a stored, queued job. `work` must be a module-level function (it is sent to the process)."""
        if self._pool is None:
            # spawn: a forked copy of a server with threads and an event loop is not safe to run
            context = multiprocessing.get_context("spawn")
            started = process_start(self._settings)  # below the requests, as the analyses are
            self._pool = ProcessPoolExecutor(
                self._settings.job_workers, context, initializer=start_process, initargs=started
            )
        future = self._pool.submit(run_job, self._settings, job_id, work)
        future.add_done_callback(lambda done: _record_crash(engine, job_id, done))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _record_crash(engine: Engine, job_id: str, future: Future[None]) -> None:
    """A job process that died (or a pool that broke) leaves no answer: record the failure now, rather
    than at the job's expiry. Runs in the pool's management thread."""
    if future.cancelled() or future.exception() is None:
        return
    log.error("job %s crashed", job_id, exc_info=future.exception())
    try:
        with engine.begin() as conn:
            job_rows.mark_failed(conn, job_id, 500, FAILED, utc_now())
    except Exception:
        log.exception("job %s: could not record its failure", job_id)


_ENGINES: dict[str, Engine] = {}


def _engine(settings: Settings) -> Engine:
    """One engine per job process and database (the process runs many jobs)."""
    if settings.db_url not in _ENGINES:
        _ENGINES[settings.db_url] = make_engine(settings)
    return _ENGINES[settings.db_url]


def run_job(settings: Settings, job_id: str, work: JobWork) -> None:
    """In the job process: claim the job, do its work and store the answer or the refusal."""
    engine = _engine(settings)
    with engine.begin() as conn:
        if not job_rows.mark_running(conn, job_id, utc_now()):
            return  # purged, or claimed twice
        params = job_rows.job_params(conn, job_id) or {}
    try:
        body, media_type = work(engine, params, settings)
    except JobRefused as refused:
        with engine.begin() as conn:
            job_rows.mark_failed(conn, job_id, refused.status, refused.body, utc_now())
        return
    except Exception:
        log.exception("job %s failed", job_id)
        with engine.begin() as conn:
            job_rows.mark_failed(conn, job_id, 500, FAILED, utc_now())
        return
    with engine.begin() as conn:
        job_rows.mark_done(conn, job_id, body, media_type, utc_now())
