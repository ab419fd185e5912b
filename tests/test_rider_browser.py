"""The rider's and the driver's nearby page in real headless Chromium on a 390 × 844 touch phone, served on
loopback, on both backends; plus the partner embed, axe-core and thumb-sized targets on every public page.

Taps are real touch events (the DevTools protocol's touch emulation, as a phone in WeChat sends them). The
answers are checked against the database rows themselves: geodesic distances computed here by brute force
with pyproj, amenities and opening hours read from the rows, deep links against the rows' coordinates.
The facilities of these journeys lie ~57 km from the nearest sample facility, so every result within the
drive radius is one of the rows defined below (each with hours that never change: 24/7, off or none).
"""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from pyproj import Geod
from sqlalchemy import func, select

from geo_service.analysis.hours import parse_hours, state_at
from geo_service.db.engine import make_engine
from geo_service.db.models import Facility
from geo_service.records import FacilityRecord
from geo_service.settings import Settings
from tests import browser
from tests.databases import BACKENDS, loaded_database
from tests.test_console_browser import serious_violations

PHONE = {"width": 390, "height": 844}
RIDER = (118.70, 38.40)  # WGS-84; the nearest sample facility is ~57 km away
RIDE_RADIUS_M, DRIVE_RADIUS_M, LIMIT = 5_000.0, 30_000.0, 10
GEOD = Geod(ellps="WGS84")
STATE_ORDER = {"open": 0, "unknown": 1, "closed": 2}
#: (code, bearing°, metres from RIDER, amenities, opening hours, truck spaces)
PLACES = [
    ("RD-CLOSED", 30, 600, ["ebike_charging", "cold_water"], "off", 0),
    ("RD-TOILET-CLOSED", 200, 900, ["toilet"], "off", 0),
    ("RD-OPEN-1", 120, 1_500, ["ebike_charging"], "24/7", 0),
    ("RD-OPEN-2", 300, 2_500, ["ebike_charging", "toilet"], "24/7", 0),
    ("RD-UNKNOWN", 60, 3_500, ["ebike_charging"], None, 0),
    ("RD-TOILET", 250, 4_500, ["toilet", "microwave"], "24/7", 0),
    ("RD-WIDER", 90, 7_000, ["ebike_charging"], "24/7", 0),
    ("TR-NEAR", 160, 3_000, ["truck_parking", "toilet"], "24/7", 12),
    ("TR-CLOSED", 20, 6_000, ["truck_parking"], "off", 8),
    ("TR-FAR", 270, 12_000, ["truck_parking", "hot_water"], "24/7", 40),
    ("TR-FARTHER", 180, 26_000, ["truck_parking"], "24/7", 5),
    ("TR-OUTSIDE", 0, 34_000, ["truck_parking"], "24/7", 60),
    ("NO-TRUCKS", 340, 8_000, ["toilet"], "24/7", 0),
]
#: every control a thumb can reach that is smaller than 44 × 44 CSS px (a checkbox counts with its label)
SMALL_TARGETS = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], '
    + '[tabindex]:not([tabindex="-1"]), .leaflet-marker-icon';
  return [...document.querySelectorAll(selector)].filter(n => n.checkVisibility()).map(node => {
    const box = (node.closest('label') || node).getBoundingClientRect();
    return {what: node.outerHTML.slice(0, 90), w: Math.round(box.width), h: Math.round(box.height)};
  }).filter(t => t.w > 0 && t.h > 0 && (t.w < 44 || t.h < 44));
}"""
RESULT_IDS = "() => [...document.querySelectorAll('.gm-result')].map(i => Number(i.dataset.id))"
#: whether a WGS-84 point (basemap none: the map's own coordinates) is inside the map's visible area
IN_VIEW = "([lat, lon]) => GeoMaps.state().map.getBounds().pad(-0.02).contains([lat, lon])"


@dataclass(frozen=True)
class Row:
    """A facility as the database holds it."""

    id: int
    code: str
    lon: float
    lat: float
    amenities: list[str]
    hours: str | None
    trucks: int

    def state(self) -> str:
        now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
        return state_at(parse_hours(self.hours), now).value

    def metres_from(self, lon: float, lat: float) -> float:
        return float(GEOD.inv(lon, lat, self.lon, self.lat)[2])


@dataclass(frozen=True)
class Live:
    base: str
    backend: str
    rows: list[Row]  # every open facility in the database
    partner: str  # a partner site's origin, allowed to frame the embeds (GEO_MAP_FRAME_ANCESTORS)
    stranger: str  # the same pages from an origin that is not


@contextmanager
def partner_site(port: int) -> Iterator[None]:
    """A partner's web site on loopback: /partner?src=URL is a page framing URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            src = html.escape(parse_qs(urlsplit(self.path).query).get("src", [""])[0])
            body = (
                '<!DOCTYPE html><html lang="zh-CN"><head><title>合作单位</title></head><body>'
                f'<iframe title="附近驿站" src="{src}" width="390" height="700"></iframe></body></html>'
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def _records() -> list[FacilityRecord]:
    records = []
    for code, bearing, metres, amenities, hours, trucks in PLACES:
        lon, lat, _ = GEOD.fwd(RIDER[0], RIDER[1], bearing, metres)
        records.append(
            FacilityRecord(
                code=code,
                kind="station",
                name=f"{code} 驿站",
                district_adcode="371623",
                lon=round(float(lon), 6),
                lat=round(float(lat), 6),
                amenities=amenities,
                opening_hours=hours,
                truck_parking_spaces=trucks,
            )
        )
    return records


def _open_rows(url: str) -> list[Row]:
    engine = make_engine(Settings(db_url=url))
    query = select(
        Facility.id,
        Facility.code,
        func.ST_X(Facility.geom),
        func.ST_Y(Facility.geom),
        Facility.amenities,
        Facility.opening_hours,
        Facility.truck_parking_spaces,
    ).where(Facility.status == "open", Facility.deleted_at.is_(None))
    with engine.connect() as conn:
        rows = [
            Row(r[0], r[1], float(r[2]), float(r[3]), list(r[4] or []), r[5], int(r[6] or 0))
            for r in conn.execute(query)
        ]
    engine.dispose()
    return rows


@pytest.fixture(scope="module", params=BACKENDS)
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    browser.require_chromium()
    with loaded_database(str(request.param), tmp_path_factory.mktemp("rider"), _records()) as url:
        port = browser.free_port()
        partner, stranger = f"http://localhost:{port}", f"http://127.0.0.1:{port}"
        with partner_site(port), browser.serve(url, map_basemap="none", map_frame_ancestors=partner) as base:
            yield Live(base, str(request.param), _open_rows(url), partner, stranger)


def expected(
    live: Live, at: tuple[float, float], radius_m: float, amenities: tuple[str, ...] = (), open_now: bool = False
) -> list[Row]:
    """What the page must list, by brute force over the rows: the nearest LIMIT within the radius having the
    amenities (open ones only with open_now), then open first, unknown hours next, closed last."""
    hits = []
    for row in live.rows:
        if not set(amenities) <= set(row.amenities) or (open_now and row.state() != "open"):
            continue
        metres = row.metres_from(*at)
        if metres <= radius_m:
            hits.append((metres, row.id, row))
    nearest = [row for _, _, row in sorted(hits)[:LIMIT]]
    return sorted(nearest, key=lambda row: STATE_ORDER[row.state()])


# -- touch ---------------------------------------------------------------------------------------------


@dataclass
class Phone:
    """A guarded page in a touch phone's context (Playwright's touch emulation: taps are touch events)."""

    shown: browser.Guarded

    @property
    def page(self):
        return self.shown.page

    def tap_at(self, x: float, y: float) -> None:
        self.page.touchscreen.tap(x, y)

    def tap(self, selector: str) -> None:
        self.page.locator(selector).tap()


@pytest.fixture(scope="module")
def touch(context) -> Iterator[object]:
    """A 390 × 844 touch phone (mobile viewport: the page's <meta name=viewport> applies) in the session's
    Chromium (Playwright's sync API allows one per process)."""
    phone_context = context.browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=3, locale="zh-CN"
    )
    yield phone_context
    phone_context.close()


def phone(touch, url: str) -> Phone:
    """`url` on the touch phone, once the page script has run."""
    shown = browser.guard(touch.new_page())
    shown.page.goto(url)
    shown.page.wait_for_function("() => document.body.classList.contains('gm-ready')")
    return Phone(shown)


def _clean(shown: browser.Guarded) -> None:
    assert shown.external == [], "requests left loopback"
    assert shown.dialogs == [], "a dialog fired"
    assert shown.errors == []
    assert shown.csp_violations() == [], "the page breaks its Content-Security-Policy"


def _wait_for(device: Phone, rows: list[Row]) -> None:
    ids = [row.id for row in rows]
    device.page.wait_for_function(f"() => JSON.stringify(({RESULT_IDS})()) === JSON.stringify({ids})")


def _url_params(device: Phone) -> dict[str, list[str]]:
    return parse_qs(urlsplit(device.page.url).query)


# -- (a) the rider ---------------------------------------------------------------------------------------


def test_rider_finds_open_charging_nearby_and_moves_only_when_asked(touch, live: Live) -> None:
    lon, lat = RIDER
    device = phone(touch, f"{live.base}/maps/nearby?lon={lon}&lat={lat}")
    page = device.page
    _wait_for(device, expected(live, RIDER, RIDE_RADIUS_M))
    first_row = page.locator(".gm-chips-first .gm-chip")
    assert first_row.evaluate_all("cs => cs.map(c => c.dataset.code || c.dataset.filter)") == [
        "open",
        "cold_water",
        "ebike_charging",
        "toilet",
        "microwave",
        "more",
    ]
    # every chip of the first row is on screen, none scrolls sideways out of view
    assert page.evaluate(
        "() => [...document.querySelectorAll('.gm-chips-first .gm-chip')]"
        ".every(c => c.getBoundingClientRect().right <= innerWidth)"
    )
    _charging_open_first(device, live)
    device.tap("button.gm-chip[data-filter=open]")
    open_charging = expected(live, RIDER, RIDE_RADIUS_M, ("ebike_charging",), open_now=True)
    _wait_for(device, open_charging)
    assert all(row.state() == "open" for row in open_charging) and len(open_charging) == 2
    _first_results_and_rider_in_view(device, open_charging)
    _active_filters_stay_visible(device, ["现在营业", "电动车充电"])
    _search_wider(device, live)
    device.tap(".gm-active .gm-clear")
    _wait_for(device, expected(live, RIDER, RIDE_RADIUS_M))
    params = _url_params(device)
    assert "amenity" not in params and "open_now" not in params and "max_distance_m" not in params
    assert page.locator(".gm-active .gm-active-none").count() == 1
    assert page.locator(".gm-chip[aria-pressed=true]").count() == 0
    _tap_the_map_to_move(device, live)
    _clean(device.shown)
    page.close()


def _charging_open_first(device: Phone, live: Live) -> None:
    page = device.page
    device.tap("button.gm-chip[data-code=ebike_charging]")
    charging = expected(live, RIDER, RIDE_RADIUS_M, ("ebike_charging",))
    _wait_for(device, charging)
    assert [row.code for row in charging] == ["RD-OPEN-1", "RD-OPEN-2", "RD-UNKNOWN", "RD-CLOSED"]  # open first
    closed = page.locator(f".gm-result[data-id='{charging[-1].id}']")
    assert (
        "gm-result-closed" in (closed.get_attribute("class") or "") and closed.locator(".gm-open-closed").count() == 1
    )
    distances = [row.metres_from(*RIDER) for row in charging]
    assert max(distances) <= RIDE_RADIUS_M
    browser.screenshot(device.shown, f"rider-charging-phone-{live.backend}")


def _first_results_and_rider_in_view(device: Phone, rows: list[Row]) -> None:
    page = device.page
    assert page.evaluate(IN_VIEW, [RIDER[1], RIDER[0]]), "the rider is off the map"
    for row in rows[:3]:
        assert page.evaluate(IN_VIEW, [row.lat, row.lon]), f"{row.code} is off the map"
    zoom = page.evaluate("() => GeoMaps.state().map.getZoom()")
    assert zoom >= 12, "the map zoomed out further than the first results need"


def _active_filters_stay_visible(device: Phone, labels: list[str]) -> None:
    page = device.page
    page.locator("#gm-panel").evaluate("panel => panel.scrollTo(0, panel.scrollHeight)")
    active = page.locator(".gm-active")
    for label in labels:
        assert active.locator(f".gm-active-chip:has-text('{label}')").count() == 1
    box = page.locator(".gm-active .gm-clear").bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
    visible = page.evaluate(
        """() => { const b = document.querySelector('.gm-active .gm-clear').getBoundingClientRect();
        return document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2).closest('.gm-clear') !== null; }"""
    )
    assert visible, "the clear button is covered after scrolling the list"


def _search_wider(device: Phone, live: Live) -> None:
    device.tap(".gm-nb-wider")
    wider = expected(live, RIDER, 2 * RIDE_RADIUS_M, ("ebike_charging",), open_now=True)
    _wait_for(device, wider)
    assert "RD-WIDER" in [row.code for row in wider]
    assert _url_params(device)["max_distance_m"] == [str(int(2 * RIDE_RADIUS_M))]
    assert "10" in (device.page.locator(".gm-nb-status").text_content() or "")


def _metres_per_pixel(device: Phone) -> float:
    return float(
        device.page.evaluate(
            "() => { const m = GeoMaps.state().map, c = m.getSize().divideBy(2);"
            " return m.distance(m.containerPointToLatLng(c), m.containerPointToLatLng(c.add([0, 1]))); }"
        )
    )


def _tap_the_map_to_move(device: Phone, live: Live) -> None:
    page = device.page
    before = _url_params(device)
    box = page.locator(".leaflet-container").bounding_box()
    x, y = round(box["x"] + box["width"] * 0.2), round(box["y"] + box["height"] * 0.75)  # whole pixels, as taps
    assert page.evaluate(f"() => document.elementFromPoint({x}, {y}).closest('.leaflet-marker-icon') === null")
    device.tap_at(x, y)
    sheet = page.locator(".gm-move-sheet")
    sheet.wait_for(state="visible")
    assert "把你的位置移到这里" in (sheet.text_content() or "")
    browser.screenshot(device.shown, f"rider-move-sheet-phone-{live.backend}")
    device.tap(".gm-move-no")
    sheet.wait_for(state="hidden")
    assert _url_params(device) == before, "cancelled, yet the position moved"
    device.tap_at(x, y)
    sheet.wait_for(state="visible")
    target = page.evaluate(
        f"""() => {{ const m = GeoMaps.state().map, r = m.getContainer().getBoundingClientRect();
        const ll = m.containerPointToLatLng([{x} - r.left, {y} - r.top]); return [ll.lng, ll.lat]; }}"""
    )
    device.tap(".gm-move-yes")
    page.wait_for_function(f"() => !location.search.includes('lon={RIDER[0]}&')")
    params = _url_params(device)
    moved = (float(params["lon"][0]), float(params["lat"][0]))
    assert GEOD.inv(*target, *moved)[2] < 3 * _metres_per_pixel(device), "moved somewhere else than tapped"
    assert GEOD.inv(*RIDER, *moved)[2] > 200
    _wait_for(device, expected(live, moved, RIDE_RADIUS_M))


# -- (b) the driver ----------------------------------------------------------------------------------------


def test_driver_finds_truck_parking_and_every_link_drives(touch, live: Live) -> None:
    lon, lat = RIDER
    device = phone(touch, f"{live.base}/maps/nearby?lon={lon}&lat={lat}&mode=drive")
    page = device.page
    _wait_for(device, expected(live, RIDER, DRIVE_RADIUS_M))
    assert page.locator(".gm-mode[data-mode=drive]").get_attribute("aria-pressed") == "true"
    device.tap("button.gm-chip[data-code=truck_parking]")
    trucks = expected(live, RIDER, DRIVE_RADIUS_M, ("truck_parking",))
    _wait_for(device, trucks)
    assert [row.code for row in trucks] == ["TR-NEAR", "TR-FAR", "TR-FARTHER", "TR-CLOSED"]
    params = _url_params(device)
    assert params["mode"] == ["drive"] and params["amenity"] == ["truck_parking"]
    by_id = {row.id: row for row in live.rows}
    for item in page.locator(".gm-result").all():
        row = by_id[int(item.get_attribute("data-id") or 0)]
        assert item.locator(".gm-trucks").text_content().strip() == f"货车车位 {row.trucks}"
        links = {
            vendor: item.locator(f"a.gm-nav-{vendor}").get_attribute("href") for vendor in ("amap", "baidu", "tencent")
        }
        _drive_links(links, row)
    browser.screenshot(device.shown, f"driver-trucks-phone-{live.backend}")
    device.tap(".gm-mode[data-mode=ride]")  # back on the bike: the mode leaves the URL and the links
    _wait_for(device, expected(live, RIDER, RIDE_RADIUS_M, ("truck_parking",)))
    assert "mode" not in _url_params(device)
    amap = page.locator(".gm-result a.gm-nav-amap").first.get_attribute("href") or ""
    assert parse_qs(urlsplit(amap).query)["mode"] == ["ride"]
    _clean(device.shown)
    page.close()


def _drive_links(links: dict[str, str | None], row: Row) -> None:
    """Each vendor's link drives (its own word for it) to the row's WGS-84 position from the rider's."""
    to_lonlat, to_latlon = f"{row.lon:.6f},{row.lat:.6f}", f"{row.lat:.6f},{row.lon:.6f}"
    from_lonlat, from_latlon = f"{RIDER[0]:.6f},{RIDER[1]:.6f}", f"{RIDER[1]:.6f},{RIDER[0]:.6f}"
    amap = parse_qs(urlsplit(links["amap"] or "").query)
    assert amap["mode"] == ["car"] and amap["coordinate"] == ["wgs84"]
    assert amap["to"][0].startswith(to_lonlat + ",") and amap["from"][0].startswith(from_lonlat + ",")
    baidu = parse_qs(urlsplit(links["baidu"] or "").query)
    assert baidu["mode"] == ["driving"] and baidu["coord_type"] == ["wgs84"]
    assert unquote(baidu["destination"][0]).startswith(f"latlng:{to_latlon}|")
    assert unquote(baidu["origin"][0]).startswith(f"latlng:{from_latlon}|")
    tencent = parse_qs(urlsplit(links["tencent"] or "").query)
    assert tencent["type"] == ["drive"] and tencent["tocoord"] == [to_latlon] and tencent["fromcoord"] == [from_latlon]


# -- (c) the partner embed ---------------------------------------------------------------------------------


def _partner_page(context, live: Live, origin: str) -> browser.Guarded:
    """The partner page of the site at `origin`, framing the embedded nearby map."""
    lon, lat = RIDER
    src = quote(f"{live.base}/embed/nearby?lon={lon}&lat={lat}", safe="")
    page = context.new_page()
    page.set_viewport_size({"width": 420, "height": 760})
    shown = browser.guard(page)
    page.goto(f"{origin}/partner?src={src}")
    return shown


def test_partner_embed_works_where_allowed_and_nowhere_else(context, live: Live) -> None:
    shown = _partner_page(context, live, live.partner)
    frame = shown.page.frame_locator("iframe")
    frame.locator(".gm-result").first.wait_for()
    ids = frame.locator(".gm-result").evaluate_all("items => items.map(i => Number(i.dataset.id))")
    assert ids == [row.id for row in expected(live, RIDER, RIDE_RADIUS_M)]
    frame.locator("button.gm-chip[data-code=toilet]").click()
    toilets = [row.id for row in expected(live, RIDER, RIDE_RADIUS_M, ("toilet",))]
    child = shown.page.frames[1]
    child.wait_for_function(f"() => JSON.stringify(({RESULT_IDS})()) === JSON.stringify({toilets})")
    assert frame.locator("a:has-text('查看完整地图')").count() == 1
    browser.screenshot(shown, f"rider-embed-partner-{live.backend}")
    assert shown.errors == [] and shown.external == [] and shown.csp_violations() == []
    shown.page.close()
    refused = _partner_page(context, live, live.stranger)
    refused.page.wait_for_function("() => document.querySelector('iframe') !== null")
    refused.page.wait_for_timeout(1000)
    assert all(
        frame.url.startswith(live.stranger) or frame.url.startswith("chrome-error:") for frame in refused.page.frames
    )
    assert any("frame-ancestors" in message for message in refused.console_csp), refused.console_csp
    refused.page.close()


# -- (d, e) axe-core and thumb sizes ---------------------------------------------------------------------------


def _public_pages(live: Live) -> list[tuple[str, str]]:
    lon, lat = RIDER
    return [
        ("public", "/maps/public"),
        ("nearby", f"/maps/nearby?lon={lon}&lat={lat}"),
        ("nearby-drive", f"/maps/nearby?lon={lon}&lat={lat}&mode=drive&lang=en"),
        ("coverage", "/maps/coverage?count=5"),
        ("embed-public", "/embed/public"),
        ("embed-nearby", f"/embed/nearby?lon={lon}&lat={lat}"),
        ("route", "/maps/route"),
    ]


def _ready(device: Phone, name: str) -> None:
    page = device.page
    if name.startswith(("nearby", "embed-nearby")):
        page.wait_for_selector(".gm-result")
    if page.locator(".gm-legend summary").count():
        page.locator(".gm-legend summary").click()  # folded on a phone: measure it open
    page.wait_for_timeout(300)  # transitions (legend, popups) settle before axe measures colours


@pytest.mark.parametrize("index", range(7))
def test_public_pages_pass_axe_and_thumb_sizes_on_a_phone(touch, live: Live, index: int) -> None:
    name, path = _public_pages(live)[index]
    device = phone(touch, live.base + path)
    device.page.set_default_timeout(240_000)  # the planner map plans its sites while it loads
    _ready(device, name)
    assert serious_violations(device.shown) == [], name
    assert device.page.evaluate(SMALL_TARGETS) == [], name
    assert device.page.evaluate("() => document.querySelectorAll('main').length") == 1
    viewport = device.page.locator("meta[name=viewport]").get_attribute("content") or ""
    assert "user-scalable" not in viewport and "maximum-scale" not in viewport
    small_text = device.page.evaluate(SMALL_TEXT)
    assert small_text == [], small_text
    browser.screenshot(device.shown, f"rider-{name}-phone-{live.backend}")
    if name.startswith("nearby"):
        device.tap(".gm-chip-more")
        device.page.locator(".gm-sheet-backdrop:not(.gm-hidden) .gm-sheet").wait_for()
        assert serious_violations(device.shown) == [], f"{name}: more sheet"
        assert device.page.evaluate(SMALL_TARGETS) == [], f"{name}: more sheet"
        browser.screenshot(device.shown, f"rider-{name}-more-phone-{live.backend}")
    _clean(device.shown)
    device.page.close()


#: visible text in a font smaller than 14 CSS px (the map's scale bar and attribution excepted)
SMALL_TEXT = """() => {
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, parent = node.parentElement;
    if (!node.textContent.trim() || !parent || !parent.checkVisibility()) continue;
    const exempt = '.leaflet-control-scale, .leaflet-control-attribution, .gm-sr-only, .gm-pin, .gm-bubble';
    if (parent.closest(exempt)) continue;
    const size = parseFloat(getComputedStyle(parent).fontSize);
    if (size < 14) small.push(`${parent.tagName}.${parent.className} ${size}px: ${node.textContent.slice(0, 30)}`);
  }
  return small;
}"""


def test_pinch_zoom_works_on_the_nearby_page(touch, live: Live) -> None:
    lon, lat = RIDER
    device = phone(touch, f"{live.base}/maps/nearby?lon={lon}&lat={lat}")
    page = device.page
    page.wait_for_selector(".gm-result")
    box = page.locator("#gm-panel").bounding_box()
    cdp = page.context.new_cdp_session(page)
    cdp.send(
        "Input.synthesizePinchGesture",
        {"x": box["x"] + box["width"] / 2, "y": box["y"] + 80, "scaleFactor": 2.0, "relativeSpeed": 800},
    )
    page.wait_for_function("() => window.visualViewport.scale > 1.2")
    _clean(device.shown)
    page.close()


def test_desktop_screenshots(context, live: Live) -> None:
    lon, lat = RIDER
    for name, path in [
        ("nearby", f"/maps/nearby?lon={lon}&lat={lat}&amenity=ebike_charging"),
        ("nearby-drive", f"/maps/nearby?lon={lon}&lat={lat}&mode=drive&amenity=truck_parking"),
        ("public", "/maps/public"),
    ]:
        shown = browser.open_page(context, live.base + path, browser.DESKTOP)
        if "nearby" in name:
            shown.page.wait_for_selector(".gm-result")
        browser.screenshot(shown, f"rider-{name}-desktop-{live.backend}")
        _clean(shown)
        shown.page.close()


CARD_TEXT = """([props]) => {
  const card = GeoMaps.card(props, [118.7, 38.4], {distance: 1200});
  return [card.querySelector('.gm-open').textContent, card.querySelector('.gm-row-text').textContent,
          card.classList.contains('gm-card-closed'), (card.querySelector('.gm-trucks') || {}).textContent || null];
}"""


def test_cards_say_the_state_and_hours_in_words_when_the_api_sends_them(touch, live: Live) -> None:
    lon, lat = RIDER
    device = phone(touch, f"{live.base}/maps/nearby?lon={lon}&lat={lat}")
    page = device.page
    base = {"id": 1, "kind": "station", "name": "驿站", "opening_hours": "Mo-Su 08:00-20:00", "amenities": []}
    worded = {**base, "open_state": "closed", "state_text": "休息中（08:00 开门）", "hours_text": "每天 08:00–20:00"}
    assert page.evaluate(CARD_TEXT, [worded]) == ["休息中（08:00 开门）", "每天 08:00–20:00", True, None]
    plain = {**base, "open_state": "open", "truck_parking_spaces": 3}
    assert page.evaluate(CARD_TEXT, [plain]) == ["营业中", "Mo-Su 08:00-20:00", False, " 货车车位 3"]
    _clean(device.shown)
    page.close()
