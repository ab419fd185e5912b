"""Cache-Control of the map assets under /static: a year, immutable, for a URL that carries the file's
current content fingerprint (`?v=`, geo_service.maps.assets.versioned, as every page names them); `no-cache`
for any other (no fingerprint, an old one, a file pages do not load), which browsers revalidate each time
(StaticFiles answers 304 to a matching ETag). Pages themselves are `no-cache` (geo_service.api.maps), so a
new release reaches a phone at its next page load with new fingerprints, and nothing it kept is stale.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo_service.maps import assets

IMMUTABLE: Final = b"public, max-age=31536000, immutable"
REVALIDATE: Final = b"no-cache"


def cache_control(asset_path: str, query_string: bytes) -> bytes:
    """The Cache-Control of a GET of /static/`asset_path`?`query_string`."""
    version = dict(parse_qsl(query_string.decode("latin-1"))).get("v")
    current = assets.fingerprint(asset_path)
    return IMMUTABLE if version is not None and version == current else REVALIDATE


class AssetCaching:
    """Wraps the files of one /static/`url_path` mount: sets Cache-Control on their responses."""

    def __init__(self, app: ASGIApp, url_path: str) -> None:
        self.app = app
        self.url_path = url_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, root = scope["path"], scope.get("root_path", "")
        inside = path[len(root) :] if root and path.startswith(root) else path  # the path within the mount
        value = cache_control(f"{self.url_path}/{inside.lstrip('/')}", scope["query_string"])

        async def send_with_cache_control(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"cache-control"]
                message["headers"] = [*headers, (b"cache-control", value)]
            await send(message)

        await self.app(scope, receive, send_with_cache_control)
