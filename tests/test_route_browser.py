"""The route page in real headless Chromium, on both backends, over the Binzhou sample: a pasted route (lon,lat
pairs, or GeoJSON in GCJ-02) lists what the along-route API answers, in order, with along/offset/side and
navigation links; a route drawn by tapping the map is searched; hostile input shows literally and runs
nothing; English with lang=en. Phone (390×844) and desktop screenshots go to test-artifacts/."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from geo_service.analysis.crs import wgs84_to_gcj02
from geo_service.maps.i18n import STRINGS
from tests import browser
from tests.databases import BACKENDS, loaded_database

PHONE = {"width": 390, "height": 844}
ALONG = "/api/v1/facilities/along-route"
# west to east across Binzhou's centre (WGS-84), through the sample's densest part
ROUTE = [(117.90, 37.38), (117.97, 37.385), (118.02, 37.37), (118.06, 37.36)]
HOSTILE = "<img src=x onerror=alert(1)>"
# the status line shows an answer (not empty, not "Loading…")
WAIT_ANSWER = "() => { const t = document.querySelector('.gm-nb-status').textContent; return t && t !== 'Loading…'; }"


@pytest.fixture(scope="module", params=BACKENDS)
def base(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    browser.require_chromium()
    with (
        loaded_database(str(request.param), tmp_path_factory.mktemp("route")) as url,
        browser.serve(url, map_basemap="none") as served,
    ):
        yield served


def _clean(guarded: browser.Guarded) -> None:
    assert guarded.external == [], "requests left loopback"
    assert guarded.dialogs == [], "a dialog fired"
    assert guarded.errors == []
    assert guarded.csp_violations() == [], "the page breaks its Content-Security-Policy"


def _expected(base: str, buffer_m: int = 1000) -> list[dict]:
    body = {"route": ";".join(f"{x},{y}" for x, y in ROUTE), "buffer_m": buffer_m, "limit": 100}
    answer = httpx.post(base + ALONG, json=body).json()
    return [f["properties"] for f in answer["features"]]


def _listed(page) -> list[dict]:
    return page.eval_on_selector_all(
        ".gm-result",
        """items => items.map(i => ({
            id: Number(i.dataset.id), along: Number(i.dataset.alongM),
            side: i.querySelector('.gm-rt-side').textContent, where: i.querySelector('.gm-rt-where').textContent,
            nav: Array.from(i.querySelectorAll('a.gm-btn-nav')).map(a => a.href)}))""",
    )


@pytest.mark.parametrize(("viewport", "size"), [("desktop", browser.DESKTOP), ("phone", PHONE)])
def test_a_pasted_route_lists_the_stations_along_it_in_order(context, base, viewport: str, size: dict) -> None:
    expected = _expected(base)
    assert len(expected) >= 3  # the route passes several stations: the order is tested
    shown = browser.open_page(context, f"{base}/maps/route", size)
    page = shown.page
    page.fill("#gm-route-text", ";".join(f"{x},{y}" for x, y in ROUTE))
    page.click("button.gm-rt-search")
    page.wait_for_selector(".gm-result")
    listed = _listed(page)
    assert [item["id"] for item in listed] == [p["id"] for p in expected]
    assert [item["along"] for item in listed] == [p["along_m"] for p in expected]
    assert [item["along"] for item in listed] == sorted(item["along"] for item in listed)
    for item, props in zip(listed, expected, strict=True):
        assert item["side"] == ("在行进方向左侧" if props["side"] == "left" else "在行进方向右侧")
        assert "距起点" in item["where"] and "偏离路线" in item["where"]
        assert any(href.startswith("https://uri.amap.com/") for href in item["nav"])
    assert page.locator(".leaflet-marker-icon.gm-marker").count() == len(expected)
    assert page.locator("path.leaflet-interactive, .leaflet-overlay-pane path").count() >= 1  # the route line
    assert "路线全长" in page.text_content(".gm-rt-summary")
    browser.screenshot(shown, f"route-{viewport}")
    _clean(shown)
    page.close()


def test_geojson_in_gcj02_gives_the_same_stations(context, base) -> None:
    lon, lat = wgs84_to_gcj02([x for x, _ in ROUTE], [y for _, y in ROUTE])
    line = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "LineString", "coordinates": list(zip(lon, lat, strict=True))},
    }
    shown = browser.open_page(context, f"{base}/maps/route", PHONE)
    page = shown.page
    page.fill("#gm-route-text", json.dumps(line, default=float))
    page.select_option("#gm-route-crs", "gcj02")
    page.click("button.gm-rt-search")
    page.wait_for_selector(".gm-result")
    assert [item["id"] for item in _listed(page)] == [p["id"] for p in _expected(base)]
    _clean(shown)
    page.close()


def test_a_route_drawn_on_the_map_is_searched(context, base) -> None:
    shown = browser.open_page(context, f"{base}/maps/route", browser.DESKTOP)
    page = shown.page
    page.click("button.gm-rt-draw")
    assert page.get_attribute("button.gm-rt-draw", "aria-pressed") == "true"
    box = page.locator(".folium-map").bounding_box()
    for share in (0.3, 0.5, 0.7):
        page.mouse.click(box["x"] + box["width"] * share, box["y"] + box["height"] * 0.5)
    drawn = page.input_value("#gm-route-text")
    assert drawn.count(";") == 2 and page.input_value("#gm-route-crs") == "wgs84"
    page.click("button.gm-rt-search")
    page.wait_for_function("() => document.body.dataset.loaded")
    body = httpx.post(base + ALONG, json={"route": drawn, "buffer_m": 1000, "limit": 100}).json()
    assert page.locator(".gm-result").count() == len(body["features"])
    _clean(shown)
    page.close()


def test_hostile_input_reads_literally_and_english_with_lang_en(context, base) -> None:
    shown = browser.open_page(context, f"{base}/maps/route?lang=en", PHONE)
    page = shown.page
    assert page.text_content("button.gm-rt-search").strip() == "Find stations along it"
    page.fill("#gm-route-text", HOSTILE)
    page.click("button.gm-rt-search")
    page.wait_for_function(WAIT_ANSWER)
    refused = page.text_content(".gm-nb-status")
    assert page.locator("img[src='x']").count() == 0 and page.locator(".gm-result").count() == 0
    page.fill("#gm-route-text", "117.9,37.38")  # one point
    page.click("button.gm-rt-search")
    page.wait_for_function(WAIT_ANSWER)
    one_point = page.text_content(".gm-nb-status")
    assert refused and one_point and refused != one_point, (refused, one_point)
    assert one_point == STRINGS["en"]["error_route_too_few_points"]  # keyed by the error's code, in English
    assert refused == STRINGS["en"]["error_route_unreadable"]
    browser.screenshot(shown, "route-phone-en-error")
    _clean(shown)
    page.close()
