"""Request bodies above a size limit get 413 before the app reads them (or as soon as they pass it).

Pure ASGI, in front of everything: a body too large is refused before any handler, parser or database
sees a byte of it. A declared `Content-Length` above the limit is answered at once, without reading the
body (nor sending `100 Continue`). A body without one (chunked) is counted while it streams, and cut off
with 413 when it passes the limit: the app's read then fails, and whatever the app sends or raises
after that is dropped, as the client already has its answer. Either way the 413 closes the connection,
so a client that keeps sending is not read on. The limit is GEO_MAX_BODY_BYTES, and GEO_IMPORT_MAX_BYTES
for the upload route (`/api/v1/imports` and the paths below it).
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo_service.settings import Settings

IMPORTS_PATH = "/api/v1/imports"
#: The console's import wizard uploads the same files (geo_service.console.routes_imports).
CONSOLE_IMPORTS_PATH = "/console/imports"


class BodyTooLarge(Exception):
    """Raised from `receive` to the app once a streamed body passed the limit (already answered 413)."""


def limits_for(settings: Settings) -> tuple[int, dict[str, int]]:
    """The default limit and the larger ones by path prefix."""
    return settings.max_body_bytes, {
        IMPORTS_PATH: settings.import_max_bytes,
        CONSOLE_IMPORTS_PATH: settings.import_max_bytes,
    }


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = orjson.dumps({"detail": detail})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _too_large(send: Send, limit: int) -> None:
    detail = f"请求体过大：上限为 {limit} 字节 / request body too large: the limit is {limit} bytes"
    await _refuse(send, 413, detail)


def _framing(scope: Scope) -> tuple[bytes | None, bool]:
    """The Content-Length header (raw) and whether the body is chunked."""
    length, chunked = None, False
    for name, value in scope["headers"]:
        if name == b"content-length":
            length = value
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked


class BodyLimitMiddleware:
    """Enforces `default` bytes, or `by_prefix[p]` under path prefix p."""

    def __init__(self, app: ASGIApp, default: int, by_prefix: Mapping[str, int]) -> None:
        self.app, self.default, self.by_prefix = app, default, dict(by_prefix)

    def limit(self, path: str) -> int:
        for prefix, limit in self.by_prefix.items():
            if path == prefix or path.startswith(prefix + "/"):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length, chunked = _framing(scope)
        if length is None and not chunked:  # no body: GETs, the nearest fast path
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"])
        if length is not None:
            if not length.isdigit():
                await _refuse(send, 400, "Content-Length 无效 / invalid Content-Length")
            elif int(length) > limit:
                await _too_large(send, limit)
            else:  # the server delivers no more than the declared length
                await self.app(scope, receive, send)
            return
        await _counted(self.app, limit, scope, receive, send)


async def _counted(app: ASGIApp, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    """Run `app` on a streamed body, answering 413 the moment more than `limit` bytes arrived."""
    received, started, refused = 0, False, False

    async def counting_receive() -> Message:
        nonlocal received, refused
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                if not started and not refused:
                    await _too_large(send, limit)
                    refused = True
                raise BodyTooLarge(f"request body passed {limit} bytes")
        return message

    async def guarded_send(message: Message) -> None:
        nonlocal started
        if refused:
            return
        started = started or message["type"] == "http.response.start"
        await send(message)

    try:
        await app(scope, counting_receive, guarded_send)
    except Exception:
        if not refused:
            raise
