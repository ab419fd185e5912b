"""Routes that need a request thread wait a bounded time for one, as requests wait for a connection.

FastAPI runs a plain `def` endpoint or dependency on anyio's thread pool (40 threads a worker). When every
thread was busy, the next such request waited for one unbounded, before its connection's pool timeout
(GEO_DB_POOL_TIMEOUT_S) could even start: the "fast 503" came after seconds. Each route that uses a
thread is now admitted by a gate as large as the pool: at most that many at once, the next waiting at
most GEO_QUEUE_WAIT_S, then 503 + Retry-After (errors.ServerBusy). Coroutine routes (/healthz, /readyz,
the heavy analyses awaiting their process) and the nearest fast path do not pass it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from anyio.to_thread import current_default_thread_limiter
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from geo_service.services.admission import Gate

BUSY = "服务繁忙：请求线程已满，请稍后重试 / busy: every request thread of this worker is taken; retry shortly"


def request_threads(wait_s: float) -> Gate:
    """The gate for this worker's request threads (call on the serving loop: the lifespan)."""
    return Gate(int(current_default_thread_limiter().total_tokens), wait_s, BUSY)


def install(app: FastAPI) -> None:
    """Put the gate before every route that runs on a thread (call once every router is included)."""
    for route in app.routes:
        if isinstance(route, APIRoute) and uses_threads(route.dependant):
            route.app = ThreadAdmission(route.app)


def uses_threads(dependant: Dependant) -> bool:
    """Whether the endpoint or any of its dependencies is a plain function (run on the thread pool)."""
    call = dependant.call
    if call is not None and not _on_loop(call):
        return True
    return any(uses_threads(sub) for sub in dependant.dependencies)


def _on_loop(call: Callable[..., Any]) -> bool:
    """FastAPI's rule: coroutine and async-generator functions (or objects whose __call__ is one) run on
    the event loop; anything else (a plain function, a class such as a dataclass of parameters) on a thread."""
    while isinstance(call, functools.partial):
        call = call.func
    if inspect.isclass(call):
        return False
    target = call if inspect.isroutine(call) else getattr(call, "__call__", None)  # noqa: B004
    return inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)


class ThreadAdmission:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gate: Gate | None = getattr(scope["app"].state, "threads", None)
        if gate is None:  # outside a lifespan
            await self.app(scope, receive, send)
            return
        async with gate.held():
            await self.app(scope, receive, send)
