"""The per-address request limit (geo_service.services.rate_limits) as pure ASGI, so that it covers every
route, the nearest fast path included. A refused request gets 429 with Retry-After and the house
Chinese-first message (mapped by geo_service.api.errors) before anything below runs; probes (/healthz,
/readyz), the metrics scrape and static files are not counted. The address is the one uvicorn gives the
request: the client's own, or the proxy's X-Forwarded-For when the proxy is trusted (FORWARDED_ALLOW_IPS).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from geo_service.api.errors import error_response
from geo_service.errors import TooManyRequests
from geo_service.services.rate_limits import RequestLimiter

NOT_COUNTED = ("/healthz", "/readyz", "/metrics", "/static/")


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limiter: RequestLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(NOT_COUNTED):
            client = scope.get("client")
            try:
                await self.limiter.check(client[0] if client else "unknown")
            except TooManyRequests as exc:
                response = error_response(exc)
                assert response is not None  # TooManyRequests is mapped (429)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
