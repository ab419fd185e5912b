"""The Content-Security-Policy of a map page: everything from the app itself, inline code by hash.

A map page is folium-rendered HTML whose configuration travels in two inline <script> blocks and whose
map sizing in a few inline <style> blocks; it has no inline event handlers and no style attributes (the
page script builds cards with DOM nodes). So the policy can allow exactly those blocks by their SHA-256
(computed per response: the blocks hold the page's data) and nothing else inline: an injected <script>
or `onerror=` would not run even if escaping ever failed. Images may also come from `data:` (the blank
error tile, the favicon) and from the hosts of the configured basemap tiles; fetches go to the app only.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from typing import Final
from urllib.parse import urlsplit

from geo_service.maps.basemaps import Basemap

# the inline blocks as the HTML tokenizer reads them: <script> without src, up to the first </script>
_SCRIPT: Final = re.compile(r"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.DOTALL | re.IGNORECASE)
_STYLE: Final = re.compile(r"<style[^>]*>(.*?)</style\s*>", re.DOTALL | re.IGNORECASE)
_HOST: Final = re.compile(r"^[A-Za-z0-9.-]+(?::[0-9]{1,5})?$")


def inline_hashes(pattern: re.Pattern[str], html: str) -> list[str]:
    """CSP hash sources of the blocks `pattern` finds, over their text as the browser hashes it (UTF-8,
    line breaks normalised to LF by the HTML parser); each distinct block once, in page order."""
    sources: dict[str, None] = {}
    for match in pattern.finditer(html):
        text = match.group(1).replace("\r\n", "\n").replace("\r", "\n")
        digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
        sources[f"'sha256-{digest}'"] = None
    return list(sources)


def tile_origins(base: Basemap) -> tuple[str, ...]:
    """The origins the basemap's tiles come from, one per subdomain (`{s}`) a template uses.

    Raises ValueError (at start-up, from maps.install) for a host that is not a plain name and port, since
    anything else could smuggle a directive into the policy."""
    origins: dict[str, None] = {}
    for tiles in base.tiles:
        for subdomain in tiles.subdomains if "{s}" in tiles.url else ("",):
            parts = urlsplit(tiles.url.replace("{s}", subdomain))
            if parts.scheme not in ("http", "https") or not _HOST.match(parts.netloc):
                raise ValueError(f"tile URL {tiles.url!r}: its host cannot be named in a Content-Security-Policy")
            origins[f"{parts.scheme}://{parts.netloc}"] = None
    return tuple(origins)


def page_policy(html: str, *, frame_ancestors: str, tile_hosts: Sequence[str]) -> str:
    """The policy of one rendered page; `frame_ancestors` is who may frame it ('none' except /embed)."""
    directives = (
        ("default-src", ["'self'"]),
        ("script-src", ["'self'", *inline_hashes(_SCRIPT, html)]),
        ("style-src", ["'self'", *inline_hashes(_STYLE, html)]),
        ("img-src", ["'self'", "data:", *tile_hosts]),
        ("font-src", ["'self'"]),
        ("connect-src", ["'self'"]),
        ("object-src", ["'none'"]),
        ("base-uri", ["'none'"]),
        ("form-action", ["'self'"]),
        ("frame-ancestors", [frame_ancestors]),
    )
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives)
