"""The public map in vector-tile mode (more facilities than GEO_MAP_TILES_MIN_FEATURES), in real headless
Chromium, offline (basemap none), on both backends: clusters whose counts add up to every facility shown,
every facility as its own point from zoom 10, kind toggles, and a card for a hostile name read literally."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests import browser
from tests.databases import BACKENDS
from tests.ogc_data import HOSTILE, ogc_database

SHOWN = {"status": ["open", "temporarily_closed"], "limit": 1}
TALL = {"width": 1100, "height": 1700}
TILE_COUNT = "(GeoMaps.state().tileCount ? GeoMaps.state().tileCount() : -1)"
#: the numbers a person reads on the cluster bubbles of the tiles of the current zoom (tiles on the page only)
BUBBLES = """(() => {
  const grid = GeoMaps.state().tileGrid, z = GeoMaps.state().map.getZoom();
  let n = 0;
  for (const t of Object.values(grid._tiles)) {
    if (!t.current || !t.loaded || t.coords.z !== z || !t.el.isConnected) continue;
    for (const c of t.el.querySelectorAll('.gm-tile-cluster')) n += parseInt(c.textContent, 10);
  }
  return n;
})()"""


@pytest.fixture(scope="module", params=BACKENDS)
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, backend) of a live server in tile mode, with no basemap: nothing may leave loopback."""
    browser.require_chromium()
    database = ogc_database(str(request.param), tmp_path_factory.mktemp("tilemap"))
    with database as url, browser.serve(url, map_basemap="none", map_tiles_min_features="50") as live:
        yield live, str(request.param)


def _shown(base: str, **params) -> int:
    return int(httpx.get(f"{base}/api/v1/facilities", params={**SHOWN, **params}).json()["numberMatched"])


def test_public_map_draws_every_facility_from_tiles(context, served: tuple[str, str]) -> None:
    base, backend = served
    total, stations = _shown(base), _shown(base, kind="station")
    shown = browser.open_page(context, f"{base}/maps/public", TALL)
    page = shown.page
    page.wait_for_function(f"() => {TILE_COUNT} === {total}")
    assert page.evaluate("GeoMaps.state().map.getZoom()") >= 10  # the whole sample fits this tall view at zoom 10
    page.wait_for_function(f"() => document.querySelectorAll('.gm-tile-point').length === {total}")  # one point each
    page.evaluate("() => { const m = GeoMaps.state().map; m.setView(m.getCenter(), 8, {animate: false}); }")
    page.wait_for_function(
        f"() => {TILE_COUNT} === {total} && document.querySelectorAll('.gm-tile-point').length === 0"
    )
    page.wait_for_function(f"() => {BUBBLES} === {total}")  # the counts people read add up
    assert page.locator(".leaflet-marker-icon.gm-marker").count() == 0
    browser.screenshot(shown, f"public-tiles-clusters-{backend}")
    page.uncheck("input[data-layer='kind:station']")
    page.wait_for_function(f"() => {TILE_COUNT} === {total - stations}")
    page.check("input[data-layer='kind:station']")
    page.wait_for_function(f"() => {TILE_COUNT} === {total}")
    assert shown.external == [] and shown.errors == [] and shown.dialogs == []
    page.close()


def test_tile_point_card_reads_a_hostile_name_literally(context, served: tuple[str, str]) -> None:
    base, backend = served
    shown = browser.open_page(context, f"{base}/maps/public", browser.DESKTOP)
    page = shown.page
    page.evaluate("() => GeoMaps.state().map.setView([37.42, 117.96], 14, {animate: false})")
    point = page.locator(f".gm-tile-point[title={json.dumps(HOSTILE)}]")
    point.wait_for()
    point.click()
    page.wait_for_selector(".leaflet-popup .gm-card-title")
    assert page.locator(".leaflet-popup .gm-card-title").text_content() == HOSTILE
    assert page.locator("script:text('alert(1)')").count() == 0
    browser.screenshot(shown, f"public-tiles-card-{backend}")
    assert shown.external == [] and shown.errors == [] and shown.dialogs == []
    page.close()
