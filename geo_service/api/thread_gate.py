"""Routes that need a request thread wait a bounded time for one, as requests wait for a connection.

FastAPI runs a plain `def` endpoint or dependency on anyio's thread pool (40 threads a worker). When every
thread was busy, the next such request waited for one unbounded, before its connection's pool timeout
(GEO_DB_POOL_TIMEOUT_S) could even start: the "fast 503" came after seconds. Each route that uses a
thread is now admitted by a gate as large as the pool (`thread_slot`, a dependency of the whole app): at
most that many at once, the next waiting at most GEO_QUEUE_WAIT_S, then 503 + Retry-After
(errors.ServerBusy). Routes whose endpoint and dependencies are all coroutines (/healthz, /readyz, the
coverage analyses awaiting their process) and the nearest fast path do not pass it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

from anyio.to_thread import current_default_thread_limiter
from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from geo_service.services.admission import Gate

BUSY = "服务繁忙：请求线程已满，请稍后重试 / busy: every request thread of this worker is taken; retry shortly"


def request_threads(wait_s: float) -> Gate:
    """The gate for this worker's request threads (call on the serving loop: the lifespan)."""
    return Gate(int(current_default_thread_limiter().total_tokens), wait_s, BUSY)


async def thread_slot(request: Request) -> AsyncIterator[None]:
    """An app-wide dependency, solved before the route's own: a route that runs on a thread waits here
    (bounded) for one of the gate's slots and holds it until its response is done."""
    gate: Gate | None = getattr(request.app.state, "threads", None)
    route = request.scope.get("route")
    if gate is None or not isinstance(route, APIRoute) or not _route_uses_threads(route):
        yield
        return
    async with gate.held():
        yield


_USES_THREADS: dict[int, tuple[APIRoute, bool]] = {}  # by id: routes are not hashable
_KEPT_ROUTES = 10_000  # more than any app has: forgotten only when many apps were built (the tests)


def _route_uses_threads(route: APIRoute) -> bool:
    known = _USES_THREADS.get(id(route))
    if known is not None and known[0] is route:
        return known[1]
    if len(_USES_THREADS) >= _KEPT_ROUTES:
        _USES_THREADS.clear()
    _USES_THREADS[id(route)] = (route, uses_threads(route.dependant))
    return _USES_THREADS[id(route)][1]


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
