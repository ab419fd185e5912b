"""Security headers added to any response, and the parts of a map page's policy: the tile origins of each
basemap and the hashes of inline blocks (compared with hashes computed here from known text)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from geo_service.api.page_policy import _SCRIPT, _STYLE, inline_hashes, tile_origins
from geo_service.api.security_headers import BASELINE_CSP, with_security_headers
from geo_service.app import create_app
from geo_service.maps.basemaps import basemap
from geo_service.settings import Settings


def _names(headers: list[tuple[bytes, bytes]]) -> list[bytes]:
    return [name for name, _ in headers]


def test_every_response_gets_nosniff_and_a_referrer_policy() -> None:
    headers = dict(with_security_headers([(b"content-type", b"application/geo+json")]))
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert headers[b"referrer-policy"] == b"strict-origin-when-cross-origin"
    assert b"content-security-policy" not in headers  # not a page


def test_a_response_keeps_its_own_headers_and_gets_none_twice() -> None:
    own = [
        (b"Content-Type", b"text/html"),
        (b"Content-Security-Policy", b"default-src 'none'"),
        (b"Referrer-Policy", b"no-referrer"),
    ]
    headers = with_security_headers(own)
    assert [n.lower() for n in _names(headers)].count(b"referrer-policy") == 1
    assert (b"Content-Security-Policy", b"default-src 'none'") in headers
    assert b"x-frame-options" not in _names(headers)  # the page chose its policy


def test_a_page_without_a_policy_gets_the_baseline() -> None:
    headers = dict(with_security_headers([(b"content-type", b"text/html; charset=utf-8")]))
    assert headers[b"content-security-policy"] == BASELINE_CSP.encode()
    assert headers[b"x-frame-options"] == b"DENY"


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_inline_hashes_are_over_the_parsed_text() -> None:
    html = (
        '<script src="/static/a.js"></script><script>var a = "滨州";\r\nrun(a);</script>'
        '<script>var a = "滨州";\nrun(a);</script><STYLE media=screen>p { margin: 0 }</STYLE>'
    )
    assert inline_hashes(_SCRIPT, html) == [_sha('var a = "滨州";\nrun(a);')]  # CRLF read as LF; once
    assert inline_hashes(_STYLE, html) == [_sha("p { margin: 0 }")]


def test_tile_origins_of_each_basemap() -> None:
    assert tile_origins(basemap(Settings())) == ("https://tile.openstreetmap.org",)
    assert tile_origins(basemap(Settings(map_basemap="none"))) == ()
    assert tile_origins(basemap(Settings(map_basemap="amap"))) == tuple(
        f"https://webrd0{n}.is.autonavi.com" for n in range(1, 5)
    )
    tianditu = Settings(map_basemap="tianditu", map_tianditu_key="abc123")
    assert tile_origins(basemap(tianditu)) == tuple(f"https://t{n}.tianditu.gov.cn" for n in range(8))
    own = Settings(map_osm_tile_url="http://{s}.tiles.internal:8080/{z}/{x}/{y}.png")
    assert tile_origins(basemap(own)) == tuple(f"http://{s}.tiles.internal:8080" for s in "abc")


def test_a_tile_host_that_could_inject_a_directive_fails_at_start_up(tmp_path: Path) -> None:
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'x.sqlite'}", map_osm_tile_url="https://x.org;script-src/{z}/{x}/{y}.png"
    )
    with pytest.raises(ValueError, match="Content-Security-Policy"):
        create_app(settings)
