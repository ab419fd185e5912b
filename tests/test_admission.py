"""Heavy analyses pass a bounded per-worker gate and run apart from the event loop; they hold no
connection while they compute; routes on the thread pool wait a bounded time for a thread.

Concurrency here is made with events, not timing: a heavy request is held inside its work until the
test lets it go, and what the server answers meanwhile is asserted."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from geo_service.api import thread_gate
from geo_service.app import create_app
from geo_service.errors import ServerBusy
from geo_service.maps import pages
from geo_service.services import coverage as coverage_service
from geo_service.services.admission import Gate
from geo_service.services.heavy import HeavyWork
from geo_service.settings import Settings
from tests.run_async import run_async

GAPS = "/api/v1/coverage/gaps?preset=walk-15"
WAIT_S = 60  # only ever reached when the behaviour under test is broken


def _app_client(db_url: str, **overrides: Any) -> Iterator[TestClient]:
    settings = Settings(db_url=db_url, heavy_prewarm=False, **overrides)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def threaded_client(loaded_db_url: str) -> Iterator[TestClient]:
    """One heavy analysis at a time, computed in the worker's threads (so the test can hold it), and a
    gate that refuses after 50 ms."""
    yield from _app_client(loaded_db_url, heavy_concurrency=1, heavy_in_processes=False, queue_wait_s=0.05)


def _held(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> tuple[threading.Event, threading.Event]:
    """Patch `module.name` to signal `entered` and then wait for `release` before doing its work."""
    entered, release = threading.Event(), threading.Event()
    real: Callable[..., Any] = getattr(module, name)

    def held(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        assert release.wait(WAIT_S)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, held)
    return entered, release


def test_a_full_gate_is_a_503_naming_the_reason_while_healthz_and_nearest_answer(
    threaded_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, release = _held(monkeypatch, coverage_service, "gaps_body")
    first: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: first.setdefault("response", threaded_client.get(GAPS)))
    worker.start()
    try:
        assert entered.wait(WAIT_S)
        for path in (GAPS, "/api/v1/coverage/summary?preset=walk-15", "/maps/public", "/maps/coverage"):
            busy = threaded_client.get(path)
            assert busy.status_code == 503, path
            assert busy.headers["Retry-After"] == "1"
            assert busy.json()["detail"].startswith("分析繁忙")
            assert "1 coverage or map analyses" in busy.json()["detail"]
        assert threaded_client.get("/healthz").json() == {"status": "ok"}
        nearest = threaded_client.get("/api/v1/facilities/nearest?lon=118.0&lat=37.4&limit=1")
        assert nearest.status_code == 200 and len(nearest.json()["features"]) == 1
        assert threaded_client.get("/api/v1/facilities?limit=1").status_code == 200  # cheap routes are not gated
    finally:
        release.set()
        worker.join(WAIT_S)
    assert first["response"].status_code == 200
    assert first["response"].json()["type"] == "FeatureCollection"
    assert threaded_client.get(GAPS).status_code == 200  # the slot was given back


def test_maps_coverage_holds_no_connection_while_it_analyses(
    loaded_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With one pooled connection, a cheap request made while the planner map analyses still gets it."""
    clients = _app_client(loaded_db_url, db_pool_size=1, db_max_overflow=0, heavy_in_processes=False)
    client = next(clients)
    during: dict[str, Any] = {}
    real = pages.analyse

    def analyse(*args: Any, **kwargs: Any) -> Any:
        during["list"] = client.get("/api/v1/facilities?limit=1")
        return real(*args, **kwargs)

    monkeypatch.setattr(pages, "analyse", analyse)
    try:
        page = client.get("/maps/coverage?count=3")
        assert page.status_code == 200 and "<html" in page.text
        assert during["list"].status_code == 200
        assert len(during["list"].json()["features"]) == 1
    finally:
        next(clients, None)


@pytest.mark.parametrize(
    ("path", "module"),
    [("/tiles/facilities/10/843/388.mvt", "tiles"), ("/ogc/collections/facilities/items?limit=2", "ogc")],
)
def test_an_async_read_waits_for_the_pool_in_a_thread_not_on_the_event_loop(
    loaded_db_url: str, monkeypatch: pytest.MonkeyPatch, path: str, module: str
) -> None:
    """Tiles and small OGC pages read on the event loop while a pooled connection is idle; with every
    connection taken, their wait for one must leave the loop free: /healthz and nearest answer meanwhile."""
    from geo_service.api import ogc, tiles

    routes = {"tiles": tiles, "ogc": ogc}[module]
    clients = _app_client(loaded_db_url, db_pool_size=1, db_max_overflow=0, db_pool_timeout_s=WAIT_S)
    client = next(clients)
    assert client.get(path).status_code == 200  # warm: the pool's one connection now exists, idle
    entered = threading.Event()
    real = routes.read_connection

    def read_connection(engine: Any) -> Any:
        entered.set()
        return real(engine)

    monkeypatch.setattr(routes, "read_connection", read_connection)
    held = client.app.state.engine.connect()  # type: ignore[attr-defined]
    waiting: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: waiting.setdefault("response", client.get(path)))
    try:
        worker.start()
        assert entered.wait(WAIT_S)  # the request now waits for the pool's only connection
        assert client.get("/healthz").json() == {"status": "ok"}
        nearest = client.get("/api/v1/facilities/nearest?lon=118.0&lat=37.4&limit=1")
        assert nearest.status_code == 200
        assert worker.is_alive() and "response" not in waiting  # answered while the read still waited
    finally:
        held.close()
        worker.join(WAIT_S)
        next(clients, None)
    assert waiting["response"].status_code == 200


def test_processes_answer_as_the_threads_do_and_carry_errors_back(loaded_db_url: str) -> None:
    """The same gaps in an analysis process as in the worker's threads; a refused parameter raised in the
    process is the same 422 naming it; the map pages render there."""
    threaded = _app_client(loaded_db_url, heavy_in_processes=False)
    expected = next(threaded).get(GAPS)
    next(threaded, None)
    assert expected.status_code == 200
    for client in _app_client(loaded_db_url, heavy_in_processes=True):
        answer = client.get(GAPS)
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/geo+json"
        assert answer.json() == expected.json()
        refused = client.get("/api/v1/coverage/summary?preset=nowhere")
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["query", "preset"]
        for name in ("public", "coverage"):
            page = client.get(f"/maps/{name}")
            assert page.status_code == 200 and page.text.startswith("<!DOCTYPE html>")
            assert "script-src" in page.headers["Content-Security-Policy"]
            assert page.headers["X-Frame-Options"] == "DENY"


def test_a_gate_refuses_after_its_wait_and_names_what_is_full() -> None:
    async def scenario() -> None:
        gate = Gate(1, 0.01, "线程已满 / threads are full")
        await gate.enter()
        with pytest.raises(ServerBusy, match="threads are full"):
            await gate.enter()
        gate.leave()
        async with gate.held():
            pass
        await gate.enter()  # held() gave its slot back

    run_async(scenario())


def test_a_route_on_the_thread_pool_gets_a_503_when_every_thread_is_taken(threaded_client: TestClient) -> None:
    """The worker's request threads all taken (its gate held by the test): a route that needs one is
    refused at once, naming the threads; coroutine routes and the nearest fast path still answer."""
    app: Any = threaded_client.app
    full = Gate(1, 0.01, thread_gate.BUSY)
    app.state.threads = full
    portal: Any = threaded_client.portal  # type: ignore[attr-defined]
    portal.call(full.enter)
    busy = threaded_client.get("/api/v1/facilities?limit=1")
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    assert busy.json()["detail"].startswith("服务繁忙：请求线程已满")
    assert threaded_client.get("/maps/nearby").status_code == 503  # a class of parameters runs on a thread too
    assert threaded_client.get("/healthz").status_code == 200
    assert threaded_client.get("/readyz").status_code == 200
    assert threaded_client.get(GAPS).status_code == 200
    assert threaded_client.get("/api/v1/facilities/nearest?lon=118.0&lat=37.4").status_code == 200
    full.leave()
    assert threaded_client.get("/api/v1/facilities?limit=1").status_code == 200


def _own_priority(resources: object) -> tuple[int, int, int]:
    return os.getpid(), os.getpriority(os.PRIO_PROCESS, 0), os.sched_getscheduler(0)


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="the idle scheduling class is Linux's")
def test_analysis_processes_run_below_the_worker() -> None:
    """The analysis process is another process, at nice 19 in the idle class (as the settings say), while
    the worker that started it keeps its own priority: the priorities are read back from the kernel."""
    settings = Settings(db_url="sqlite:///unused.sqlite", heavy_prewarm=False)
    work = HeavyWork(settings, create_engine("sqlite://"))
    try:
        pid, nice, policy = run_async(work.run(_own_priority))
    finally:
        work.close()
    assert pid != os.getpid()
    assert (nice, policy) == (settings.heavy_nice, os.SCHED_IDLE) == (19, os.SCHED_IDLE)
    assert os.sched_getscheduler(0) == os.SCHED_OTHER
