"""The editor console in real headless Chromium, served on loopback, on both backends.

The journey of an editor (sign in, drag a pin, see the change on the public map and in the nearest
API, be refused another district and a request without the CSRF token), two editors saving the same
facility, hostile names shown literally everywhere, no request leaving loopback, axe-core on the main
pages, and screenshots of every page on a desktop and a tablet (test-artifacts/).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import browser
from tests.console_support import (
    ADMIN,
    ADMIN_PASSWORD,
    BAD_IMPORT_ROWS,
    BINCHENG,
    EDITOR,
    EDITOR_PASSWORD,
    HOSTILE_NAME,
    HOSTILE_NOTE,
    IMPORT_HEADERS,
    ZOUPING,
    LiveConsole,
    import_workbook,
    inner_facilities,
    live_console,
)
from tests.databases import BACKENDS

TABLET = {"width": 768, "height": 1024}
READY = "() => document.body.classList.contains('cm-ready')"
MAP_READY = "() => document.body.classList.contains('cm-map-ready')"


@pytest.fixture(scope="module", params=BACKENDS)
def console(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveConsole]:
    browser.require_chromium()
    with live_console(str(request.param), tmp_path_factory.mktemp("console")) as live:
        yield live


@pytest.fixture(scope="module")
def chromium() -> Iterator:
    with browser.chromium() as instance:
        yield instance


def sign_in(chromium, base: str, username: str, password: str, viewport: dict = browser.DESKTOP) -> browser.Guarded:
    """A new browser context signed in to the console: its page, guarded (requests, dialogs, CSP)."""
    context = chromium.new_context(locale="zh-CN", viewport=viewport)
    guarded = browser.guard(context.new_page())
    page = guarded.page
    page.goto(f"{base}/console/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/facilities**")
    page.wait_for_function(READY)
    return guarded


def visit(guarded: browser.Guarded, url: str, *, map_page: bool = False) -> int:
    response = guarded.page.goto(url)
    guarded.page.wait_for_function(MAP_READY if map_page else READY)
    return response.status


def clean(guarded: browser.Guarded) -> None:
    assert guarded.external == [], "requests left loopback"
    assert guarded.dialogs == [], "a dialog fired"
    assert guarded.errors == []
    assert guarded.csp_violations() == [], "the page breaks its Content-Security-Policy"


def shoot(guarded: browser.Guarded, name: str) -> Path:
    browser.ARTIFACTS.mkdir(exist_ok=True)
    path = browser.ARTIFACTS / f"console-{name}.png"
    guarded.page.screenshot(path=str(path), full_page=True)
    return path


def post_status(guarded: browser.Guarded, url: str, body: str, token: str | None) -> int:
    """POST from the signed-in page with fetch (with or without the CSRF header); the status."""
    script = """async ([url, body, token]) => {
      const headers = {'Content-Type': 'application/x-www-form-urlencoded'};
      if (token) headers['X-CSRF-Token'] = token;
      const answer = await fetch(url, {method: 'POST', headers, body, redirect: 'manual'});
      return answer.status;
    }"""
    return int(guarded.page.evaluate(script, [url, body, token]))


def drag_pin(guarded: browser.Guarded, dx: int, dy: int) -> None:
    page = guarded.page
    box = page.locator("#pin-map .leaflet-marker-icon").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=12)
    page.mouse.up()


def wait_nearest(base: str, lon: float, lat: float, facility_id: int) -> dict:
    """The nearest answer at (lon, lat) once it has the facility first (the index refreshes in ~0.2 s)."""
    deadline = time.monotonic() + 15
    while True:
        body = httpx.get(f"{base}/api/v1/facilities/nearest", params={"lon": lon, "lat": lat, "limit": 1}).json()
        if body["features"] and body["features"][0]["id"] == facility_id:
            return body["features"][0]
        assert time.monotonic() < deadline, f"nearest never answered facility {facility_id}: {body}"
        time.sleep(0.3)


def test_editor_journey(chromium, console: LiveConsole) -> None:
    base = console.base
    shown = sign_in(chromium, base, EDITOR, EDITOR_PASSWORD)
    page = shown.page
    districts = page.eval_on_selector_all("table.data tbody td:nth-child(3)", "cells => cells.map(c => c.textContent)")
    assert districts and set(districts) == {"滨城区"}, "an editor sees only its districts"
    _import_fixture(shown, base)
    facility_id = inner_facilities(console.db_url, BINCHENG, 1)[0]
    visit(shown, f"{base}/console/facilities/{facility_id}", map_page=True)
    before = page.input_value("#f-lon"), page.input_value("#f-lat")
    drag_pin(shown, 70, 40)
    page.wait_for_function(f"() => document.getElementById('f-lon').value !== '{before[0]}'")
    page.wait_for_function("() => document.getElementById('point-info').textContent.includes('滨城区')")
    lon, lat = float(page.input_value("#f-lon")), float(page.input_value("#f-lat"))
    assert page.input_value("#f-crs") == "wgs84" and lon > float(before[0]) and lat < float(before[1])
    page.click("#save")
    page.wait_for_url("**done=saved**")
    stored = httpx.get(f"{base}/api/v1/facilities/{facility_id}").json()["geometry"]["coordinates"]
    assert stored == pytest.approx([lon, lat], abs=1e-7)
    assert wait_nearest(base, lon, lat, facility_id)["properties"]["distance_m"] < 0.05
    public = browser.open_page(page.context, f"{base}/maps/public")
    at = public.page.evaluate(
        "id => { const e = GeoMaps.state().searchIndex.find(x => x.p.id === id); const p = e.marker.getLatLng();"
        " return [p.lng, p.lat]; }",
        facility_id,
    )
    assert at == pytest.approx([lon, lat], abs=1e-6)
    public.page.close()
    _refused_elsewhere(shown, console)
    clean(shown)
    page.context.close()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(shown: browser.Guarded, base: str, data: bytes) -> None:
    page = shown.page
    visit(shown, f"{base}/console/imports")
    page.set_input_files("#i-file", files=[{"name": "滨城区新驿站.xlsx", "mimeType": XLSX, "buffer": data}])
    page.select_option("#i-crs", "wgs84")
    page.click("form[enctype] button[type=submit]")
    page.wait_for_url("**/console/imports/*")
    page.wait_for_function(READY)


def _import_fixture(shown: browser.Guarded, base: str) -> None:
    """The county spreadsheet: an unknown header mapped by hand, the bad rows shown, fixed in the file,
    re-uploaded, committed; the new stations are then in the table."""
    page = shown.page
    _upload(shown, base, import_workbook(fixed=False))
    assert "名称（name）" in page.inner_text("#problem")  # no name column until the editor says which it is
    header_index = IMPORT_HEADERS.index("站名")
    page.select_option(f"#map-{header_index}", "name")
    page.click("#recheck")
    page.wait_for_selector("table.import-rows")
    shoot(shown, "import-report-desktop")
    rejected = page.eval_on_selector_all(
        "tr.row-rejected", "rows => [...new Set(rows.map(r => Number(r.dataset.row)))]"
    )
    assert rejected == list(BAD_IMPORT_ROWS)
    assert page.inner_text(".total-rejected .total-n") == "3"
    report = page.request.get(base + page.get_attribute("#download-report", "href"))
    assert report.status == 200 and report.headers["content-type"] == XLSX and report.body()[:2] == b"PK"
    _upload(shown, base, import_workbook(fixed=True, name_header="名称"))
    assert page.inner_text(".total-created .total-n") == "8" and page.locator("tr.row-rejected").count() == 0
    page.click("#commit")
    page.locator("#import-done").wait_for()
    visit(shown, f"{base}/console/facilities?q=BZ-371602-T", map_page=True)
    assert page.inner_text("#result-count") == "共 8 个"
    assert page.get_attribute("#map", "data-count") == "8"


def _refused_elsewhere(shown: browser.Guarded, console: LiveConsole) -> None:
    """Another district's facility is a 403 page, to open and to change; a POST without the token fails."""
    base, page = console.base, shown.page
    other = inner_facilities(console.db_url, ZOUPING, 1)[0]
    assert visit(shown, f"{base}/console/facilities/{other}") == 403
    assert page.locator("h1").inner_text().startswith("403")
    visit(shown, f"{base}/console/facilities")
    token = page.get_attribute("meta[name=csrf-token]", "content")
    assert post_status(shown, f"{base}/console/facilities/{other}/verify", "", token) == 403
    own = inner_facilities(console.db_url, BINCHENG, 2)[1]
    before = httpx.get(f"{base}/api/v1/facilities/{own}").json()["properties"]["last_verified_at"]
    assert post_status(shown, f"{base}/console/facilities/{own}/verify", "", None) == 403
    assert httpx.get(f"{base}/api/v1/facilities/{own}").json()["properties"]["last_verified_at"] == before
    assert post_status(shown, f"{base}/console/facilities/{own}/verify", "", token) in (303, 0)  # the token works


def _open_form(chromium, console: LiveConsole, facility_id: int) -> browser.Guarded:
    shown = sign_in(chromium, console.base, EDITOR, EDITOR_PASSWORD)
    visit(shown, f"{console.base}/console/facilities/{facility_id}", map_page=True)
    return shown


def test_a_stale_save_shows_both_versions_and_keeps_both_changes(chromium, console: LiveConsole) -> None:
    base = console.base
    facility_id = inner_facilities(console.db_url, BINCHENG, 3)[2]
    first, second = _open_form(chromium, console, facility_id), _open_form(chromium, console, facility_id)
    first.page.fill("#f-phone", "0543-1111111")
    first.page.click("#save")
    first.page.wait_for_url("**done=saved**")
    second.page.fill("#f-name", "第二位编辑改的名称")
    second.page.click("#save")
    conflict = second.page.locator("#conflict")
    conflict.wait_for()
    page = second.page
    assert page.locator("tr[data-field=name]").get_attribute("class") == "changed-mine"
    assert page.locator("tr[data-field=name] td.mine").inner_text() == "第二位编辑改的名称"
    assert page.locator("tr[data-field=phone]").get_attribute("class") == "changed-theirs"
    assert page.locator("tr[data-field=phone] td.theirs").inner_text() == "0543-1111111"
    shoot(second, "conflict-desktop")
    page.click("#keep-mine button")
    page.wait_for_url("**done=saved**")
    stored = httpx.get(f"{base}/api/v1/facilities/{facility_id}").json()["properties"]
    assert (stored["name"], stored["phone"]) == ("第二位编辑改的名称", "0543-1111111"), "neither change is lost"
    for shown in (first, second):
        clean(shown)
        shown.page.context.close()


def _literal_everywhere(shown: browser.Guarded) -> None:
    page = shown.page
    assert page.evaluate("() => document.querySelectorAll('img[src=\"x\"], script:not([src])').length") == 0
    assert page.get_by_text(HOSTILE_NAME, exact=False).count() >= 1


def test_hostile_names_and_notes_are_shown_literally_everywhere(chromium, console: LiveConsole) -> None:
    base, facility_id = console.base, console.hostile_id
    shown = sign_in(chromium, base, EDITOR, EDITOR_PASSWORD)
    page = shown.page
    visit(shown, f"{base}/console/facilities?q=XSS", map_page=True)
    _literal_everywhere(shown)
    page.locator("#map path.leaflet-interactive").first.click()  # the marker's popup, made of text nodes
    assert page.locator(".cm-popup a").inner_text() == HOSTILE_NAME
    visit(shown, f"{base}/console/facilities/{facility_id}", map_page=True)
    _literal_everywhere(shown)
    assert page.input_value("#f-name") == HOSTILE_NAME and page.input_value("#f-address") == HOSTILE_NOTE
    visit(shown, f"{base}/console/reports", map_page=True)
    _literal_everywhere(shown)
    assert page.get_by_text(HOSTILE_NOTE).count() == 1
    visit(shown, f"{base}/console/freshness?days=90")
    clean(shown)
    admin = sign_in(chromium, base, ADMIN, ADMIN_PASSWORD)
    visit(admin, f"{base}/console/audit?entity=problem_report")
    assert admin.page.get_by_text(HOSTILE_NOTE, exact=False).count() >= 1
    assert admin.page.evaluate("() => document.querySelectorAll('img[src=\"x\"], script:not([src])').length") == 0
    clean(admin)
    for context in (page.context, admin.page.context):
        context.close()


def _axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def serious_violations(shown: browser.Guarded) -> list[str]:
    """axe-core's serious and critical violations of the page (injected through the DevTools protocol,
    which the page's CSP does not govern, so the page itself still runs under its policy)."""
    shown.page.evaluate(_axe_source())
    result = shown.page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_main_pages_pass_axe_and_stay_on_loopback(chromium, console: LiveConsole) -> None:
    base = console.base
    shown = sign_in(chromium, base, EDITOR, EDITOR_PASSWORD)
    facility_id = inner_facilities(console.db_url, BINCHENG, 1)[0]
    problems = {}
    for name, path in [
        ("facilities", "/console/facilities"),
        ("facility", f"/console/facilities/{facility_id}"),
        ("reports", "/console/reports"),
        ("freshness", "/console/freshness"),
    ]:
        visit(shown, base + path, map_page=name != "freshness")
        problems[name] = serious_violations(shown)
    assert problems == {name: [] for name in problems}
    clean(shown)
    shown.page.context.close()


def _pages(console: LiveConsole, facility_id: int, other_id: int) -> list[tuple[str, str, str, bool]]:
    """(name, path, who, has a map) of every console page worth a screenshot."""
    return [
        ("facilities", "/console/facilities", "editor", True),
        ("facilities-en", "/console/facilities?lang=en&sort=last_verified_at", "editor", True),
        ("facility", f"/console/facilities/{facility_id}", "editor", True),
        ("facility-en", f"/console/facilities/{console.hostile_id}?lang=en", "editor", True),
        ("new-facility", "/console/facilities/new", "editor", True),
        ("reports", "/console/reports", "editor", True),
        ("freshness", "/console/freshness", "editor", False),
        ("imports", "/console/imports", "editor", False),
        ("forbidden", f"/console/facilities/{other_id}", "editor", False),
        ("users", "/console/users", "admin", False),
        ("keys", "/console/keys", "admin", False),
        ("audit", "/console/audit", "admin", False),
    ]


@pytest.mark.parametrize(("device", "size"), [("desktop", browser.DESKTOP), ("tablet", TABLET)])
def test_screenshots_of_every_page(chromium, console: LiveConsole, device: str, size: dict) -> None:
    base = console.base
    context = chromium.new_context(locale="zh-CN", viewport=size)
    login = browser.guard(context.new_page())
    visit(login, f"{base}/console/login")
    shoot(login, f"login-{device}-{console.backend}")
    context.close()
    editor, admin = (
        sign_in(chromium, base, EDITOR, EDITOR_PASSWORD, size),
        sign_in(chromium, base, ADMIN, ADMIN_PASSWORD, size),
    )
    facility_id, other_id = (
        inner_facilities(console.db_url, BINCHENG, 1)[0],
        inner_facilities(console.db_url, ZOUPING, 1)[0],
    )
    for name, path, who, has_map in _pages(console, facility_id, other_id):
        shown = editor if who == "editor" else admin
        visit(shown, base + path, map_page=has_map)
        shoot(shown, f"{name}-{device}-{console.backend}")
    visit(editor, f"{base}/console/facilities/new", map_page=True)
    editor.page.fill("#f-name", "新驿站")
    editor.page.fill("#f-opening_hours", "Mo-Fr 08:00-18:00; Sa 09:00-12:00; PH off")
    editor.page.wait_for_function("() => document.getElementById('hours-preview').textContent.startsWith('周一至周五')")
    editor.page.click("#save")
    editor.page.locator("#error-summary").wait_for()
    shoot(editor, f"facility-errors-{device}-{console.backend}")
    _upload(editor, base, import_workbook(fixed=False, name_header="名称"))
    shoot(editor, f"import-report-{device}-{console.backend}")
    visit(admin, f"{base}/console/keys")
    admin.page.fill("#k-label", "邹平 同步任务")
    admin.page.check("input[name=district][value='371681']")
    admin.page.click("section[aria-labelledby=new-key] button[type=submit]")
    admin.page.locator("#new-secret").wait_for()
    assert admin.page.inner_text("#new-secret").startswith("gsk_")
    shoot(admin, f"key-created-{device}-{console.backend}")
    for shown in (editor, admin):
        clean(shown)
        shown.page.context.close()
