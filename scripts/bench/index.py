"""The nearest index at national scale: memory, start-up, edit-to-visible latency, and nearest under edits.

One server worker (uvicorn, as in nearest_http.py) over a fresh database holding the Binzhou sample plus
186,000 synthetic facilities. Edits are written straight to the database with SQL, as an import or an
editor would, and the server is asked until it answers with the edit. Printed per backend:

- time to ready (process start → first nearest answer) and RSS after start;
- edit-to-visible latency: one moved facility; 100 moved in one transaction; an import of 1,000 new rows;
- nearest p50/p99 (sequential requests) while edits stream in (one committed edit every --edit-every
  seconds, from another process), against the same figures with no edits in the same run;
- RSS after 100 and after 1,000 edits (growth means a leak).

    python scripts/bench/index.py [--backend spatialite|postgis|both] [--stream-s 20] [--edit-every 0.5]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
import urllib.request
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

import numpy as np
from bench_common import fresh_database
from nearest_http import ROOT, start
from sqlalchemy import Engine, text

from geo_service.db.engine import make_engine
from geo_service.settings import Settings

PROBE = (100.5, 30.5)  # a spot of the synthetic national extent where edits are unmistakable
COPIED = (  # every column of a copied facility but its id, code and position
    "kind, name, address, district_adcode, township, amenities, opening_hours, access_method, "
    "host_org, host_type, phone, status, last_verified_at, area_m2, truck_parking_spaces, details, source, "
    "is_sample"
)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def nearest_code(base: str, lon: float, lat: float) -> str:
    url = f"{base}/api/v1/facilities/nearest?lon={lon}&lat={lat}&limit=1"
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
        return str(json.loads(response.read())["features"][0]["properties"]["code"])


def seconds_until_visible(base: str, code: str, committed: float, point: tuple[float, float]) -> float:
    """Seconds from `committed` until the server names `code` as nearest to `point` (60 s at most)."""
    while time.perf_counter() - committed < 60:
        if nearest_code(base, *point) == code:
            return time.perf_counter() - committed
        time.sleep(0.01)
    return float("inf")


def point_wkt(lon: float, lat: float) -> str:
    return f"POINT({lon:.6f} {lat:.6f})"


def move(engine: Engine, ids: list[int], points: list[tuple[float, float]]) -> float:
    """Move facilities `ids` to `points` in one transaction; the commit time (perf_counter)."""
    with engine.begin() as conn:
        for facility_id, point in zip(ids, points, strict=True):
            conn.execute(
                text("UPDATE facility SET geom = ST_GeomFromText(:wkt, 4326) WHERE id = :id"),
                {"wkt": point_wkt(*point), "id": facility_id},
            )
    return time.perf_counter()


def import_rows(engine: Engine, count: int, tag: str, point: tuple[float, float]) -> float:
    """Insert `count` copies of open stations (one at `point`, the rest nearby) in one transaction."""
    with engine.begin() as conn:
        source = conn.scalar(text("SELECT id FROM facility WHERE status = 'open' AND code LIKE 'NAT-%' LIMIT 1"))
        for n in range(count):
            lon, lat = (point[0], point[1]) if n == 0 else (point[0] + 0.5 + n * 1e-4, point[1] + 0.5)
            conn.execute(
                text(
                    f"INSERT INTO facility (code, geom, {COPIED}) SELECT :code, ST_GeomFromText(:wkt, 4326), "
                    f"{COPIED} FROM facility WHERE id = :source"
                ),
                {"code": f"{tag}-{n}", "wkt": point_wkt(lon, lat), "source": source},
            )
    return time.perf_counter()


def open_station_ids(engine: Engine, count: int, seed: int) -> list[int]:
    with engine.connect() as conn:
        ids = conn.scalars(text("SELECT id FROM facility WHERE status = 'open' AND kind = 'station'")).all()
    return [int(i) for i in np.random.default_rng(seed).choice(ids, size=count, replace=False)]


def code_of(engine: Engine, facility_id: int) -> str:
    with engine.connect() as conn:
        return str(conn.scalar(text("SELECT code FROM facility WHERE id = :id"), {"id": facility_id}))


def latencies(base: str, seconds: float, rng: np.random.Generator) -> list[float]:
    """Sequential nearest requests around the national set for `seconds`; milliseconds each."""
    out, stop = [], time.perf_counter() + seconds
    while time.perf_counter() < stop:
        lon, lat = float(rng.uniform(100, 120)), float(rng.uniform(25, 40))
        started = time.perf_counter()
        nearest_code(base, lon, lat)
        out.append((time.perf_counter() - started) * 1000)
    return out


def stream_edits(db_url: str, ids: list[int], every_s: float, stop: EventType, seed: int) -> None:
    """Commit one move every `every_s` seconds until `stop`. Runs in a process of its own: in a thread of
    the measuring process its Python work would delay the timed requests (one interpreter lock), and
    the figures would show the client's contention instead of the server's."""
    engine = make_engine(Settings(db_url=db_url))
    rng = np.random.default_rng(seed)
    while not stop.is_set():
        move(engine, [int(rng.choice(ids))], [(float(rng.uniform(100, 120)), float(rng.uniform(25, 40)))])
        stop.wait(every_s)
    engine.dispose()


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def visibility_section(engine: Engine, base: str, seed: int) -> None:
    ids = open_station_ids(engine, 101, seed)
    one = move(engine, [ids[0]], [PROBE])
    print(
        f"  one edit visible after            {seconds_until_visible(base, code_of(engine, ids[0]), one, PROBE):7.3f} s"
    )
    points = [(PROBE[0] + 1 + i * 0.01, PROBE[1] + 1) for i in range(100)]
    many = move(engine, ids[1:], points)
    seen = seconds_until_visible(base, code_of(engine, ids[-1]), many, points[-1])
    print(f"  100 edits (one transaction) after {seen:7.3f} s")
    probe = (PROBE[0] + 3, PROBE[1] - 3)
    imported = import_rows(engine, 1000, "BENCH-IMPORT", probe)
    print(
        f"  import of 1,000 rows visible after {seconds_until_visible(base, 'BENCH-IMPORT-0', imported, probe):6.3f} s"
    )


def streaming_section(engine: Engine, db_url: str, base: str, args: argparse.Namespace) -> None:
    rng = np.random.default_rng(args.seed)
    idle = latencies(base, args.stream_s, rng)
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    ids = open_station_ids(engine, 1000, args.seed + 1)
    editor = context.Process(target=stream_edits, args=(db_url, ids, args.edit_every, stop, args.seed))
    editor.start()
    busy = latencies(base, args.stream_s, rng)
    stop.set()
    editor.join()
    print(f"  nearest idle:        p50 {pct(idle, 50):6.2f} ms  p99 {pct(idle, 99):6.2f} ms  ({len(idle)} requests)")
    print(f"  nearest under edits: p50 {pct(busy, 50):6.2f} ms  p99 {pct(busy, 99):6.2f} ms  ({len(busy)} requests)")
    print(f"  p99 under edits / idle: {pct(busy, 99) / pct(idle, 99):.2f}×")


def growth_section(engine: Engine, base: str, pid: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ids = open_station_ids(engine, 1000, seed + 2)
    marks = {}
    for n in range(1, 1001):
        move(engine, [ids[n - 1]], [(float(rng.uniform(100, 120)), float(rng.uniform(25, 40)))])
        if n in (100, 1000):
            seconds_until_visible(base, code_of(engine, ids[n - 1]), time.perf_counter(), _where(engine, ids[n - 1]))
            marks[n] = rss_mib(pid)
    print(f"  RSS after 100 edits {marks[100]:7.1f} MiB, after 1,000 edits {marks[1000]:7.1f} MiB")


def _where(engine: Engine, facility_id: int) -> tuple[float, float]:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM facility WHERE id = :id"), {"id": facility_id})
        lon, lat = row.one()
    return float(lon), float(lat)


def run_backend(backend: str, args: argparse.Namespace, workdir: Path) -> None:
    print(f"\n## {backend}")
    with fresh_database(backend, workdir, national=True) as db_url:
        env = {
            **os.environ,
            "GEO_DB_URL": db_url,
            "PYTHONPATH": f"{ROOT}:{ROOT / 'layers'}",
            "GEO_RATE_LIMIT_REQUESTS": "0",
        }
        probe = f"/api/v1/facilities/nearest?lon={PROBE[0]}&lat={PROBE[1]}&limit=1"
        started = time.perf_counter()
        server, base = start(["--factory", "geo_service.asgi:build_app"], env, probe, workdir / f"{backend}.log")
        print(f"  ready after {time.perf_counter() - started:.2f} s; RSS {rss_mib(server.pid):.1f} MiB")
        engine = make_engine(Settings(db_url=db_url))
        try:
            visibility_section(engine, base, args.seed)
            streaming_section(engine, db_url, base, args)
            growth_section(engine, base, server.pid, args.seed)
        finally:
            engine.dispose()
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["spatialite", "postgis", "both"], default="both")
    parser.add_argument(
        "--stream-s", type=float, default=20.0, help="seconds of nearest requests, idle and under edits"
    )
    parser.add_argument("--edit-every", type=float, default=0.5, help="seconds between streamed edits")
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; GEO_INDEX_REFRESH_S default ({Settings().index_refresh_s:g} s)")
    backends = ["spatialite", "postgis"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory(prefix="geo-index-bench-") as tmp:
        for backend in backends:
            run_backend(backend, args, Path(tmp))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
