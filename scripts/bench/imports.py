"""Bulk import benchmark: a 10,000-row XLSX of seeded synthetic facilities inside Binzhou's districts,
imported through the service (the code path of `POST /api/v1/imports` and `geo-service import`) into a
fresh database holding the sample, on each backend.

Reported per backend:
  - dry run: read + check, split into its stages (read: guards and XLSX reader; check: parse_rows and
    the database checks), nothing written;
  - commit (create): 10,000 new rows, one transaction with batch, links and 10,001 audit rows;
  - commit (update): the same file with every name changed (10,000 updates, ids kept);
  - commit (unchanged): the same file again (nothing written but the batch);
  - peak Python memory (tracemalloc) of a dry run and of a create commit, measured in separate runs on
    a second fresh database, since tracing slows everything down; and the process's peak RSS.
Targets (SpatiaLite): dry run ≤ 3 s, commit ≤ 5 s. The machine is shared: check `uptime` first.

    python scripts/bench/imports.py [--backend spatialite|postgis|both] [--rows 10000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import shapely
from bench_common import fresh_database

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from geo_service import data_files, vocab  # noqa: E402
from geo_service.authorization import AuditContext, Principal  # noqa: E402
from geo_service.db.engine import make_engine  # noqa: E402
from geo_service.interchange import ExportRow, write_facilities  # noqa: E402
from geo_service.records import FacilityInput  # noqa: E402
from geo_service.services import imports  # noqa: E402
from geo_service.settings import Settings  # noqa: E402

T = TypeVar("T")
HOURS = ["24/7", "Mo-Fr 08:00-18:00", "Mo-Su 07:00-21:00", "Mo-Fr 08:30-12:00,14:30-18:00; PH off"]
ADMIN = Principal("cli:bench", "admin")


def synthetic_rows(count: int, seed: int = 20261202) -> list[ExportRow]:
    """`count` facilities at random points inside the county-level districts (rejection sampling)."""
    rng = np.random.default_rng(seed)
    districts = [d for d in data_files.read_districts(ROOT / "data") if d.level == "district"]
    outlines = [shapely.from_wkt(d.wkt) for d in districts]
    amenities, rows = list(vocab.AMENITIES), []
    while len(rows) < count:
        i = int(rng.integers(len(districts)))
        west, south, east, north = outlines[i].bounds
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        if not shapely.intersects_xy(outlines[i], lon, lat):
            continue
        chosen = [
            str(a) for a in rng.choice(amenities, size=int(rng.integers(1, 6)), replace=False) if a != "truck_parking"
        ]
        record = FacilityInput(
            code=f"BENCH-{len(rows):05d}",
            kind=list(vocab.KINDS)[len(rows) % 3],
            name=f"合成驿站 {len(rows):05d} 号",
            address=f"{districts[i].name}测试路 {len(rows)} 号",
            district_adcode=districts[i].adcode,
            lon=lon,
            lat=lat,
            amenities=chosen,
            opening_hours=HOURS[len(rows) % len(HOURS)],
            access_method="open",
            phone="0543-0000000",
            source="synthetic benchmark",
        )
        rows.append(ExportRow(record, district_name=districts[i].name))
    return rows


def timed(action: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    value = action()
    return value, time.perf_counter() - started


def peak_mib(action: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def run(url: str, data: bytes, *, dry_run: bool) -> imports.ImportReport:
    settings = Settings(db_url=url)
    engine = make_engine(settings)
    try:
        request = imports.ImportRequest("bench.xlsx", data, "wgs84", dry_run=dry_run)
        policy = imports.ImportPolicy.from_settings(settings)
        return imports.run_import(engine, ADMIN, request, AuditContext.of(ADMIN), policy=policy)
    finally:
        engine.dispose()


def stages(url: str, data: bytes) -> tuple[float, float]:
    """Seconds of the read stage and of the check stage of a dry run."""
    settings = Settings(db_url=url)
    engine = make_engine(settings)
    policy = imports.ImportPolicy.from_settings(settings)
    request = imports.ImportRequest("bench.xlsx", data, "wgs84", dry_run=True)
    try:
        read, read_s = timed(lambda: imports.read_import(request, policy.limits))
        _, check_s = timed(lambda: imports.check_import(engine, ADMIN, read, policy))
        return read_s, check_s
    finally:
        engine.dispose()


def measure(backend: str, data: bytes, renamed: bytes, workdir: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    with fresh_database(backend, workdir) as url:
        out["read_s"], out["check_s"] = stages(url, data)
        dry, out["dry_run_s"] = timed(lambda: run(url, data, dry_run=True))
        created, out["commit_create_s"] = timed(lambda: run(url, data, dry_run=False))
        updated, out["commit_update_s"] = timed(lambda: run(url, renamed, dry_run=False))
        same, out["commit_unchanged_s"] = timed(lambda: run(url, renamed, dry_run=False))
        assert dry.totals.created == created.totals.created == updated.totals.updated == same.totals.unchanged
    with fresh_database(backend, workdir) as url:
        out["dry_run_peak_mib"] = peak_mib(lambda: run(url, data, dry_run=True))
        out["commit_peak_mib"] = peak_mib(lambda: run(url, data, dry_run=False))
    out["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["spatialite", "postgis", "both"], default="both")
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    rows = synthetic_rows(args.rows)
    data = write_facilities(rows, "xlsx", "zh")
    renamed_rows = [
        ExportRow(r.record.model_copy(update={"name": r.record.name + "（改）"}), None, r.district_name) for r in rows
    ]
    renamed = write_facilities(renamed_rows, "xlsx", "zh")
    print(f"{args.rows:,} rows, XLSX {len(data) / 2**20:.1f} MiB")
    backends = ["spatialite", "postgis"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            result = measure(backend, data, renamed, Path(tmp))
            print(backend, "  ".join(f"{k}={v:.2f}" for k, v in result.items()), flush=True)


if __name__ == "__main__":
    main()
