"""Shared parts of the benchmarks: fresh databases on either backend, and a load client."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from geo_service.db.engine import make_engine
from geo_service.services import setup
from geo_service.settings import PROJECT_ROOT, Settings

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
# numba (the road search) probes for the `coverage` package when first imported; with this folder first on
# the path the probe would find the coverage benchmark (coverage.py) instead. Benchmarks measure no test
# coverage, so the probe is told there is none (import bench_common before the road-network modules).
sys.modules.setdefault("coverage", None)  # type: ignore[arg-type]


def postgis_server_url() -> str:
    url = os.environ.get("GEO_TEST_POSTGIS_URL")
    if url:
        return url
    script = PROJECT_ROOT / "scripts" / "postgis.sh"
    return subprocess.run([str(script), "start"], check=True, capture_output=True, text=True).stdout.strip()


@contextmanager
def fresh_database(backend: str, workdir: Path, *, national: bool = False) -> Iterator[str]:
    """A new database with schema, boundaries and sample data (+ the national set); dropped afterwards."""
    admin = None
    if backend == "spatialite":
        url = f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:8]}.sqlite'}"
    else:
        server = postgis_server_url()
        name = f"geo_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(Settings(db_url=url))
    try:
        setup.prepare(engine, PROJECT_ROOT / "data")
        if national:
            import build_national_sample

            build_national_sample.load(engine, build_national_sample.generate(186_000, 7), replace=False)
        engine.dispose()
        yield url
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def load_client(base: str, paths: list[str], duration: float, connections: int, workdir: Path) -> dict[str, float]:
    """rps, p50_ms, p99_ms and failures (responses other than 2xx/3xx, socket errors and timeouts) of
    GET requests cycling through `paths` for `duration` seconds; a run with failures measures errors."""
    if shutil.which("wrk"):
        return _wrk(base, paths, duration, connections, workdir)
    return _python_client(base, paths, duration, connections)


def _wrk(base: str, paths: list[str], duration: float, connections: int, workdir: Path) -> dict[str, float]:
    script = workdir / "paths.lua"
    quoted = ",\n".join(f'"{p}"' for p in paths)
    script.write_text(
        f"local paths = {{\n{quoted}\n}}\nlocal i = 0\n"
        "request = function()\n  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n",
        encoding="utf-8",
    )
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency", "-s", str(script), base]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return {
        "rps": rps,
        "p50_ms": _wrk_latency(out, "50%"),
        "p99_ms": _wrk_latency(out, "99%"),
        "failures": _wrk_failures(out),
    }


def _wrk_failures(out: str) -> float:
    """Non-2xx/3xx responses plus socket errors (connect, read, write, timeout) of a wrk report."""
    statuses = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return float((int(statuses.group(1)) if statuses else 0) + (sum(map(int, sockets.groups())) if sockets else 0))


def _wrk_latency(out: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def _python_client(base: str, paths: list[str], duration: float, connections: int) -> dict[str, float]:
    parts = urlsplit(base)
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        mine, failed, i = [], 0, offset
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                conn.request("GET", paths[i % len(paths)])
                response = conn.getresponse()
                response.read()
                failed += response.status >= 400
            except OSError:
                failed += 1
                conn.close()
            mine.append(time.perf_counter() - started)
            i += 1
        with lock:
            latencies.extend(mine)
            failures[0] += failed

    threads = [threading.Thread(target=worker, args=(n * 97,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cuts = statistics.quantiles(latencies, n=100)
    rps = len(latencies) / duration
    return {"rps": rps, "p50_ms": cuts[49] * 1e3, "p99_ms": cuts[98] * 1e3, "failures": float(failures[0])}


def wait_ready(process: subprocess.Popen[bytes], url: str, log: Path, timeout_s: float) -> None:
    """Return once `url` answers 200; exit with the server's log if it dies or never gets there."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server failed: {log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.02)  # index.py times the start with this: coarser polls showed in its figures
    process.terminate()
    raise SystemExit(f"server did not answer {url} within {timeout_s:g} s")
