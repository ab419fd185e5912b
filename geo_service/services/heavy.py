"""CPU-heavy answers computed beside the event loop: a gate per worker, then an analysis process.

Coverage gaps, summary and grid and the public and planner map pages cost 80–300 ms of CPU in Python each.
In the worker's threads that CPU holds the interpreter lock that the event loop needs: the nearest route
(answered on the loop) and /healthz would wait behind it, and a queue of such requests would hold every
request thread. So each worker admits at most GEO_HEAVY_CONCURRENCY of them at once, computes each in a
spawned process of its own (GEO_HEAVY_IN_PROCESSES), and refuses one that cannot start within
GEO_QUEUE_WAIT_S with a 503 + Retry-After (errors.ServerBusy): a fast refusal, not a queue of seconds.
A process only competes for a core, at the lowest priority (GEO_HEAVY_NICE, and Linux's idle scheduling
class with GEO_HEAVY_IDLE_CLASS: a worker woken by a request preempts it at once); it reads the database
through an engine of its own, so the work holds none of the worker's connections or threads either.

A work function is module-level (it is sent to the process by name), takes `Resources` first, and
returns something picklable; domain errors it raises reach the worker intact (errors.GeoServiceError).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine

from geo_service.db.engine import make_engine
from geo_service.services.admission import Gate
from geo_service.services.network import NetworkService
from geo_service.settings import Settings

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass
class Resources:
    """What a heavy work function may use: the database, the settings and the road networks."""

    engine: Engine
    settings: Settings
    served_roads: NetworkService | None = None  # the worker's own, when the work runs in its threads

    @property
    def roads(self) -> NetworkService:
        return self.served_roads if self.served_roads is not None else _process_roads(self.settings)


_ENGINES: dict[str, Engine] = {}
_ROADS: dict[tuple[str, float, int], NetworkService] = {}


def process_resources(settings: Settings) -> Resources:
    """In an analysis process: one engine per database, kept for the process's life (it serves many)."""
    if settings.db_url not in _ENGINES:
        _ENGINES[settings.db_url] = make_engine(settings)
    return Resources(_ENGINES[settings.db_url], settings)


def _process_roads(settings: Settings) -> NetworkService:
    """The process's copy of the road networks, reloaded when the file changes (as the worker's is)."""
    key = (str(settings.network_path), settings.network_max_snap_m, settings.network_search_slots)
    if key not in _ROADS:
        _ROADS[key] = NetworkService(settings.network_path, settings.network_max_snap_m, settings.network_search_slots)
    _ROADS[key].refresh()
    return _ROADS[key]


def process_start(settings: Settings) -> tuple[int, bool, int]:
    """The arguments of `start_process` for the processes this worker starts."""
    return settings.heavy_nice, settings.heavy_idle_class, os.getpid()


def start_process(nice: int, idle_class: bool, parent: int) -> None:
    """In a new analysis (or job) process: a lower CPU priority, so that the workers' event loops (nearest,
    /healthz, the cheap routes), which wake for a few milliseconds at a time, take a core first when both
    want it; and an exit when the worker is gone (killed outright it cannot stop its processes)."""
    if nice:
        os.nice(nice)
    if idle_class and hasattr(os, "SCHED_IDLE"):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    threading.Thread(target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _in_process(work: Callable[..., T], settings: Settings, args: tuple[Any, ...]) -> T:
    return work(process_resources(settings), *args)


class HeavyWork:
    """This worker's gate and executor for heavy answers (created in the app's lifespan, on its loop)."""

    def __init__(self, settings: Settings, engine: Engine, roads: NetworkService | None = None) -> None:
        self._settings = settings
        self._local = Resources(engine, settings, roads)
        n = settings.heavy_concurrency
        self._slots = Gate(
            n,
            settings.queue_wait_s,
            f"分析繁忙：本服务进程已有 {n} 个覆盖或地图分析在计算，请稍后重试 / "
            f"busy: this worker is already computing {n} coverage or map analyses; retry shortly",
        )
        self._executor: Executor | None = None

    async def start(self, warm: Callable[[Resources], object]) -> None:
        """Start the executor now and run `warm` (imports, a first connection) in each of its workers; each
        warm-up holds a slot until it is done, so that a request meanwhile gets a fast 503, not a wait."""
        executor, loop = self._started(), asyncio.get_running_loop()
        for _ in range(self._settings.heavy_concurrency):
            await self._slots.enter()  # free: nothing else runs yet
            future = self._submit(executor, warm, ())
            future.add_done_callback(lambda done: _warmed(done, loop, self._slots.leave))

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """`work(resources, *args)` once a slot is free (at most GEO_QUEUE_WAIT_S from now, else ServerBusy)."""
        await self._slots.enter()
        loop = asyncio.get_running_loop()
        try:
            future = self._submit(self._started(), work, args)
        except BaseException:
            self._slots.leave()
            raise
        future.add_done_callback(lambda _: _call_soon(loop, self._slots.leave))  # held until the work ends
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:  # a process died (killed, out of memory): the next request gets a new pool
            self._executor = None
            raise

    def _started(self) -> Executor:
        if self._executor is None:
            n = self._settings.heavy_concurrency
            if self._settings.heavy_in_processes:
                # spawn: a forked copy of a server with threads and an event loop is not safe to run
                context = multiprocessing.get_context("spawn")
                self._executor = ProcessPoolExecutor(
                    n, context, initializer=start_process, initargs=process_start(self._settings)
                )
            else:
                self._executor = ThreadPoolExecutor(n, thread_name_prefix="heavy")
        return self._executor

    def _submit(self, executor: Executor, work: Callable[..., T], args: tuple[Any, ...]) -> Future[T]:
        if isinstance(executor, ProcessPoolExecutor):
            return executor.submit(_in_process, work, self._settings, args)
        return executor.submit(work, self._local, *args)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def _warmed(future: Future[object], loop: asyncio.AbstractEventLoop, leave: Callable[[], object]) -> None:
    if not future.cancelled() and future.exception() is not None:  # an empty database, say: requests will say why
        log.warning("analysis process not warmed: %r", future.exception())
    _call_soon(loop, leave)


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[], object]) -> None:
    with contextlib.suppress(RuntimeError):  # the loop closed (the worker is stopping): nothing waits for it
        loop.call_soon_threadsafe(callback)
