"""Absolute URLs in answers (paging links, OGC links, TileJSON templates) that a client cannot redirect.

Starlette's `request.url` takes its host from the Host header, so `Host: evil.example` used to come back
in every `next` link (and in any cache in front). Links use GEO_PUBLIC_BASE_URL when it is set; else the
Host header only when GEO_TRUSTED_HOSTS is set (the edge stack has refused any other host); else the
address the connection arrived at, which the client cannot choose.
"""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import URL

from geo_service.settings import Settings

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _trusted(url: URL, request: Request) -> URL:
    settings: Settings = request.app.state.settings
    if settings.public_base_url:
        base = URL(settings.public_base_url)
        return url.replace(scheme=base.scheme, netloc=base.netloc)
    if settings.trusted_hosts:
        return url
    server = request.scope.get("server")
    if not server:
        return url.replace(netloc="localhost")
    host, port = server
    host = f"[{host}]" if ":" in str(host) else str(host)
    netloc = host if port in (None, _DEFAULT_PORTS.get(url.scheme)) else f"{host}:{port}"
    return url.replace(netloc=netloc)


def request_url(request: Request) -> URL:
    """The URL of this request, as the public should see it."""
    return _trusted(request.url, request)


def base_url(request: Request) -> str:
    """The app's root URL (with a proxy's root path), without a trailing slash."""
    return str(_trusted(request.base_url, request)).rstrip("/")
