"""Map page benchmark in real headless Chromium: the 300-facility Binzhou sample vs the 186,000-facility
national set, in one run (the machine is shared and noisy: read the ratios).

For each data set it prepares a fresh database, serves it (basemap `none`: no tiles, no network), and
loads /maps/public --runs times with a fresh page, reporting the medians of
  - HTML size (raw and gzip-compressed: what travels),
  - DOMContentLoaded,
  - first marker: the first facility marker or cluster drawn,
  - all drawn: the map finished drawing (embedded markers, or the first viewport answer),
  - for the national map, the viewport answer of /maps/data/facilities for the whole extent and for a
    city-sized view (server-side grid clusters vs markers).
The sample page embeds its facilities; the national page must not (it loads them per viewport, as
grid clusters when zoomed out), so its HTML stays small and its first marker fast.

    python scripts/bench/maps.py [--backend spatialite|postgis|both] [--runs 5] [--skip-national]

`--phone` measures the rider's page instead: /maps/nearby with a position in the URL, in Chromium at
390×844 with the cache disabled and the network throttled through the DevTools protocol (1.6 Mbps down,
750 kbps up, 150 ms latency: a phone on a slow mobile network), a fresh context per load, reporting the
medians of bytes transferred (headers and bodies as they travelled) and of the time to the first result
card, plus the bytes of each file of the last load. `--before DIR` also serves another checkout of the
code (say main's, at DIR) on the same database and alternates loads between the two:

    python scripts/bench/maps.py --phone [--before /path/to/main] [--runs 5]
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
from bench_common import fresh_database

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests import browser  # noqa: E402 (the browser set-up of the test suite: one place for its flags)

FIRST_MARKER = """(() => {
  const seen = () => document.querySelector('.gm-marker, .gm-cluster-icon, .gm-server-cluster');
  (function poll() {
    if (seen()) { window.__firstMarker = performance.now(); } else { requestAnimationFrame(poll); }
  })();
})();"""
DRAWN = "() => window.__firstMarker !== undefined && document.body.classList.contains('gm-ready')"
CITY_VIEW = "118.0,37.3,118.3,37.5"  # ≈ 26 × 22 km around Binzhou's centre
WHOLE = "73,18,135,54"


def page_metrics(context, url: str) -> dict[str, float]:
    page = context.new_page()
    page.set_viewport_size(browser.DESKTOP)
    page.add_init_script(FIRST_MARKER)
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("http://127.0.0.1") else r.abort())
    page.goto(url)
    page.wait_for_function(DRAWN, timeout=120_000)
    page.wait_for_function("() => document.body.dataset.loaded || !GeoMaps.state().facilities.reload", timeout=120_000)
    drawn = page.evaluate("performance.now()")
    timing = page.evaluate("performance.getEntriesByType('navigation')[0].toJSON()")
    first = page.evaluate("window.__firstMarker")
    page.close()
    return {
        "dcl_ms": float(timing["domContentLoadedEventEnd"]),
        "first_marker_ms": float(first),
        "drawn_ms": float(drawn),
    }


def feed_ms(base: str, bbox: str, cell: float, runs: int) -> tuple[float, str, int]:
    times, body = [], {}
    for _ in range(runs):
        started = time.perf_counter()
        body = httpx.get(f"{base}/maps/data/facilities", params={"bbox": bbox, "cell": cell}, timeout=120).json()
        times.append((time.perf_counter() - started) * 1e3)
    count = len(body.get("features") or body.get("clusters") or [])
    return statistics.median(times), body["mode"], count


def measure(db_url: str, runs: int, national: bool) -> dict[str, float | str]:
    with browser.serve(db_url, map_basemap="none") as base:
        html = httpx.get(f"{base}/maps/public", timeout=120).content
        result: dict[str, float | str] = {"html_kb": len(html) / 1024, "html_gzip_kb": len(gzip.compress(html)) / 1024}
        samples = []
        for context in browser.browser_context():
            samples = [page_metrics(context, f"{base}/maps/public") for _ in range(runs)]
        for key in samples[0]:
            result[key] = statistics.median(s[key] for s in samples)
        if national:
            result["feed_whole_ms"], mode, n = feed_ms(base, WHOLE, 1.5, runs)
            result["feed_whole"] = f"{mode} ({n})"
        result["feed_city_ms"], mode, n = feed_ms(base, CITY_VIEW, 0.01, runs)
        result["feed_city"] = f"{mode} ({n})"
    return result


PHONE_VIEWPORT = {"width": 390, "height": 844}
PHONE_NETWORK = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 0.75e6 / 8}
RIDER = "lon=118.02&lat=37.37"  # central Binzhou, among the sample stations
FIRST_RESULT = """(() => {
  (function poll() {
    if (document.querySelector('.gm-result')) { window.__firstResult = performance.now(); }
    else { requestAnimationFrame(poll); }
  })();
})();"""


def phone_load(browser_, url: str) -> dict[str, object]:
    """One cold load of `url` on a throttled phone: bytes per file, total bytes, first result (ms)."""
    context = browser_.new_context(viewport=PHONE_VIEWPORT, device_scale_factor=3, is_mobile=True, has_touch=True)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    urls: dict[str, str] = {}
    sizes: dict[str, int] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", PHONE_NETWORK)
    page.add_init_script(FIRST_RESULT)
    page.goto(url)
    page.wait_for_function("() => window.__firstResult !== undefined", timeout=120_000)
    page.wait_for_load_state("networkidle")
    first = float(page.evaluate("window.__firstResult"))
    context.close()
    files = {urls.get(rid, rid).split("//", 1)[-1].split("/", 1)[-1].split("?")[0]: n for rid, n in sizes.items()}
    return {"bytes": sum(sizes.values()), "first_result_ms": first, "files": files}


@contextmanager
def serve_code(root: Path, db_url: str) -> Iterator[str]:
    """`geo-service serve` (basemap none) running the code of the checkout at `root`, from that directory."""
    port = browser.free_port()
    path = os.pathsep.join([str(root), str(root / "layers")])
    env = {**os.environ, "PYTHONPATH": path, "GEO_DB_URL": db_url, "GEO_MAP_BASEMAP": "none"}
    cmd = [sys.executable, "-m", "geo_service.cli", "serve", "--port", str(port), "--workers", "1"]
    process = subprocess.Popen(cmd, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        browser.wait_ready(process, base + "/readyz")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def phone(db_url: str, runs: int, before: Path | None) -> None:
    """The nearby page on a throttled phone, for this checkout (and `before`), loads alternating."""
    trees = {**({"before": before} if before else {}), "after" if before else "this": ROOT}
    with ExitStack() as stack:
        bases = {name: stack.enter_context(serve_code(root, db_url)) for name, root in trees.items()}
        samples: dict[str, list[dict[str, object]]] = {name: [] for name in trees}
        with browser.chromium() as chromium:
            for _ in range(runs):
                for name, base in bases.items():
                    samples[name].append(phone_load(chromium, f"{base}/maps/nearby?{RIDER}"))
    print(f"\n## nearby page, phone 390x844, 1.6 Mbps / 150 ms, cache disabled ({runs} loads each, medians)")
    for name, rows in samples.items():
        kb = statistics.median(float(r["bytes"]) for r in rows) / 1024  # type: ignore[arg-type]
        ms = statistics.median(float(r["first_result_ms"]) for r in rows)  # type: ignore[arg-type]
        print(f"{name:>8}: {kb:7.1f} KB transferred, first result {ms:7.0f} ms ({trees[name]})")
    for name, rows in samples.items():
        print(f"\n{name}: bytes per file (last load)")
        files: dict[str, int] = rows[-1]["files"]  # type: ignore[assignment]
        for path, size in sorted(files.items(), key=lambda item: -item[1]):
            print(f"  {size / 1024:7.1f} KB  {path}")


def report(backend: str, rows: dict[str, dict[str, float | str]]) -> None:
    print(f"\n## {backend}")
    keys = [k for k in rows["sample"] if k in rows.get("national", rows["sample"])]
    keys += [k for k in rows.get("national", {}) if k not in keys]
    print(f"{'':>16} " + " ".join(f"{name:>18}" for name in rows) + ("   ratio" if len(rows) > 1 else ""))
    for key in keys:
        values = [rows[name].get(key, "") for name in rows]
        cells = " ".join(f"{v:>18.1f}" if isinstance(v, float) else f"{v!s:>18}" for v in values)
        ratio = ""
        if len(values) == 2 and all(isinstance(v, float) and v for v in values):
            ratio = f"{values[1] / values[0]:8.2f}"  # type: ignore[operator]
        print(f"{key:>16} {cells}{ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["spatialite", "postgis", "both"], default="spatialite")
    parser.add_argument("--runs", type=int, default=5, help="page loads per data set (default %(default)s)")
    parser.add_argument("--skip-national", action="store_true", help="only the Binzhou sample")
    parser.add_argument("--phone", action="store_true", help="the nearby page on a throttled phone (see above)")
    parser.add_argument("--before", type=Path, help="with --phone: also serve the code of this checkout")
    args = parser.parse_args()
    backends = ["spatialite", "postgis"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory(prefix="geo-bench-maps-") as tmp:
        if args.phone:
            with fresh_database(backends[0], Path(tmp)) as url:
                phone(url, args.runs, args.before)
            return
        for backend in backends:
            rows = {}
            with fresh_database(backend, Path(tmp)) as url:
                rows["sample"] = measure(url, args.runs, national=False)
            if not args.skip_national:
                with fresh_database(backend, Path(tmp), national=True) as url:
                    rows["national"] = measure(url, args.runs, national=True)
            report(backend, rows)


if __name__ == "__main__":
    main()
