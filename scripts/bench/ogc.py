"""OGC API – Features and vector tiles: our server against TiPg on the same PostGIS table, national set.

Both servers run with identical uvicorn settings (1 worker, uvloop + httptools, no uvicorn access log;
ours keeps its own, without the per-client rate limit) over one PostGIS database holding the Binzhou
sample plus 186,000 synthetic facilities, and are loaded by wrk at 8 connections with the same request
lists. Reported per case: rps, p50 and p99 of each and the ratio (a case with failed requests is marked
INVALID), then the page at offset 180,000 (ours through its next-link cursor, TiPg through offset)
against the first page, a full GDAL OAPIF harvest of each, tile latencies (through HTTP, and cold
encoding in process), and the bytes per feature. The 1°×1° bbox case cycles through 200 boxes (our
ids per box are kept per data revision after the first visit); "every box new" asks 5,000 boxes at most
once each, the cost before any cache.

TiPg is not a dependency of this project: install it in a separate virtual environment and point
--tipg-python at it (default var/tipg-venv/bin/python):

    python3 -m venv var/tipg-venv && var/tipg-venv/bin/pip install tipg 'uvicorn[standard]'
    python scripts/bench/ogc.py [--duration 10] [--skip-tipg] [--skip-harvest] [--db-url URL]

The run refuses to start while the machine's load average is above --max-load (default 3): a shared
2-core machine under load measures its neighbours, not us.

Last run (2 shared cores, load average 1–2.5, `--db-url` of a prepared national database), ours / TiPg:
items limit=10 634 / 198 rps (3.2×); bbox 1°×1° + limit=100 402 / 52 rps (7.8×); the same on boxes never
asked before 119 / 45 rps (2.6×); limit=1000 88 / 19 rps, p50 87 / 411 ms; the page at row 180,000
626 / 19 rps (ours 1.05× its first page's p50); tiles z8–12 843 / 391 rps, cold encode p50 1.6 ms (z3–5
18.2 ms); GDAL harvest 14.4 / 41.7 s. GDAL and pyogrio alone need 10.7 s for the same harvest with our
responses replayed from memory (replay_proxy.py): the client's own parse and copy of 186,000 features.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import numpy as np
from bench_common import fresh_database, load_client
from nearest_http import UVICORN_FLAGS, free_port

ROOT = Path(__file__).resolve().parents[2]
TIPG_ITEMS = "/collections/public.facility/items"
OUR_ITEMS = "/ogc/collections/facilities/items"
DEEP_ROW = 180_000
#: boxes never asked before (5,000 of them, each loaded at most once): what a page costs before any cache
FRESH_CASE = "bbox 1°×1° + limit=100, every box new"


def wait_for_quiet(max_load: float, patience_s: float) -> None:
    deadline = time.monotonic() + patience_s
    while os.getloadavg()[0] > max_load:
        if time.monotonic() > deadline:
            raise SystemExit(f"load average {os.getloadavg()[0]:.1f} > {max_load}: not benchmarking a busy machine")
        print(f"load average {os.getloadavg()[0]:.1f} > {max_load}; waiting …", flush=True)
        time.sleep(20)


@contextmanager
def server(python: str, target: list[str], env: dict[str, str], probe: str) -> Iterator[str]:
    """A server on a free port; its stderr (our access log among it) goes to a file, never to an unread
    pipe, which fills after a few hundred lines and then blocks the server."""
    port = free_port()
    cmd = [python, "-m", "uvicorn", *target, "--port", str(port), *UVICORN_FLAGS]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
        try:
            yield _ready(process, f"http://127.0.0.1:{port}", probe, log)
        finally:
            process.terminate()
            process.wait(timeout=30)


def _ready(process: subprocess.Popen, base: str, probe: str, log: IO[bytes]) -> str:
    deadline = time.monotonic() + 180
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise SystemExit(f"{process.args} failed: {log.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(base + probe, timeout=30) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return base
        except OSError:
            time.sleep(0.5)
        if time.monotonic() > deadline:
            raise SystemExit(f"{process.args} did not start")


def national_points(db_url: str) -> np.ndarray:
    from sqlalchemy import text

    from geo_service.db.engine import make_engine
    from geo_service.settings import Settings

    engine = make_engine(Settings(db_url=db_url))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM facility WHERE code LIKE 'NAT-%'")).all()
    engine.dispose()
    return np.array(rows)


def deep_cursor(db_url: str, row: int) -> int:
    """The id after which our row `row` (0-based, by id) starts: what the next links carry there."""
    from sqlalchemy import text

    from geo_service.db.engine import make_engine
    from geo_service.settings import Settings

    engine = make_engine(Settings(db_url=db_url))
    with engine.connect() as conn:
        query = text("SELECT id FROM facility WHERE deleted_at IS NULL ORDER BY id OFFSET :n LIMIT 1")
        after = int(conn.execute(query, {"n": row - 1}).scalar_one())
    engine.dispose()
    return after


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - np.arcsinh(np.tan(np.radians(lat))) / np.pi) / 2 * n)


def tiles_near(points: np.ndarray, zooms: tuple[int, ...], count: int, rng: np.random.Generator) -> list[str]:
    """z/x/y of tiles holding facilities (distinct, in a seeded order)."""
    picked = points[rng.integers(0, len(points), count * 4)]
    tiles = {(z, *tile_of(lon, lat, z)) for lon, lat in picked for z in zooms}
    ordered = sorted(tiles)
    rng.shuffle(ordered)
    return [f"{z}/{x}/{y}" for z, x, y in ordered[:count]]


def cases(points: np.ndarray, after: int, seed: int) -> list[tuple[str, list[str], list[str]]]:
    """(name, our paths, TiPg's paths) of each load case."""
    rng = np.random.default_rng(seed)
    centres = points[rng.integers(0, len(points), 200)]
    boxes = [f"{x - 0.5:.4f},{y - 0.5:.4f},{x + 0.5:.4f},{y + 0.5:.4f}" for x, y in centres]
    fresh = [
        f"{x - 0.5:.4f},{y - 0.5:.4f},{x + 0.5:.4f},{y + 0.5:.4f}"
        for x, y in points[rng.integers(0, len(points), 5000)]
    ]
    z8 = tiles_near(points, (8, 9, 10, 12), 300, rng)
    low = tiles_near(points, (3, 4, 5), 60, rng)
    return [
        ("items limit=10", [f"{OUR_ITEMS}?limit=10"], [f"{TIPG_ITEMS}?limit=10"]),
        (
            "bbox 1°×1° + limit=100",
            [f"{OUR_ITEMS}?limit=100&bbox={b}" for b in boxes],
            [f"{TIPG_ITEMS}?limit=100&bbox={b}" for b in boxes],
        ),
        (
            FRESH_CASE,
            [f"{OUR_ITEMS}?limit=100&bbox={b}" for b in fresh],
            [f"{TIPG_ITEMS}?limit=100&bbox={b}" for b in fresh],
        ),
        ("items limit=1000", [f"{OUR_ITEMS}?limit=1000"], [f"{TIPG_ITEMS}?limit=1000"]),
        (
            f"page at row {DEEP_ROW:,} (limit=10)",
            [f"{OUR_ITEMS}?limit=10&after={after}"],
            [f"{TIPG_ITEMS}?limit=10&offset={DEEP_ROW}"],
        ),
        (
            "tiles z8–12",
            [f"/tiles/facilities/{t}.mvt" for t in z8],
            [f"/collections/public.facility/tiles/WebMercatorQuad/{t}" for t in z8],
        ),
        (
            "tiles z3–5",
            [f"/tiles/facilities/{t}.mvt" for t in low],
            [f"/collections/public.facility/tiles/WebMercatorQuad/{t}" for t in low],
        ),
    ]


def harvest(url: str) -> tuple[float, int]:
    """Seconds and features of a full GDAL OAPIF read of one collection."""
    import pyogrio

    started = time.perf_counter()
    frame = pyogrio.read_dataframe(f"OAPIF:{url}")
    return time.perf_counter() - started, len(frame)


def client_alone(base: str, collection_path: str) -> tuple[float, int]:
    """The same harvest with no server in it: once through replay_proxy.py (recording), then timed with
    every response replayed from that proxy's memory — what GDAL and pyogrio themselves cost."""
    port, script = free_port(), str(Path(__file__).with_name("replay_proxy.py"))
    here = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        proxy = subprocess.Popen([sys.executable, script, base, str(port)], stdout=subprocess.DEVNULL, stderr=log)
        try:
            _ready(proxy, here, "/ogc", log)
            harvest(here + collection_path)
            urllib.request.urlopen(f"{here}/__replay", timeout=30).read()  # noqa: S310 (loopback)
            return harvest(here + collection_path)
        finally:
            proxy.terminate()
            proxy.wait(timeout=30)


def bytes_per_feature(url: str) -> float:
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (loopback)
        body = response.read()
    import json

    return len(body) / max(1, len(json.loads(body)["features"]))


def cold_tiles(db_url: str, paths: list[str]) -> float:
    """p50 ms of encoding tiles in process with no tile cache (every tile computed from the database)."""
    from geo_service.db.engine import make_engine
    from geo_service.services.ogc_catalog import collection
    from geo_service.services.tiles import TileFilter, encode_tile
    from geo_service.services.tiles import tile_of as checked_tile
    from geo_service.settings import Settings

    settings = Settings(db_url=db_url)
    engine, spec, times = make_engine(settings), collection("facilities"), []
    with engine.connect() as conn:
        for path in paths:
            z, x, y = (int(v) for v in path.removesuffix(".mvt").split("/")[-3:])
            started = time.perf_counter()
            encode_tile(conn, spec, TileFilter(), checked_tile(z, x, y), settings)
            times.append((time.perf_counter() - started) * 1e3)
    engine.dispose()
    return statistics.median(times)


def run_cases(bases: dict[str, str], db_url: str, args: argparse.Namespace, workdir: Path) -> list[dict]:
    points = national_points(db_url)
    rows = []
    for name, ours, theirs in cases(points, deep_cursor(db_url, DEEP_ROW), args.seed):
        row: dict = {"case": name}
        for label, paths in (("ours", ours), ("tipg", theirs)):
            if label in bases:
                # warm-up (caches, pools); the fresh-box case warms up on other boxes than it then loads
                load_client(
                    bases[label], paths[::-1][:100] if name == FRESH_CASE else paths, 2, args.connections, workdir
                )
                row[label] = load_client(bases[label], paths, args.duration, args.connections, workdir)
        rows.append(row)
        if name.startswith("tiles"):
            row["cold_p50_ms"] = cold_tiles(db_url, ours[:80])
    return rows


def extra_figures(bases: dict[str, str], args: argparse.Namespace) -> dict[str, object]:
    ours = bases["ours"]
    figures: dict[str, object] = {
        "ours bytes/feature (properties=code)": bytes_per_feature(f"{ours}{OUR_ITEMS}?limit=1000&properties=code"),
        "ours bytes/feature (all properties)": bytes_per_feature(f"{ours}{OUR_ITEMS}?limit=1000"),
    }
    if "tipg" in bases:
        figures["tipg bytes/feature (all properties)"] = bytes_per_feature(f"{bases['tipg']}{TIPG_ITEMS}?limit=1000")
    if not args.skip_harvest:
        figures["ours GDAL harvest (s, features)"] = harvest(f"{ours}/ogc/collections/facilities")
        figures["GDAL alone: our responses replayed from memory (s, features)"] = client_alone(
            ours, "/ogc/collections/facilities"
        )
        if "tipg" in bases:
            figures["tipg GDAL harvest (s, features)"] = harvest(f"{bases['tipg']}/collections/public.facility")
    return figures


def report(rows: list[dict], figures: dict[str, object]) -> None:
    print("\n| case | ours rps | p50 ms | p99 ms | TiPg rps | p50 ms | p99 ms | ours/TiPg |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        ours, theirs = row.get("ours", {}), row.get("tipg")
        cells = [f"{ours['rps']:.0f}", f"{ours['p50_ms']:.2f}", f"{ours['p99_ms']:.2f}"]
        if theirs:
            cells += [f"{theirs['rps']:.0f}", f"{theirs['p50_ms']:.2f}", f"{theirs['p99_ms']:.2f}"]
            cells.append(f"{ours['rps'] / theirs['rps']:.2f}×")
        else:
            cells += ["–"] * 4
        cold = f" (cold encode p50 {row['cold_p50_ms']:.1f} ms)" if "cold_p50_ms" in row else ""
        failed = [
            f"{label} {row[label]['failures']:.0f}" for label in ("ours", "tipg") if row.get(label, {}).get("failures")
        ]
        cold += f" **INVALID: failed requests {', '.join(failed)}**" if failed else ""
        print(f"| {row['case']}{cold} | " + " | ".join(cells) + " |")
    first = next(r for r in rows if r["case"] == "items limit=10")["ours"]["p50_ms"]
    deep = next(r for r in rows if r["case"].startswith("page at row"))["ours"]["p50_ms"]
    print(f"\nours: deep page p50 / first page p50 = {deep / first:.2f}")
    for name, value in figures.items():
        shown = f"{value[0]:.1f} s, {value[1]:,} features" if isinstance(value, tuple) else f"{value:.0f}"
        print(f"{name}: {shown}")


@contextmanager
def servers(db_url: str, args: argparse.Namespace) -> Iterator[dict[str, str]]:
    ours_env = {
        **os.environ,
        "GEO_DB_URL": db_url,
        "PYTHONPATH": f"{ROOT}:{ROOT / 'layers'}",
        "GEO_RATE_LIMIT_REQUESTS": "1000000000",  # one client at thousands of requests/s: not a load to refuse
    }
    plain = db_url.replace("postgresql+psycopg://", "postgresql://")
    tipg_env = {
        **os.environ,
        "DATABASE_URL": plain,
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_DB_TABLES": '["public.facility"]',
    }
    with server(sys.executable, ["--factory", "geo_service.asgi:build_app"], ours_env, "/ogc") as ours:
        if args.skip_tipg:
            yield {"ours": ours}
            return
        with server(args.tipg_python, ["tipg.main:app"], tipg_env, "/collections") as tipg:
            yield {"ours": ours, "tipg": tipg}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per load run (default %(default)s)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument(
        "--tipg-python", default=os.environ.get("TIPG_PYTHON", str(ROOT / "var" / "tipg-venv" / "bin" / "python"))
    )
    parser.add_argument("--skip-tipg", action="store_true")
    parser.add_argument("--skip-harvest", action="store_true")
    parser.add_argument("--db-url", help="reuse a prepared PostGIS database (sample + national set)")
    parser.add_argument("--max-load", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="geo-bench-ogc-") as tmp:
        database = _database(args, Path(tmp))
        with database as db_url, servers(db_url, args) as bases:
            wait_for_quiet(args.max_load, 900)
            print(f"wrk, {args.connections} connections, {args.duration:g} s per run; PostGIS, national set + sample")
            rows = run_cases(bases, db_url, args, Path(tmp))
            report(rows, extra_figures(bases, args))


@contextmanager
def _database(args: argparse.Namespace, workdir: Path) -> Iterator[str]:
    if args.db_url:
        yield args.db_url
        return
    with fresh_database("postgis", workdir, national=True) as url:
        yield url


if __name__ == "__main__":
    main()
