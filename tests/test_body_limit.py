"""The body-size limit: 413 for a declared Content-Length over it (before the body is read), and for a
streamed body the moment it passes it; the larger limit of the upload route; in-process and through a
real server, where "at once" and "while streaming" can be observed on the socket."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geo_service.api.body_limit import BodyLimitMiddleware
from geo_service.app import create_app
from geo_service.settings import Settings
from tests import browser
from tests.databases import loaded_database
from tests.run_async import run_async

SMALL, IMPORTS = 1000, 5000
PLAN = "/api/v1/plan/sites"


@pytest.fixture
def small(tmp_path: Path) -> Iterator[TestClient]:
    """An app with small limits over an empty SpatiaLite file (the limit runs before any database work)."""
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'empty.sqlite'}", max_body_bytes=SMALL, import_max_bytes=IMPORTS)
    with TestClient(create_app(settings)) as client:
        yield client


def _chunks(total: int, size: int = 300) -> Iterator[bytes]:
    while total > 0:
        yield b"1" * min(size, total)
        total -= size


def test_limits_come_from_the_settings_and_the_upload_route_has_its_own(small) -> None:
    assert small.post(PLAN, content=b"1" * SMALL, headers={"content-type": "application/json"}).status_code == 422
    refused = small.post(PLAN, content=b"1" * (SMALL + 1))
    assert refused.status_code == 413
    assert (
        refused.json()["detail"]
        == f"请求体过大：上限为 {SMALL} 字节 / request body too large: the limit is {SMALL} bytes"
    )
    # the upload route accepts more than the default, up to its own limit (below: whatever the route answers)
    assert small.post("/api/v1/imports", content=b"1" * (SMALL + 1)).status_code != 413
    assert small.post("/api/v1/imports", content=b"1" * (IMPORTS + 1)).status_code == 413
    assert small.post("/api/v1/importsx", content=b"1" * (SMALL + 1)).status_code == 413  # a prefix, not a path


def test_streamed_bodies_are_counted(small) -> None:
    headers = {"content-type": "application/json"}
    assert small.post(PLAN, content=_chunks(SMALL), headers=headers).status_code == 422  # read whole: bad JSON
    refused = small.post(PLAN, content=_chunks(SMALL + 1), headers=headers)
    assert refused.status_code == 413 and refused.headers["connection"] == "close"


def _call(app, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> list[dict]:
    """Run an ASGI app on one request; the messages it sent."""
    sent: list[dict] = []
    incoming = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

    async def receive() -> dict:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/x", "headers": headers}
    run_async(app(scope, receive, send))
    return sent


async def _reads_everything_then_fails(scope, receive, send) -> None:
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"too late"})
    raise RuntimeError("the app's reaction to the cut body")


def test_after_the_cut_the_app_is_not_heard() -> None:
    limited = BodyLimitMiddleware(_reads_everything_then_fails, 10, {})
    sent = _call(limited, [(b"transfer-encoding", b"chunked")], [b"12345", b"67890", b"1"])
    assert [m.get("status") for m in sent if m["type"] == "http.response.start"] == [413]
    assert b"too late" not in b"".join(m.get("body", b"") for m in sent)


def test_an_invalid_content_length_is_a_400() -> None:
    sent = _call(BodyLimitMiddleware(_reads_everything_then_fails, 10, {}), [(b"content-length", b"12x")], [b""])
    assert sent[0]["status"] == 400
    assert json.loads(sent[1]["body"])["detail"].endswith("invalid Content-Length")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("limit")
    with loaded_database("spatialite", tmp) as url, browser.serve(url, max_body_bytes=str(100_000)) as base:
        yield base


def _connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(server: str) -> None:
    with _connect(server) as sock:
        sock.sendall(f"POST {PLAN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n".encode())
        sock.sendall(b"Content-Length: 1000000000\r\n\r\n")  # and not one byte of it
        started = time.monotonic()
        answer = _read_response(sock)
        assert time.monotonic() - started < 5
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"x-content-type-options: nosniff" in answer.lower() and b"x-request-id: " in answer.lower()


def test_a_streamed_body_is_cut_off_as_soon_as_it_passes_the_limit(server: str) -> None:
    with _connect(server) as sock:
        sock.sendall(f"POST {PLAN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n".encode())
        sock.sendall(b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"1" * 20_000
        for _ in range(6):  # 120,000 bytes: past the limit, and the body never ends (no final chunk)
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        answer = _read_response(sock)
        assert answer.startswith(b"HTTP/1.1 413 ")
        assert b"connection: close" in answer.lower()
        sock.settimeout(5)
        assert sock.recv(1024) == b""  # and the server closed the connection
