"""The planner's journey in real headless Chromium on a desktop and a 390×844 phone viewport, on both backends,
served on loopback: change the number of sites to 65, run again, see 65 sites, export (the downloads are
opened and read), and the map reads at city zoom — district figures under the hatched gaps, sites above
them however the layers are toggled. axe-core finds no serious or critical violation; every control a
thumb can reach is at least 44 × 44 CSS px. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from geo_service.db.engine import make_engine
from geo_service.settings import Settings
from tests import browser, planner_data
from tests.databases import BACKENDS, loaded_database
from tests.test_console_browser import serious_violations

PHONE = {"width": 390, "height": 844}
PLAN_WAIT_MS = 240_000  # a page plans its sites while it loads: seconds, more on a busy 2-core machine
SITES_DRAWN = "() => document.querySelectorAll('.leaflet-gm-pane-suggested_sites-pane path.leaflet-interactive').length"
#: controls smaller than 44 × 44 CSS px (a checkbox or field counts with its label, which takes the tap)
SMALL_TARGETS = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + '[tabindex]:not([tabindex="-1"])';
  return [...document.querySelectorAll(selector)].map(node => {
    const box = (node.closest('label') || node).getBoundingClientRect();
    return {what: node.outerHTML.slice(0, 80), w: box.width, h: box.height};
  }).filter(t => t.w > 0 && t.h > 0 && (t.w < 44 || t.h < 44));
}"""
#: a screen point whose topmost hit-testable element is a district of the per-10k layer, or null
DISTRICT_POINT = """() => {
  const map = document.querySelector('.leaflet-container').getBoundingClientRect();
  for (let y = map.top + 60; y < map.bottom - 60; y += 23) {
    for (let x = map.left + 60; x < map.right - 60; x += 23) {
      const hit = document.elementFromPoint(x, y);
      if (hit && hit.closest('.leaflet-gm-pane-station_density-pane')) return [x, y];
    }
  }
  return null;
}"""
#: whether the topmost element at the centre of the first site's dot is that dot
SITE_ON_TOP = """() => {
  const dot = document.querySelector('.leaflet-gm-pane-suggested_sites-pane path.leaflet-interactive');
  const box = dot.getBoundingClientRect();
  return document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2) === dot;
}"""


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, int]]:
    """(base URL, backend, open stations) of a live server over the sample plus the planner's border stations."""
    browser.require_chromium()
    with loaded_database(str(request.param), tmp_path_factory.mktemp("planner-browser")) as url:
        engine = make_engine(Settings(db_url=url))
        planner_data.add_planner_stations(engine)
        stations = sum(planner_data.open_stations_by_stated_district(engine).values())
        engine.dispose()
        with browser.serve(url, map_basemap="none") as base:
            yield base, str(request.param), stations


@pytest.fixture
def chromium(context):
    """The session's Chromium (Playwright's sync API allows one per process): pages open in it."""
    return context


def _open(chromium, url: str, viewport: dict[str, int], touch: bool) -> browser.Guarded:
    """A guarded page at `url` once ready; `touch` pages are the phone's (the session context has no touch
    emulation, so a phone "tap" is a click on the same 390 px layout)."""
    page = chromium.new_page()
    page.set_viewport_size(viewport)
    page.set_default_timeout(PLAN_WAIT_MS)
    shown = browser.guard(page)
    page.goto(url)
    page.wait_for_function("() => document.body.classList.contains('gm-ready')")
    return shown


def _press(shown: browser.Guarded, selector: str, touch: bool) -> None:
    target = shown.page.locator(selector)
    target.scroll_into_view_if_needed()
    target.click()


def _rerun(shown: browser.Guarded, touch: bool, **fields: str) -> None:
    """Fill the panel's fields (by element id) and run the analysis again; back once the new page is ready."""
    page = shown.page
    for element_id, value in fields.items():
        if element_id == "gm-pl-district":
            page.select_option(f"#{element_id}", value)
        else:
            page.fill(f"#{element_id}", value)
    with page.expect_navigation():
        _press(shown, ".gm-pl-form button[type=submit]", touch)
    page.wait_for_function("() => document.body.classList.contains('gm-ready')")


def _download(shown: browser.Guarded, fmt: str, touch: bool, folder: Path) -> Path:
    with shown.page.expect_download() as event:
        _press(shown, f'a.gm-pl-export[data-format="{fmt}"]', touch)
    path = folder / event.value.suggested_filename
    event.value.save_as(path)
    return path


def _clean(shown: browser.Guarded) -> None:
    assert shown.errors == [] and shown.external == [] and shown.csp_violations() == []


@pytest.mark.parametrize(("device", "viewport", "touch"), [("desktop", browser.DESKTOP, False), ("phone", PHONE, True)])
def test_planner_runs_65_sites_and_exports_them(chromium, server, tmp_path: Path, device, viewport, touch) -> None:
    base, backend, stations = server
    shown = _open(chromium, f"{base}/maps/coverage?count=10", viewport, touch)
    page = shown.page
    assert page.evaluate(SITES_DRAWN) == 10
    legend = page.locator('label.gm-legend-row:has(input[data-layer="kind:station"]) .gm-legend-count')
    assert legend.text_content() == str(stations) == page.locator(".gm-pl-total td").first.text_content()
    _rerun(shown, touch, **{"gm-pl-count": "65"})
    assert "count=65" in page.url and "radius_m" not in page.url and "district=" not in page.url
    assert page.evaluate(SITES_DRAWN) == 65
    assert page.locator(".gm-pl-total td").last.text_content() == "65"
    assert page.get_by_text("建议新址（65 处）").count() == 1  # the legend says what is drawn
    workbook = openpyxl.load_workbook(io.BytesIO(_download(shown, "xlsx", touch, tmp_path).read_bytes()))
    sites = workbook["建议新址"]
    assert sites.max_row == 66 and [c.value for c in sites[1]][:3] == ["序号", "区县", "行政区划代码"]
    assert [row[0] for row in sites.iter_rows(min_row=2, values_only=True)] == list(range(1, 66))
    geojson = json.loads(_download(shown, "geojson", touch, tmp_path).read_text(encoding="utf-8"))
    assert len(geojson["features"]) == 65 and all(f["properties"]["district_name"] for f in geojson["features"])
    browser.screenshot(shown, f"planner-{device}-{backend}")
    _clean(shown)
    page.close()


def test_district_figures_show_through_the_gaps_and_sites_stay_on_top(chromium, server) -> None:
    base = server[0]
    shown = _open(chromium, f"{base}/maps/coverage?count=20", browser.DESKTOP, False)
    page = shown.page
    for gaps_on in (True, False, True):  # shown, hidden and shown again with the legend's checkbox
        point = page.evaluate(DISTRICT_POINT)
        assert point is not None, f"gaps {'on' if gaps_on else 'off'} hide every district"
        page.mouse.move(*point)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.leaflet-tooltip')].some(t => /面积覆盖/.test(t.textContent))"
        )
        assert page.evaluate(SITE_ON_TOP)
        page.mouse.move(5, 5)
        page.locator('input[data-layer="gaps"]').click()
    _clean(shown)
    page.close()


def test_custom_radius_and_district_run_again_and_read_in_english(chromium, server) -> None:
    base, backend, _ = server
    shown = _open(chromium, f"{base}/maps/coverage?lang=en&count=5", browser.DESKTOP, False)
    page = shown.page
    _rerun(shown, False, **{"gm-pl-radius": "500", "gm-pl-district": "371602"})
    assert "radius_m=500" in page.url and "preset" not in page.url and "district=371602" in page.url
    assert page.locator("#gm-pl-preset option:checked").text_content() == "Custom (500 m)"
    assert page.locator(".gm-pl-table tbody tr").count() == 2  # 滨城区 and the total
    assert page.locator("html").get_attribute("lang") == "en" and page.get_by_text("Run again").count() == 1
    assert page.evaluate(SITES_DRAWN) == 5
    browser.screenshot(shown, f"planner-en-district-{backend}")
    _clean(shown)
    page.close()


@pytest.mark.parametrize(("viewport", "touch"), [(browser.DESKTOP, False), (PHONE, True)])
def test_planner_map_passes_axe_and_thumb_sizes(chromium, server, viewport, touch) -> None:
    base, backend, _ = server
    shown = _open(chromium, f"{base}/maps/coverage?count=10", viewport, touch)
    page = shown.page
    if touch:
        page.locator(".gm-legend summary").click()  # the legend starts folded on a phone: measure it open
    assert serious_violations(shown) == []
    if touch:
        assert page.evaluate(SMALL_TARGETS) == []
        page.locator("#gm-planner").evaluate("panel => panel.scrollTo(0, panel.scrollHeight)")
        browser.screenshot(shown, f"planner-phone-panel-{backend}")
    _clean(shown)
    page.close()
