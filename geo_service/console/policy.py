"""The Content-Security-Policy and other headers of console pages.

Console pages are our own templates: no inline script, no inline style, no style attributes, so the
policy allows the app's own files only (`script-src 'self'`, `style-src 'self'`) and nothing inline —
an injected `<script>` or `onerror=` would not run even if escaping ever failed. Images come from the
app, `data:` and the basemap's tile hosts; fetches go to the app only; forms post to the app only; no
site may frame a console page. Pages hold non-public data, so no cache keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence

from geo_service.api.page_policy import page_policy


def console_policy(tile_hosts: Sequence[str]) -> str:
    """The page policy of geo_service.api.page_policy with nothing inline allowed and no framing."""
    return page_policy("", frame_ancestors="'none'", tile_hosts=tile_hosts)


def console_headers(tile_hosts: Sequence[str]) -> dict[str, str]:
    return {
        "Content-Security-Policy": console_policy(tile_hosts),
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }
