"""Map pages and their data over HTTP, on both backends: headers, no CDN, parameters, the viewport feed,
and the bbox / q filters of the facilities API that the maps use."""

from __future__ import annotations

import re

import pytest

from geo_service.maps.assets import ASSET_DIRS

PAGES = ["/maps/public", "/maps/nearby", "/maps/coverage"]
EMBEDS = ["/embed/public", "/embed/nearby", "/embed/coverage"]
BOX = (117.9, 37.3, 118.1, 37.5)


def _directives(policy: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


def _shown_count(client, **params) -> int:
    body = client.get("/api/v1/facilities", params={"status": ["open", "temporarily_closed"], "limit": 1, **params})
    return int(body.json()["numberMatched"])


@pytest.mark.parametrize("path", PAGES)
def test_pages_deny_framing(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert _directives(response.headers["content-security-policy"])["frame-ancestors"] == "'none'"
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("path", EMBEDS)
def test_embeds_send_the_configured_frame_ancestors(client, path: str) -> None:
    response = client.get(path, params={"lang": "en"})
    assert response.status_code == 200
    assert _directives(response.headers["content-security-policy"])["frame-ancestors"] == "'self'"
    assert "x-frame-options" not in response.headers
    assert 'class="gm-bar"' not in response.text  # minimal chrome: no header bar


@pytest.mark.parametrize("path", PAGES + EMBEDS)
def test_pages_load_every_asset_from_the_app_and_no_cdn(client, path: str) -> None:
    html = client.get(path).text
    references = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert references, "the page loads no assets"
    for reference in references:
        assert reference.startswith(("/static/", "data:")), reference
        if reference.startswith("/static/"):
            assert client.get(reference).status_code == 200, reference
    assert "cdn" not in html.lower()


def test_language_and_layer_parameters(client) -> None:
    english = client.get("/maps/public", params={"lang": "en"}).text
    assert '<html lang="en">' in english and "Union stations map" in english
    assert '<html lang="zh-CN">' in client.get("/maps/public").text
    only_districts = client.get("/maps/public", params={"layers": "districts"}).text
    assert '"type":"areas"' in only_districts and '"type":"facilities"' not in only_districts


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/maps/public", {"layers": "service_areas"}, "layers"),
        ("/maps/public", {"kind": "spaceport"}, "kind"),
        ("/maps/public", {"district": "朝阳区"}, "district"),
        ("/maps/public", {"lang": "fr"}, "lang"),
        ("/maps/coverage", {"radius_m": -5}, "radius_m"),
        ("/maps/coverage", {"radius_m": 0}, "radius_m"),
        ("/maps/coverage", {"radius_m": "nan"}, "radius_m"),
        ("/maps/coverage", {"radius_m": 20_001}, "radius_m"),
        ("/maps/coverage", {"kind": "rest_base"}, "kind"),
        ("/maps/nearby", {"amenity": "jacuzzi"}, "amenity"),
        ("/maps/nearby", {"mode": "fly"}, "mode"),
        ("/maps/nearby", {"max_distance_m": 0}, "max_distance_m"),
        ("/maps/nearby", {"max_distance_m": 50_001}, "max_distance_m"),
        ("/maps/nearby", {"max_distance_m": "inf"}, "max_distance_m"),
        ("/embed/elsewhere", {}, "name"),
        ("/maps/data/facilities", {"bbox": "1,2,3"}, "bbox"),
        ("/api/v1/facilities", {"bbox": "118,37,117,38"}, "bbox"),
        ("/api/v1/facilities", {"bbox": "a,b,c,d"}, "bbox"),
    ],
)
def test_bad_parameters_are_422_naming_them(client, path: str, params: dict, parameter: str) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422
    assert parameter in [d["loc"][-1] for d in response.json()["detail"]]


@pytest.mark.parametrize(
    ("params", "mode", "radius"),
    [({}, "ride", 5_000), ({"mode": "drive"}, "drive", 30_000), ({"mode": "walk", "max_distance_m": 800}, "walk", 800)],
)
def test_the_nearby_page_starts_with_the_mode_and_its_radius(client, params: dict, mode: str, radius: float) -> None:
    settings = client.app.state.settings
    assert (settings.nearby_radius_ride_m, settings.nearby_radius_drive_m) == (5_000, 30_000)  # the defaults
    html = client.get("/maps/nearby", params={"lon": 117.97, "lat": 37.38, **params}).text
    assert f'"mode":"{mode}"' in html and f'"radius_m":{radius}' in html
    assert '"radii":{"ride":5000.0,"drive":30000.0,"walk":5000.0}' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "user-scalable" not in html and "maximum-scale" not in html
    assert html.count("<main") == 1


def test_the_planner_map_radius_is_capped_by_the_settings(client) -> None:
    settings = client.app.state.settings
    cap = settings.coverage_max_radius_m
    params = {"layers": "service_areas"}
    try:
        settings.coverage_max_radius_m = 1500
        beyond = client.get("/maps/coverage", params={**params, "radius_m": 1501})
        at_cap = client.get("/maps/coverage", params={**params, "radius_m": 1500})
        settings.coverage_max_radius_m = 30_000
        raised = client.get("/maps/coverage", params={**params, "radius_m": 25_000})
    finally:
        settings.coverage_max_radius_m = cap
    assert beyond.status_code == 422 and beyond.json()["detail"][0]["loc"] == ["query", "radius_m"]
    assert at_cap.status_code == 200 and '"radius_m":1500.0' in at_cap.text
    assert raised.status_code == 200 and '"radius_m":25000.0' in raised.text
    default = client.get("/maps/coverage", params=params).text
    assert f'"radius_m":{float(settings.map_service_radius_m)!r}' in default


def test_embedded_public_map_holds_every_shown_facility(client) -> None:
    html = client.get("/maps/public").text
    assert html.count('"type":"Feature","id":') == _shown_count(client)


def test_district_filter_narrows_the_embedded_facilities(client) -> None:
    html = client.get("/embed/public", params={"district": "371602", "layers": "facilities"}).text
    assert html.count('"type":"Feature","id":') == _shown_count(client, district="371602")


def test_bbox_filter_keeps_exactly_the_points_inside(client) -> None:
    every = client.get("/api/v1/facilities", params={"limit": 500}).json()["features"]
    inside = {
        f["id"]
        for f in every
        if BOX[0] <= f["geometry"]["coordinates"][0] <= BOX[2] and BOX[1] <= f["geometry"]["coordinates"][1] <= BOX[3]
    }
    body = client.get("/api/v1/facilities", params={"bbox": ",".join(map(str, BOX)), "limit": 500}).json()
    assert inside and {f["id"] for f in body["features"]} == inside
    assert body["numberMatched"] == len(inside)


def test_q_finds_by_name_or_code_case_insensitively(client) -> None:
    first = client.get("/api/v1/facilities", params={"limit": 1}).json()["features"][0]["properties"]
    by_code = client.get("/api/v1/facilities", params={"q": first["code"].lower()}).json()["features"]
    assert first["id"] in [f["id"] for f in by_code]
    by_name = client.get("/api/v1/facilities", params={"q": first["name"][2:8]}).json()["features"]
    assert all(first["name"][2:8] in f["properties"]["name"] for f in by_name) and by_name
    assert client.get("/api/v1/facilities", params={"q": "%_"}).json()["numberMatched"] == 0


def test_viewport_feed_gives_markers_or_clusters_that_add_up(client) -> None:
    box = ",".join(map(str, BOX))
    expected = _shown_count(client, bbox=box)
    features = client.get("/maps/data/facilities", params={"bbox": box}).json()
    assert features["mode"] == "features" and len(features["features"]) == features["numberMatched"] == expected
    assert {f["properties"]["open_state"] for f in features["features"]} <= {"open", "closed", "unknown"}
    whole = "116,36,119,39"
    app_settings = client.app.state.settings
    limit = app_settings.map_viewport_max_features
    app_settings.map_viewport_max_features = 10
    try:
        clusters = client.get("/maps/data/facilities", params={"bbox": whole, "cell": 0.2, "kind": "station"}).json()
    finally:
        app_settings.map_viewport_max_features = limit
    assert clusters["mode"] == "clusters"
    assert sum(c[2] for c in clusters["clusters"]) == clusters["numberMatched"] == _shown_count(client, kind="station")


def test_assets_are_served(client) -> None:
    for asset in ASSET_DIRS:
        for name in asset.files:
            assert client.get(f"/static/{asset.url_path}/{name}").status_code == 200, name


def test_pages_feeds_and_assets_travel_gzipped(client) -> None:
    for path in ["/maps/public", "/maps/data/facilities?bbox=117,36,119,38", "/static/vendor/leaflet/leaflet.js"]:
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200 and response.headers["content-encoding"] == "gzip", path
    assert "content-encoding" not in client.get("/maps/public", headers={"Accept-Encoding": "identity"}).headers
