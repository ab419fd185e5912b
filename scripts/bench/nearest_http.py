"""HTTP benchmark of the nearest endpoint, as a ratio to a hello-world FastAPI endpoint in the same run.

This machine is shared and noisy, so absolute numbers mean little; the ratio to a baseline measured
minutes apart with identical server settings (uvicorn, 1 worker, uvloop + httptools, no access log:
GEO_ACCESS_LOG=false unless --access-log, which measures our JSON access line too) and the same client
does. For each backend it prepares a fresh database (schema, Binzhou boundaries,
sample data; with --national also 186,000 synthetic facilities), starts both servers, then alternates
hello / nearest runs (--rounds) so drift affects both alike. Each nearest request asks for the 5
nearest facilities to a different seeded random point (a wrk Lua script cycles through them).

    python scripts/bench/nearest_http.py                       # both backends, Binzhou sample
    python scripts/bench/nearest_http.py --national            # + the 186,000-facility national set
    python scripts/bench/nearest_http.py --backend spatialite --duration 5

Needs wrk (Debian package `wrk`) for the load; falls back to a Python keep-alive client without it.
PostGIS: GEO_TEST_POSTGIS_URL, or a server started by scripts/postgis.sh.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from bench_common import fresh_database, load_client, wait_ready

ROOT = Path(__file__).resolve().parents[2]

UVICORN_FLAGS = [
    "--workers",
    "1",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--no-access-log",
    "--log-level",
    "warning",
]
BINZHOU_BOX = (117.3, 36.7, 118.4, 38.3)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(target: list[str], env: dict[str, str], probe: str, log: Path) -> tuple[subprocess.Popen, str]:
    """A server on a free port; its stderr (and log lines) go to `log`, never to an unread pipe."""
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", *target, "--port", str(port), *UVICORN_FLAGS]
    with log.open("wb") as stderr:
        process = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    wait_ready(process, base + probe, log, 120)
    return process, base


def query_paths(national: bool, count: int, seed: int, db_url: str) -> list[str]:
    rng = np.random.default_rng(seed)
    if national:
        from sqlalchemy import text

        from geo_service.db.engine import make_engine
        from geo_service.settings import Settings

        engine = make_engine(Settings(db_url=db_url))
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM facility WHERE code LIKE 'NAT-%'")).all()
        engine.dispose()
        anchors = np.array(rows)[rng.integers(0, len(rows), count)]
        lon, lat = anchors[:, 0] + rng.normal(0, 0.05, count), anchors[:, 1] + rng.normal(0, 0.05, count)
    else:
        west, south, east, north = BINZHOU_BOX
        lon, lat = rng.uniform(west, east, count), rng.uniform(south, north, count)
    return [f"/api/v1/facilities/nearest?lon={x:.5f}&lat={y:.5f}&limit=5" for x, y in zip(lon, lat, strict=True)]


def run_backend(backend: str, national: bool, args: argparse.Namespace, workdir: Path) -> list[dict]:
    with fresh_database(backend, workdir, national=national) as db_url:
        access_log = "true" if args.access_log else "false"
        env = {**os.environ, "GEO_DB_URL": db_url, "PYTHONPATH": str(ROOT), "GEO_ACCESS_LOG": access_log}
        # the request limit counts every request and adds to the shared counter at its usual cadence, but
        # never refuses one: the whole cost of a limit that is not reached
        env["GEO_RATE_LIMIT_REQUESTS"] = "1000000000"
        paths = query_paths(national, 2000, args.seed, db_url)
        hello, hello_base = start(["scripts.bench.hello_app:app"], env, "/hello", workdir / "hello.log")
        ours, ours_base = start(["--factory", "geo_service.asgi:build_app"], env, paths[0], workdir / "ours.log")
        try:
            rows = []
            for round_number in range(1, args.rounds + 1):
                base_result = load_client(hello_base, ["/hello"], args.duration, args.connections, workdir)
                our_result = load_client(ours_base, paths, args.duration, args.connections, workdir)
                rows.append({"round": round_number, "hello": base_result, "nearest": our_result})
            return rows
        finally:
            for process in (hello, ours):
                process.terminate()
                process.wait(timeout=30)


def report(label: str, rows: list[dict]) -> None:
    print(f"\n## {label}")
    head = ("round", "hello rps", "p50 ms", "p99 ms", "nearest rps", "p50 ms", "p99 ms", "ratio")
    print("{:>5} {:>10} {:>7} {:>7} {:>12} {:>7} {:>7} {:>6}".format(*head))
    ratios = []
    for row in rows:
        h, n = row["hello"], row["nearest"]
        ratio = n["rps"] / h["rps"]
        ratios.append(ratio)
        print(
            f"{row['round']:>5} {h['rps']:>10.0f} {h['p50_ms']:>7.2f} {h['p99_ms']:>7.2f} "
            f"{n['rps']:>12.0f} {n['p50_ms']:>7.2f} {n['p99_ms']:>7.2f} {ratio:>6.2f}"
        )
    print(f"median ratio nearest-5 / hello-world: {statistics.median(ratios):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["spatialite", "postgis", "both"], default="both")
    parser.add_argument("--national", action="store_true", help="also run with 186,000 synthetic facilities")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per load run (default %(default)s)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="hello/nearest alternations (default %(default)s)")
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--access-log", action="store_true", help="our app writes its JSON access log (to a file)")
    args = parser.parse_args()
    backends = ["spatialite", "postgis"] if args.backend == "both" else [args.backend]
    client = "wrk" if shutil.which("wrk") else "python keep-alive client"
    print(f"client: {client}; {args.connections} connections, {args.duration:g} s per run, {args.rounds} rounds")
    print(f"our access log: {'on (JSON lines to a file)' if args.access_log else 'off, as hello-world'}")
    with tempfile.TemporaryDirectory(prefix="geo-bench-") as tmp:
        for backend in backends:
            for national in [False, True] if args.national else [False]:
                label = f"{backend}, {'national 186,000 + sample' if national else 'Binzhou sample'}"
                report(label, run_backend(backend, national, args, Path(tmp)))


if __name__ == "__main__":
    main()
