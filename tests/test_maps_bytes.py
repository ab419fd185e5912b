"""What a phone downloads: inline SVG icons instead of an icon font, fingerprinted assets cached for a
year, gzipped JSON answers (the nearest fast path's too), and a nearby page that carries its first answer."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path

import httpx
import pytest

from geo_layers.escape import json_data_block
from geo_layers.symbols import ACCESS_ICONS, AMENITY_ICONS, KIND_STYLES
from geo_service.maps import assets, icons
from geo_service.maps.assets import ASSET_DIRS, OWN_DIR

NEARBY = {"lon": "118.02", "lat": "37.37"}
PAGES = [
    "/maps/public",
    "/maps/nearby",
    "/maps/coverage",
    "/maps/route",
    "/embed/public",
    "/maps/nearby?lon=118&lat=37.4",
]
REFERENCE = re.compile(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"')


def _raw(client, path: str, params: dict | None = None, encoding: str = "gzip") -> httpx.Response:
    """The response as it travelled: headers and the undecoded body."""
    request = client.build_request("GET", path, params=params, headers={"Accept-Encoding": encoding})
    response = client.send(request, stream=True)
    response.raw_body = b"".join(response.iter_raw())  # type: ignore[attr-defined]
    response.close()
    return response


def test_icons_file_is_what_the_generator_writes() -> None:
    assert (OWN_DIR / "icons.js").read_text(encoding="utf-8") == icons.render()


def test_icons_cover_every_symbol_and_every_icon_the_scripts_name() -> None:
    text = (OWN_DIR / "icons.js").read_text(encoding="utf-8")
    table = json.loads(text[text.index("{") : text.rindex("}") + 1].replace("\n  ", "\n"))
    named = set()
    for script in OWN_DIR.glob("*.js"):
        named |= set(re.findall(r"\bicon\('([a-z0-9-]+)'\)", script.read_text(encoding="utf-8")))
        named |= set(re.findall(r"icon: '([a-z0-9-]+)'", script.read_text(encoding="utf-8")))
        named |= set(re.findall(r"row\('([a-z0-9-]+)'", script.read_text(encoding="utf-8")))
        named |= set(re.findall(r"button\([^,]+, '([a-z0-9-]+)'", script.read_text(encoding="utf-8")))
    symbols = {s.icon for s in KIND_STYLES.values()} | set(AMENITY_ICONS.values()) | set(ACCESS_ICONS.values())
    assert {"clock", "pen", "layer-group", "location-dot"} <= named  # the patterns find what they should
    assert named | symbols <= set(table)
    # each entry is Font Awesome's own path for that name, and the licence notice travels with them
    svg = (icons.SVG_DIR / "mug-hot.svg").read_text(encoding="utf-8")
    assert table["mug-hot"][2] in svg and 'viewBox="0 0 512 512"' in svg and table["mug-hot"][:2] == [512, 512]
    assert "Font Awesome Free" in text and "CC BY 4.0" in text


def test_an_unknown_icon_name_is_refused() -> None:
    with pytest.raises(ValueError, match="no-such-icon"):
        icons.glyph("no-such-icon")


def test_no_asset_or_page_loads_an_icon_font(client) -> None:
    shipped = [f"{a.url_path}/{name}" for a in ASSET_DIRS for name in a.files]
    assert not [name for name in shipped if re.search(r"\.(woff2?|ttf|otf|eot)$|fontawesome", name)]
    for path in PAGES:
        html = client.get(path).text
        assert not re.search(r"woff|\.ttf|fontawesome|fa-solid", html), path
    css = client.get("/static/maps/maps.css").text
    assert "@font-face" not in css and "fa-solid" not in css


def test_pages_name_assets_by_content_fingerprint_and_those_urls_are_immutable(client) -> None:
    html = client.get("/maps/public").text
    assert client.get("/maps/public").headers["cache-control"] == "no-cache"
    references = [r for r in REFERENCE.findall(html) if r.startswith("/static/")]
    assert len(references) == len(assets.SCRIPTS) + len(assets.STYLESHEETS)
    for reference in references:
        path, _, version = reference.removeprefix("/static/").partition("?v=")
        assert version == hashlib.sha256(assets._FILES[path].read_bytes()).hexdigest()[:12], reference
        response = client.get(reference)
        assert response.status_code == 200 and response.content == assets._FILES[path].read_bytes()
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable", reference


@pytest.mark.parametrize(
    "url",
    [
        "/static/maps/geomaps.js",  # no fingerprint
        "/static/maps/geomaps.js?v=0123456789ab",  # an old one
        "/static/vendor/leaflet/leaflet.js?v=",
        "/static/vendor/leaflet/leaflet-src.js?v=0123456789ab",  # a file pages do not load
    ],
)
def test_assets_without_their_current_fingerprint_are_revalidated(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200 and response.headers["cache-control"] == "no-cache"


def test_fingerprint_follows_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "x.js"
    file.write_text("one", encoding="utf-8")
    monkeypatch.setitem(assets._FILES, "maps/x.js", file)
    first = assets.versioned("maps/x.js")
    file.write_text("two!", encoding="utf-8")
    assert first != assets.versioned("maps/x.js") == f"maps/x.js?v={hashlib.sha256(b'two!').hexdigest()[:12]}"
    assert assets.versioned("maps/not-an-asset.js") == "maps/not-an-asset.js"


def _assert_gzip_equals_plain(client, path: str, params: dict | None = None) -> httpx.Response:
    zipped, plain = _raw(client, path, params), _raw(client, path, params, encoding="identity")
    assert zipped.status_code == plain.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert int(zipped.headers["content-length"]) == len(zipped.raw_body) < len(plain.raw_body) / 3
    assert "accept-encoding" in zipped.headers["vary"].lower() and "accept-encoding" in plain.headers["vary"].lower()
    assert zipped.headers["content-type"] == plain.headers["content-type"]
    return zipped


def test_nearest_fast_path_answers_gzipped_to_who_accepts_it(client) -> None:
    params = {**NEARBY, "limit": 10}
    zipped = _assert_gzip_equals_plain(client, "/api/v1/facilities/nearest", params)
    body = json.loads(gzip.decompress(zipped.raw_body))
    plain = json.loads(_raw(client, "/api/v1/facilities/nearest", params, "identity").raw_body)
    body["query"].pop("evaluated_at"), plain["query"].pop("evaluated_at")
    assert body == plain and len(body["features"]) == 10
    assert zipped.headers["x-content-type-options"] == "nosniff" and "x-request-id" in zipped.headers


def test_a_routed_json_answer_is_gzipped_the_same_way(client) -> None:
    zipped = _assert_gzip_equals_plain(client, "/api/v1/facilities", {"limit": 50})
    plain = _raw(client, "/api/v1/facilities", {"limit": 50}, "identity").raw_body
    assert gzip.decompress(zipped.raw_body) == plain


def test_small_answers_refusals_and_other_types_travel_as_they_are(client) -> None:
    small = _raw(client, "/api/v1/facilities/nearest", {"lon": "east", "lat": "37"})  # a 422, fast path's own
    assert small.status_code == 422 and len(small.raw_body) < client.app.state.settings.compress_min_bytes
    assert "content-encoding" not in small.headers and "accept-encoding" in small.headers["vary"].lower()
    assert json.loads(small.raw_body)["detail"][0]["loc"] == ["query", "lon"]
    refused = _raw(client, "/api/v1/facilities/nearest", {**NEARBY, "limit": 10}, encoding="gzip;q=0, br")
    assert "content-encoding" not in refused.headers and json.loads(refused.raw_body)["numberReturned"] == 10
    health = _raw(client, "/metrics")
    assert "content-encoding" not in health.headers  # text, not JSON


def test_data_block_escaping_keeps_the_json_and_closes_nothing() -> None:
    value = {"name": "</script><!--<script>alert(1)</script>&amp;\u2028", "n": [1, 2]}
    block = json_data_block(json.dumps(value, ensure_ascii=False).encode())
    assert "<" not in block and ">" not in block and "&" not in block
    assert json.loads(block) == value


def test_nearby_page_with_a_position_carries_the_nearest_answer(client) -> None:
    params = {**NEARBY, "kind": "station", "amenity": "toilet"}
    html = client.get("/maps/nearby", params=params).text
    found = re.search(r'<script type="application/json" id="gm-first-nearest">(.*?)</script>', html, re.DOTALL)
    assert found is not None
    embedded = json.loads(found.group(1))
    api = client.get("/api/v1/facilities/nearest", params={**params, "limit": 10}).json()
    assert [f["id"] for f in embedded["features"]] == [f["id"] for f in api["features"]] and api["features"]
    assert all("toilet" in f["properties"]["amenities"] for f in embedded["features"])
    assert "gm-first-nearest" not in client.get("/maps/nearby").text  # no position: the browser asks
    assert "gm-first-nearest" not in client.get("/maps/nearby", params={"lon": 500, "lat": 37}).text


def test_the_nearby_page_loads_only_what_it_draws(client) -> None:
    html = client.get("/maps/nearby", params=NEARBY).text
    loaded = {r.removeprefix("/static/").split("?")[0] for r in REFERENCE.findall(html) if r.startswith("/static/")}
    assert loaded == {*assets.NEARBY_SCRIPTS, *assets.NEARBY_STYLESHEETS, assets.NEARBY_SCRIPT}
    assert not any("markercluster" in name or "vectorgrid" in name for name in loaded)


def _tiny_app(response_factory):
    from starlette.applications import Starlette
    from starlette.routing import Route

    from geo_service.api.compression import JsonCompression

    return JsonCompression(Starlette(routes=[Route("/", lambda request: response_factory())]), 1400, 3)


def test_a_streamed_json_body_is_compressed_as_it_streams() -> None:
    from starlette.responses import StreamingResponse
    from starlette.testclient import TestClient

    rows = [json.dumps({"id": i, "name": f"驿站 {i}"}).encode() + b"\n" for i in range(2000)]
    app = _tiny_app(lambda: StreamingResponse(iter(rows), media_type="application/geo+json"))
    with TestClient(app) as tiny:
        response = tiny.send(tiny.build_request("GET", "/", headers={"Accept-Encoding": "gzip"}), stream=True)
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip" and "content-length" not in response.headers
    assert gzip.decompress(raw) == b"".join(rows) and len(raw) < len(b"".join(rows)) / 3


def test_vary_is_added_to_the_routes_own_and_other_types_are_untouched() -> None:
    from starlette.responses import PlainTextResponse, Response
    from starlette.testclient import TestClient

    big = json.dumps(list(range(2000))).encode()
    json_app = _tiny_app(lambda: Response(big, media_type="application/json", headers={"Vary": "Authorization"}))
    text_app = _tiny_app(lambda: PlainTextResponse("x" * 5000))
    with TestClient(json_app) as tiny, TestClient(text_app) as text:
        answer = tiny.get("/", headers={"Accept-Encoding": "gzip"})
        plain = text.get("/", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["vary"] == "Authorization, Accept-Encoding" and answer.content == big
    assert answer.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers and "vary" not in plain.headers
