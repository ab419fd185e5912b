"""Security headers on every response, whoever made it (FastAPI, the nearest fast path, a static file,
a 404, a 413 of the body limit, a 500).

Pure ASGI: the headers are added to `http.response.start` when the response lacks them, so a route that
knows better keeps its own. Every response gets `X-Content-Type-Options: nosniff` (a JSON or GeoJSON body
is never sniffed into HTML) and `Referrer-Policy: strict-origin-when-cross-origin` (the rider's position
in a nearby-page URL never leaves in a Referer). An HTML response without its own Content-Security-Policy
gets a baseline one that cannot break a page (no framing, no plugins, no <base>) and `X-Frame-Options:
DENY`; the map pages send a strict policy of their own (geo_service.api.page_policy).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Header = tuple[bytes, bytes]

ALWAYS: Final[tuple[Header, ...]] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)
BASELINE_CSP: Final = "frame-ancestors 'none'; object-src 'none'; base-uri 'none'"
_HTML_DEFAULTS: Final[tuple[Header, ...]] = (
    (b"content-security-policy", BASELINE_CSP.encode()),
    (b"x-frame-options", b"DENY"),
)


def with_security_headers(headers: Iterable[Header]) -> list[Header]:
    """`headers` plus each security header it does not already carry."""
    result = list(headers)
    present, html = set(), False
    for name, value in result:
        lowered = name.lower()
        present.add(lowered)
        html = html or (lowered == b"content-type" and value.startswith(b"text/html"))
    defaults = ALWAYS + _HTML_DEFAULTS if html and b"content-security-policy" not in present else ALWAYS
    result.extend(header for header in defaults if header[0] not in present)
    return result


class SecurityHeadersMiddleware:
    """Adds the headers to every HTTP response start."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(message.get("headers", ()))
            await send(message)

        await self.app(scope, receive, send_with_headers)
