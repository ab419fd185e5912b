"""The map pages in real headless Chromium, served by a real server on loopback, on both backends.

Checked as a person would see them: Leaflet starts, every facility shown is on the map (markers plus
cluster counts), layer toggles work, the nearby page lists what the nearest API answers, hostile names
run no script and read literally, and with basemap `none` no request leaves loopback. Screenshots of
phone and desktop views go to test-artifacts/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from geo_layers.units import distance_text
from geo_service.analysis.crs import wgs84_to_gcj02
from geo_service.db.engine import make_engine
from geo_service.db.models import Facility
from geo_service.maps.i18n import STRINGS
from geo_service.maps.render import render_site
from geo_service.queries.facility_edits import facility_id_by_code
from geo_service.queries.reports import NewReport, insert_report
from geo_service.records import FacilityRecord
from geo_service.settings import Settings
from tests import browser
from tests.databases import BACKENDS, loaded_database
from tests.test_maps_layers import DISTANCES

PAYLOADS = ["<img src=x onerror=alert(1)>", "${alert(1)}", "`);alert(1);//", "</script><script>alert(1)</script>"]
XSS_POINT = (117.95, 37.45)
SHOWN = {"status": ["open", "temporarily_closed"]}
COUNT_ON_MAP = """() => {
  let n = document.querySelectorAll('.leaflet-marker-icon.gm-marker').length;
  for (const c of document.querySelectorAll('.gm-cluster-icon, .gm-server-cluster')) n += parseInt(c.textContent, 10);
  return n;
}"""


def _hostile_records() -> list[FacilityRecord]:
    """Hostile text in every free-text field. Unparseable hours are refused by FacilityRecord, but the
    page must show literally whatever the database holds (plain SQL writes too), so the hours are set
    past validation (model_copy does not validate)."""
    return [
        FacilityRecord(
            code=f"XSS-{i}",
            kind="station",
            name=payload,
            address=payload,
            phone=payload[:40],
            district_adcode="371602",
            lon=XSS_POINT[0] + 0.001 * i,
            lat=XSS_POINT[1],
            amenities=["toilet"],
        ).model_copy(update={"opening_hours": payload})
        for i, payload in enumerate(PAYLOADS)
    ]


@dataclass(frozen=True)
class Servers:
    """Two live servers over one database of the sample plus hostile names."""

    plain: str  # basemap none: no request may leave loopback
    amap: str  # Amap tiles (GCJ-02) and small limits: the public map loads facilities per viewport
    db_url: str
    backend: str


@pytest.fixture(scope="session", params=BACKENDS)
def servers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    browser.require_chromium()
    with loaded_database(str(request.param), tmp_path_factory.mktemp("browser"), _hostile_records()) as url:
        small = {"map_embed_max_features": "50", "map_viewport_max_features": "100"}
        with browser.serve(url, map_basemap="none") as plain, browser.serve(url, map_basemap="amap", **small) as amap:
            yield Servers(plain=plain, amap=amap, db_url=url, backend=str(request.param))


def _shown(base: str, **params) -> int:
    body = httpx.get(f"{base}/api/v1/facilities", params={**SHOWN, "limit": 1, **params}).json()
    return int(body["numberMatched"])


def _clean(guarded: browser.Guarded) -> None:
    assert guarded.external == [], "requests left loopback"
    assert guarded.dialogs == [], "a dialog fired"
    assert guarded.errors == []
    assert guarded.csp_violations() == [], "the page breaks its Content-Security-Policy"


@pytest.mark.parametrize(("viewport", "size"), [("desktop", browser.DESKTOP), ("phone", browser.PHONE)])
def test_public_map_shows_every_facility_and_toggles_layers(context, servers, viewport: str, size: dict) -> None:
    base = servers.plain
    shown = browser.open_page(context, f"{base}/maps/public", size)
    page = shown.page
    assert page.evaluate("typeof L === 'object' && L.version") == "1.9.3"
    total = _shown(base)
    page.wait_for_function(f"() => ({COUNT_ON_MAP})() === {total}")
    browser.screenshot(shown, f"public-{viewport}-{servers.backend}")
    stations = _shown(base, kind="station")
    if viewport == "phone":
        page.click(".gm-legend summary")
    page.uncheck("input[data-layer='kind:station']")
    page.wait_for_function(f"() => ({COUNT_ON_MAP})() === {total - stations}")
    page.uncheck("input[data-layer='districts']")
    page.wait_for_function("() => document.querySelectorAll('.gm-area-label').length === 0")  # after their fade-out
    page.check("input[data-layer='kind:station']")
    page.wait_for_function(f"() => ({COUNT_ON_MAP})() === {total}")
    _clean(shown)
    page.close()


@pytest.mark.parametrize(("viewport", "size"), [("desktop", browser.DESKTOP), ("phone", browser.PHONE)])
def test_nearby_page_lists_what_the_nearest_api_answers(context, servers, viewport: str, size: dict) -> None:
    base, lon, lat = servers.plain, 118.02, 37.37
    within = {"lon": lon, "lat": lat, "limit": 10, "max_distance_m": Settings().nearby_radius_ride_m}
    api = httpx.get(f"{base}/api/v1/facilities/nearest", params=within).json()
    shown = browser.open_page(context, f"{base}/maps/nearby?lon={lon}&lat={lat}", size)
    page = shown.page
    page.wait_for_selector(".gm-result")
    ids = page.eval_on_selector_all(".gm-result", "items => items.map(i => Number(i.dataset.id))")
    assert ids == _open_first(api["features"])
    assert page.locator(".leaflet-marker-icon.gm-marker").count() == len(ids)
    hours = page.eval_on_selector_all(
        ".gm-result .gm-card", "cards => cards.map(c => c.querySelector('.gm-row-text').textContent)"
    )
    by_id = {f["id"]: f for f in api["features"]}
    assert hours == [by_id[i]["properties"]["hours_text"] for i in ids]  # words, not opening_hours syntax
    assert page.locator(".gm-result .gm-open").count() == len(ids)  # every card says its state in words
    # the map is framed on the rider and the first three results (not on the whole area)
    first = [by_id[i]["geometry"]["coordinates"] for i in ids[:3]] + [[api["query"]["lon"], api["query"]["lat"]]]
    assert page.evaluate(NEARBY_FRAMED, first) is True
    browser.screenshot(shown, f"nearby-{viewport}-{servers.backend}")
    page.click("button.gm-chip:has-text('卫生间')")
    page.wait_for_function("() => document.body.dataset.loaded && location.search.includes('amenity=toilet')")
    with_toilet = httpx.get(f"{base}/api/v1/facilities/nearest", params={**within, "amenity": "toilet"}).json()
    page.wait_for_function(f"() => document.querySelectorAll('.gm-result').length === {len(with_toilet['features'])}")
    _clean(shown)
    page.close()


def _open_first(features: list[dict]) -> list[int]:
    """Ids in the nearby page's order: open, then unknown hours, then closed; nearest first within each."""
    rank = {"open": 0, "unknown": 1, "closed": 2}
    return [f["id"] for f in sorted(features, key=lambda f: rank[f["properties"]["open_state"]])]


def test_nearby_page_uses_the_browser_position(context, servers) -> None:
    context.set_geolocation({"longitude": 117.97, "latitude": 37.38})
    shown = browser.open_page(context, f"{servers.plain}/maps/nearby?lang=en", browser.PHONE)
    shown.page.wait_for_selector(".gm-result")
    assert "lon=117.97" in shown.page.url
    _clean(shown)
    shown.page.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_words_api_errors_and_distances_in_its_language(context, servers, lang: str) -> None:
    """An error of the nearest API reads in the page's language (keyed by its code, not the API's English
    text), and the page script writes distances as the server does (geo_layers.units.distance_text)."""
    shown = browser.open_page(context, f"{servers.plain}/maps/nearby?lang={lang}&lon=100&lat=30", browser.PHONE)
    page, words = shown.page, STRINGS[lang]
    page.wait_for_function(
        "text => document.querySelector('.gm-nb-status').textContent === text", arg=words["error_outside_service_area"]
    )
    metres = [row[0] for row in DISTANCES]
    written = page.evaluate("ms => ms.map(m => GeoMaps.formatDistance(m))", metres)
    assert written == [row[1 if lang == "zh" else 2] for row in DISTANCES]
    assert written == [distance_text(m, words) for m in metres]
    browser.screenshot(shown, f"nearby-error-{lang}-{servers.backend}")
    _clean(shown)
    page.close()


def _pages_with_hostile_names(servers: dict[str, str], site: Path) -> list[str]:
    base, (lon, lat) = servers.plain, XSS_POINT
    return [
        f"{base}/maps/public",
        f"{base}/maps/public?lang=en",
        f"{base}/maps/coverage",
        f"{base}/embed/public?district=371602",
        f"{base}/maps/nearby?lon={lon}&lat={lat}",
        f"{base}/embed/nearby?lon={lon}&lat={lat}",
        (site / "index.html").as_uri(),
    ]


NEARBY_FRAMED = """(points) => {
  const map = GeoMaps.state().map, view = map.getBounds();
  return map.getZoom() >= 11 && points.every(([lon, lat]) => view.contains(L.latLng(lat, lon)));
}"""
OPEN_HOSTILE_CARDS = """() => GeoMaps.state().searchIndex.filter(e => e.p.code.startsWith('XSS-')).map(e => {
  e.marker.openPopup();
  return e.marker.getPopup().getElement().querySelector('.gm-card-title').textContent;
})"""


def _search_and_open_each(shown: browser.Guarded, name: str) -> None:
    """Find each hostile facility with the search box, as a user would, and read its card."""
    page = shown.page
    for payload in PAYLOADS:
        page.fill(".gm-search input", payload)
        page.click(".gm-search-hit")
        page.wait_for_function(  # a function, not an expression: the page's CSP forbids eval
            f"() => document.querySelectorAll('.leaflet-popup').length === 1 && "
            f"document.querySelector('.gm-card-title').textContent === {json.dumps(payload)}"
        )
        card = page.locator(".leaflet-popup-content .gm-card")
        assert card.locator(".gm-card-title").text_content() == payload
        assert payload in card.text_content()  # the address and the hours too
    page.wait_for_timeout(300)  # the popup's fade-in
    browser.screenshot(shown, name)


def test_hostile_names_run_nothing_and_read_literally(context, servers, tmp_path: Path) -> None:
    settings = Settings(db_url=servers.db_url, map_basemap="none")
    engine = make_engine(settings)
    render_site(engine, settings, tmp_path)
    engine.dispose()
    lon, lat = XSS_POINT[0] + 0.0015, XSS_POINT[1]
    for number, url in enumerate(_pages_with_hostile_names(servers, tmp_path)):
        shown = browser.open_page(context, url)
        page = shown.page
        if "/nearby" in url:
            page.wait_for_selector(".gm-result")
            titles = page.eval_on_selector_all(".gm-card-title", "ts => ts.map(t => t.textContent)")
            assert set(PAYLOADS) <= set(titles), url
        else:  # close in, where markers are not clustered, so each card opens at once
            page.evaluate(f"() => {{ GeoMaps.state().map.setView([{lat}, {lon}], 17, {{animate: false}}); }}")
            if number == 0:
                _search_and_open_each(shown, f"public-hostile-{servers.backend}")
            else:
                assert sorted(page.evaluate(OPEN_HOSTILE_CARDS)) == sorted(PAYLOADS), url
        assert page.locator("img[src='x']").count() == 0
        page.wait_for_timeout(100)
        _clean(shown)
        page.close()


def test_amap_basemap_shifts_markers_and_survives_blocked_tiles(context, servers) -> None:
    base = servers.amap
    shown = browser.open_page(context, f"{base}/maps/public", browser.DESKTOP)
    page = shown.page
    total = _shown(base)
    page.wait_for_function("() => document.querySelector('.gm-server-cluster') !== null")
    assert page.evaluate(COUNT_ON_MAP) == total  # server clusters add up to every facility in view
    assert shown.external and all("autonavi.com" in url for url in shown.external)
    assert page.locator(".gm-notice").count() == 1  # the blocked tiles are reported, the page works on
    points = [(117.97, 37.38), (118.3, 37.1), (121.47, 31.23)]
    shifted = page.evaluate("pts => pts.map(p => GeoMaps.toDisplay(p[0], p[1]))", points)
    for (lon, lat), (s_lat, s_lon) in zip(points, shifted, strict=True):
        e_lon, e_lat = wgs84_to_gcj02(lon, lat)
        assert abs(s_lon - float(e_lon)) < 1e-9 and abs(s_lat - float(e_lat)) < 1e-9
    page.evaluate("() => { GeoMaps.state().map.setView(GeoMaps.toDisplay(117.97, 37.38), 15); }")
    page.wait_for_function("() => document.querySelector('.leaflet-marker-icon.gm-marker') !== null")
    browser.screenshot(shown, f"public-amap-viewport-{servers.backend}")
    assert shown.dialogs == [] and shown.errors == []
    assert shown.csp_violations() == []  # the tiles were blocked by the test, not by the policy
    page.close()


def test_the_csp_check_sees_a_violation(context) -> None:
    """The violation check above can fail: a page whose policy forbids its inline script is caught."""
    page = context.new_page()
    guarded = browser.Guarded(page)
    page.on("console", lambda message: browser._record_csp_message(guarded, message.text))
    page.add_init_script(browser._RECORD_CSP)
    html = "<!DOCTYPE html><html><body><script>document.title = 'ran';</script></body></html>"
    headers = {"content-type": "text/html", "content-security-policy": "script-src 'self'"}
    page.route("http://127.0.0.1:9/csp-probe", lambda route: route.fulfill(status=200, headers=headers, body=html))
    page.goto("http://127.0.0.1:9/csp-probe")
    page.wait_for_timeout(200)
    assert page.title() != "ran"
    violations = guarded.csp_violations()
    assert any(v.startswith("script-src") for v in violations), violations
    assert any("Content Security Policy" in v for v in guarded.console_csp), violations
    page.close()


OPEN_CARD = """code => {
  const entry = GeoMaps.state().searchIndex.find(e => e.p.code === code);
  entry.marker.openPopup();
  return entry.marker.getPopup().getElement().querySelector('.gm-card').textContent;
}"""


def test_cards_say_when_a_facility_was_checked_and_how_many_reports_wait(context, servers) -> None:
    engine = make_engine(Settings(db_url=servers.db_url))
    with engine.begin() as conn:
        checked, reported = (facility_id_by_code(conn, code) for code in ("XSS-1", "XSS-2"))
        conn.execute(update(Facility).where(Facility.id == checked).values(last_verified_at=date(2026, 11, 30)))
        for _ in range(2):
            report = NewReport(reported, "dirty", None, None, None, "b" * 64)  # type: ignore[arg-type]
            insert_report(conn, report, datetime.now(UTC))
    engine.dispose()
    lon, lat = XSS_POINT[0] + 0.0015, XSS_POINT[1]
    for lang, verified, never, waiting in (
        ("zh", "最近核实：2026-11-30", "最近核实：尚未核实", "2 条问题反馈待核实"),
        (
            "en",
            "Last checked：2026-11-30",
            "Last checked：not yet checked",
            "2 problem report(s) waiting to be checked",
        ),
    ):
        shown = browser.open_page(context, f"{servers.plain}/maps/public?lang={lang}")
        page = shown.page
        page.evaluate(f"() => {{ GeoMaps.state().map.setView([{lat}, {lon}], 17, {{animate: false}}); }}")
        checked_card, reported_card = page.evaluate(OPEN_CARD, "XSS-1"), page.evaluate(OPEN_CARD, "XSS-2")
        assert verified in checked_card and "2026-11-30" not in reported_card and never in reported_card
        assert waiting in reported_card and waiting not in checked_card
        _clean(shown)
        page.close()
