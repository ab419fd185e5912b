"""Coverage and planning benchmark: ours against the obvious alternatives, in one run.

1. Gaps on the Binzhou sample (walk-15, 1 km): geo_service's per-district measurement (gaps + area and
   demand figures per district) vs the naive GeoPandas recipe (buffer in UTM 50N, union, difference
   from each district; no demand figures). Ratio = ours / naive time.
2. 65 new sites: our multi-start greedy + swap vs spopt's MCLP solved exactly by CBC, on the same
   instance (demand and candidates on a --plan-cell grid; existing stations locked in). Reports time and
   coverage of each; target: ≥ 99% of the optimum in ≤ 1/10 of its time.
3. National scale: 186,000 synthetic facilities (scripts/build_national_sample.py) — gaps and a distance
   grid over the synthetic national extent, timed.

    python scripts/bench/coverage.py [--plan-cell 1500] [--skip-national | --national-only]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
from bench_common import fresh_database
from sqlalchemy import text

from geo_service.analysis.coverage import nearest_distances
from geo_service.analysis.demand import grid_points
from geo_service.analysis.metric import frame_for
from geo_service.analysis.siting import CoverageProblem, exact, greedy
from geo_service.db.engine import make_engine
from geo_service.services.coverage import distance_grid, gaps_frame, measure, summary_rows
from geo_service.services.study_area import load_study_area, piece_demand
from geo_service.settings import Settings

RADIUS_M = 1000.0


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    print(f"  {label:<58} {seconds:8.3f} s")
    return result, seconds


def naive_gaps(area) -> float:  # type: ignore[no-untyped-def]
    """The textbook GeoPandas recipe, in UTM 50N; returns the total gap area in km²."""
    districts = gpd.GeoDataFrame(
        {"adcode": [d.adcode for d in area.districts]}, geometry=[d.geom for d in area.districts], crs="EPSG:4326"
    ).to_crs(32650)
    stations = gpd.GeoSeries(gpd.points_from_xy(area.sites[:, 0], area.sites[:, 1]), crs="EPSG:4326").to_crs(32650)
    covered = stations.buffer(RADIUS_M).union_all()
    return float(districts.geometry.difference(covered).area.sum() / 1e6)


def repeat(fn, runs: int = 7) -> tuple[object, float, float]:  # type: ignore[no-untyped-def]
    """(result, first-call seconds, median of the later calls): a server answers warm after the first."""
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return result, times[0], statistics.median(times[1:])


def gaps_section(area) -> None:  # type: ignore[no-untyped-def]
    print("\n## Gaps, Binzhou sample, radius 1 km (first call / median of 6 more)")
    report, ours_cold, ours = repeat(lambda: measure(area, RADIUS_M))
    naive_km2, naive_cold, naive = repeat(lambda: naive_gaps(area))
    print(f"  {'geo_service measure (gaps + per-district area & demand)':<58} {ours_cold:7.3f} s / {ours:7.3f} s")
    print(f"  {'naive geopandas buffer/union/difference (UTM 50N)':<58} {naive_cold:7.3f} s / {naive:7.3f} s")
    ours_km2 = float(gaps_frame(report)["area_km2"].sum())  # type: ignore[arg-type]
    differ = 100 * (ours_km2 / naive_km2 - 1)  # type: ignore[operator]
    print(f"  gap area: ours {ours_km2:,.1f} km², naive {naive_km2:,.1f} km² (differ {differ:+.2f}%)")
    total = summary_rows(report)[-1]  # type: ignore[arg-type]
    print(f"  demand covered (ours only): {total['demand_covered_pct']:.2f}%")
    print(f"  time ratio ours / naive: first call {ours_cold / naive_cold:.2f}, warm {ours / naive:.2f}")


def plan_instance(area, cell_m: float) -> CoverageProblem:  # type: ignore[no-untyped-def]
    frame = frame_for(area.boundary)
    parts = [piece_demand(d, d.geom, frame, frame.project(d.geom), None, cell_m) for d in area.districts]
    demand_xy, weights = np.vstack([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    existing = frame.project_points(area.sites)
    open_demand = nearest_distances(demand_xy, existing) > RADIUS_M
    candidates = grid_points(frame.project(area.boundary), cell_m)
    candidates = candidates[nearest_distances(candidates, existing) > RADIUS_M]
    print(
        f"  instance: {open_demand.sum():,} uncovered demand points, {len(candidates):,} candidates ({cell_m:g} m grid)"
    )
    return CoverageProblem.build(demand_xy[open_demand], weights[open_demand], candidates, RADIUS_M)


def plan_section(area, cell_m: float, time_limit: float) -> None:  # type: ignore[no-untyped-def]
    print("\n## 65 new sites, radius 1 km, existing stations locked in")
    problem = plan_instance(area, cell_m)
    ours, ours_s = timed("geo_service greedy (multi-start + swaps)", lambda: greedy(problem, 65))
    best, exact_s = timed("spopt MCLP, CBC exact", lambda: exact(problem, 65, time_limit))
    share = 100 * ours.value / best.value
    print(f"  covered demand: greedy {ours.value:,.0f}, exact {best.value:,.0f} → {share:.2f}% of optimum")
    print(f"  time: greedy / exact = {ours_s / exact_s:.3f}")


def national_section(workdir: Path) -> None:
    print("\n## National: 186,000 synthetic facilities")
    with fresh_database("spatialite", workdir, national=True) as url:
        engine = make_engine(Settings(db_url=url))
        with engine.connect() as conn:
            area = load_study_area(conn, ["station"], ["100000"])
            count = conn.execute(text("SELECT count(*) FROM facility WHERE code LIKE 'NAT-%'")).scalar()
        print(f"  {count:,} synthetic facilities; {len(area.sites):,} open stations over the synthetic extent")
        timed("gaps + per-zone figures (demand grid 5 km)", lambda: measure(area, RADIUS_M, cell_m=5000.0))
        cells, _ = timed("distance grid, h3 resolution 5", lambda: distance_grid(area, "h3", 5))
        print(f"  grid cells: {len(cells):,}")
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plan-cell", type=float, default=1500.0, help="grid of the plan instance, m")
    parser.add_argument("--time-limit", type=float, default=900.0, help="CBC time limit, s")
    parser.add_argument("--skip-national", action="store_true")
    parser.add_argument("--national-only", action="store_true", help="only section 3 (no CBC run)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="geo-bench-") as tmp:
        if args.national_only:
            national_section(Path(tmp))
            return
        with fresh_database("spatialite", Path(tmp)) as url:
            engine = make_engine(Settings(db_url=url))
            with engine.connect() as conn:
                area = load_study_area(conn, ["station"], [])
            engine.dispose()
        gaps_section(area)
        plan_section(area, args.plan_cell, args.time_limit)
        if not args.skip_national:
            national_section(Path(tmp))


if __name__ == "__main__":
    main()
