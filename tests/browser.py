"""Real headless Chromium for the map tests: one browser per session, every request off loopback blocked
and recorded, dialogs and Content-Security-Policy violations recorded, screenshots under test-artifacts/.

Chromium is Debian's (`scripts/setup.sh --browser`), driven by Playwright's bundled driver; Playwright
never downloads a browser here.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from geo_service.settings import PROJECT_ROOT

CHROMIUM = os.environ.get("GEO_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}
# every CSP violation fires this event on the document (and Chromium also logs it to the console)
_RECORD_CSP = """document.addEventListener('securitypolicyviolation', e => {
  (window.__cspViolations = window.__cspViolations || []).push(e.violatedDirective + ' ' + e.blockedURI);
});"""


def require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    message = f"{CHROMIUM} not found (scripts/setup.sh --browser installs Debian's chromium)"
    if os.environ.get("GEO_TEST_REQUIRE_ALL_BACKENDS") == "1":
        pytest.fail(message)
    pytest.skip(message)


_PLAYWRIGHT: list = []  # the process's one Playwright: its sync API refuses a second while one runs


def playwright():
    """The test process's Playwright, started on first use and stopped at exit: the session's browser
    context and the browsers of tests that need their own contexts share it, in whatever order pytest
    runs their files."""
    if not _PLAYWRIGHT:
        from playwright.sync_api import sync_playwright

        _PLAYWRIGHT.append(sync_playwright().start())
        atexit.register(_PLAYWRIGHT[0].stop)
    return _PLAYWRIGHT[0]


def browser_context() -> Iterator:
    """A persistent Chromium context on a fresh user-data-dir, geolocation allowed."""
    require_chromium()
    profile = tempfile.mkdtemp(prefix="geo-chromium-")
    context = playwright().chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, locale="zh-CN"
    )
    context.grant_permissions(["geolocation"])
    try:
        yield context
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(process: subprocess.Popen[bytes], url: str, timeout_s: float = 180) -> None:
    """Poll `url` until it answers 200; fail at once if the server process exits."""
    deadline = time.monotonic() + timeout_s
    while True:
        assert process.poll() is None, "server exited"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "server did not become ready"
        time.sleep(0.2)


@contextmanager
def serve(db_url: str, *, workers: int = 1, ready_path: str = "/readyz", **settings: str) -> Iterator[str]:
    """`geo-service serve` on a free loopback port with GEO_* `settings`; yields the base URL once
    `ready_path` answers 200 (a loaded 2-core machine starts several workers slowly: 180 s at most)."""
    port = free_port()
    env = {**os.environ, "GEO_DB_URL": db_url, **{f"GEO_{k.upper()}": v for k, v in settings.items()}}
    cmd = [sys.executable, "-m", "geo_service.cli", "serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(cmd, env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(process, base + ready_path)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


@dataclass
class Guarded:
    """A page whose requests off loopback are aborted and recorded, and whose dialogs are recorded."""

    page: object
    external: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console_csp: list[str] = field(default_factory=list)  # console messages about the CSP

    def csp_violations(self) -> list[str]:
        """Violations reported to the page's scripts, then those Chromium logged to the console."""
        reported = self.page.evaluate("() => window.__cspViolations || []")  # type: ignore[attr-defined]
        return [*reported, *self.console_csp]


def guard(page) -> Guarded:
    """Abort and record every request off loopback; record dialogs, page errors and CSP violations."""
    guarded = Guarded(page)

    def route(request_route) -> None:
        target = request_route.request.url
        parts = urlsplit(target)
        if parts.scheme in ("data", "file", "blob") or parts.hostname in LOOPBACK:
            request_route.continue_()
        else:
            guarded.external.append(target)
            request_route.abort()

    def dialog(box) -> None:
        guarded.dialogs.append(box.message)
        box.dismiss()

    page.route("**/*", route)
    page.on("dialog", dialog)
    page.on("pageerror", lambda error: guarded.errors.append(str(error)))
    page.on("console", lambda message: _record_csp_message(guarded, message.text))
    page.add_init_script(_RECORD_CSP)
    return guarded


def open_page(context, url: str, viewport: dict[str, int] = DESKTOP, ready: str = "gm-ready") -> Guarded:
    """A new guarded page at `url`, once its body has the class `ready` (the page script has run)."""
    page = context.new_page()
    page.set_viewport_size(viewport)
    guarded = guard(page)
    page.goto(url)
    # predicates are functions, never expression strings: Playwright evals those, which the CSP forbids
    page.wait_for_function(f"() => document.body.classList.contains('{ready}')")
    return guarded


@contextmanager
def chromium() -> Iterator:
    """A Chromium browser (not persistent), for tests that need several independent contexts."""
    require_chromium()
    browser = playwright().chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


def _record_csp_message(guarded: Guarded, text: str) -> None:
    if "Content Security Policy" in text or "Content-Security-Policy" in text:
        guarded.console_csp.append(text)


def screenshot(guarded: Guarded, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    guarded.page.screenshot(path=str(path))
    return path
