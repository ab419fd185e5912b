"""`geo-service coverage` and `geo-service plan`: the planner's questions, answered as files.

Both write GeoJSON and GeoPackage layers, an XLSX/CSV table and a static HTML map (with its assets, so
it opens offline) into --out, using the same services as the API (so the numbers are the ones the API
gives).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import geopandas as gpd
import pandas as pd
import typer
from pydantic import ValidationError

from geo_service import exports
from geo_service.cli_support import Database, console, open_database, steps
from geo_service.maps.results import write_result_map
from geo_service.services import coverage as coverage_service
from geo_service.services import planning as planning_service
from geo_service.services.planner import sites_frame
from geo_service.services.planner_workbook import planner_workbook
from geo_service.services.study_area import presets_help

Kind = Annotated[list[str], typer.Option("--kind", help="Facility kinds that count (repeatable; default station).")]
DistrictOption = Annotated[list[str], typer.Option("--district", help="Adcode or name (repeatable; default all).")]
Radius = Annotated[float | None, typer.Option("--radius-m", help="Service radius in metres.")]
PresetOption = Annotated[str | None, typer.Option("--preset", help=f"{presets_help()}.")]
Out = Annotated[Path, typer.Option("--out", help="Folder for the results (created).")]


def coverage(
    out: Out = Path("coverage-results"),
    kind: Kind = [],
    district: DistrictOption = [],
    radius_m: Radius = None,
    preset: PresetOption = None,
    grid: Annotated[str | None, typer.Option(help="Also a distance grid, e.g. square:1000 or h3:8.")] = None,
) -> None:
    """Coverage per district: gaps (GeoJSON, GPKG), summary (XLSX, CSV), map (HTML).

    Example: geo-service coverage --preset walk-15 --out results/
    """
    query = coverage_service.CoverageQuery(tuple(kind), tuple(district), radius_m, preset)
    with open_database() as db, steps(2) as step:
        measured = step.run("measuring coverage", lambda: _measure(db, query, grid), _shares)
        step.run("writing files", lambda: _write_coverage(db, out, measured, query.districts), lambda _: str(out))


@dataclass(frozen=True)
class _Measured:
    report: coverage_service.CoverageReport
    meta: dict[str, Any]  # the assumptions every output states
    grid: gpd.GeoDataFrame | None


def _measure(db: Database, query: coverage_service.CoverageQuery, grid: str | None) -> _Measured:
    report, meta = coverage_service.coverage_report(db.engine, query, db.settings)
    if grid is None:
        return _Measured(report, meta, None)
    cells, _ = coverage_service.grid_report(db.engine, query, grid, db.settings)
    return _Measured(report, meta, cells)


def _shares(measured: _Measured) -> str:
    total = coverage_service.summary_rows(measured.report)[-1]
    return f"{total['covered_area_pct']:.1f}% of the area, {total['demand_covered_pct'] or 0:.1f}% of demand"


def _write_coverage(db: Database, out: Path, measured: _Measured, districts: tuple[str, ...]) -> None:
    gaps = _write_coverage_files(out, measured.report, measured.meta, measured.grid)
    radius = measured.meta["radius_m"]
    with db.engine.connect() as conn:
        write_result_map(conn, db.settings, out / "coverage.html", radius_m=radius, districts=districts, gaps=gaps)


def plan(
    count: Annotated[int, typer.Option(help="How many new sites to suggest.")] = 65,
    out: Out = Path("plan-results"),
    kind: Kind = [],
    district: DistrictOption = [],
    radius_m: Radius = None,
    preset: PresetOption = None,
    candidates: Annotated[Path | None, typer.Option(help="GeoJSON of candidate points (default: grid).")] = None,
    demand: Annotated[Path | None, typer.Option(help="GeoJSON of demand points with a `weight`.")] = None,
    solver: Annotated[str, typer.Option(help="auto, greedy or exact.")] = "auto",
) -> None:
    """Suggest COUNT new sites (existing facilities kept): sites with gains (GeoJSON, GPKG, XLSX), map.

    Example: geo-service plan --count 65 --preset walk-15 --out results/
    """
    options = {"count": count, "radius_m": radius_m, "preset": preset, "kind": kind, "district": district}
    files = {"candidates": _read_json(candidates), "demand": _read_json(demand)}
    spec = _plan_spec(options | files | {"solver": solver})
    with open_database() as db, steps(2) as step:
        result = step.run("choosing sites", lambda: _solve(db, spec), _gains)
        step.run("writing files", lambda: _write_plan(db, out, spec, result), lambda _: str(out))


def _solve(db: Database, spec: planning_service.PlanSpec) -> planning_service.PlanResult:
    return planning_service.plan(db.engine, spec, db.settings, db.settings.plan_time_limit_s)


def _write_plan(db: Database, out: Path, spec: planning_service.PlanSpec, result: planning_service.PlanResult) -> None:
    _write_plan_files(out, result)
    radius = result.assumptions.radius.radius_m
    with db.engine.connect() as conn:
        write_result_map(
            conn, db.settings, out / "plan.html", radius_m=radius, districts=spec.district, sites=result.sites
        )


def _gains(result: planning_service.PlanResult) -> str:
    shares = f"{result.plan.before.demand_pct:.1f}% → {result.plan.after.demand_pct:.1f}%"
    return f"{len(result.sites)} sites by {result.plan.solution.solver}: demand reached {shares}"


def _plan_spec(values: dict[str, Any]) -> planning_service.PlanSpec:
    """The spec the options and files describe; a bad value stops with its field named (exit code 1)."""
    try:
        return planning_service.PlanSpec.model_validate(values)
    except ValidationError as exc:
        for error in exc.errors():
            console.print(f"[red]error:[/] {'.'.join(str(part) for part in error['loc'])}: {error['msg']}")
        raise typer.Exit(1) from exc


def _write_coverage_files(
    out: Path, report: coverage_service.CoverageReport, meta: dict[str, Any], grid: gpd.GeoDataFrame | None
) -> gpd.GeoDataFrame:
    """Gaps and grid layers and the summary tables into `out`; returns the gaps (for the map)."""
    out.mkdir(parents=True, exist_ok=True)
    gaps = coverage_service.gaps_frame(report)
    rows = pd.DataFrame(coverage_service.summary_rows(report))
    _write_layer(gaps, out, "gaps")
    (out / "summary.xlsx").write_bytes(planner_workbook("zh", meta, summary=coverage_service.summary_rows(report)))
    (out / "summary.csv").write_bytes(exports.table_bytes(rows, "csv"))
    if grid is not None:
        _write_layer(grid, out, "grid")
    return gaps


def _write_plan_files(out: Path, result: planning_service.PlanResult) -> None:
    """The sites as layers and as a table whose notes sheet holds the plan's figures and assumptions."""
    out.mkdir(parents=True, exist_ok=True)
    _write_layer(sites_frame(result.sites), out, "sites")
    workbook = planner_workbook("zh", result.notes(), sites=[site.properties() for site in result.sites])
    (out / "sites.xlsx").write_bytes(workbook)


def _read_json(path: Path | None) -> Any:
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        console.print(f"[red]error:[/] cannot read {path}: {exc}")
        raise typer.Exit(2) from exc


def _write_layer(frame: gpd.GeoDataFrame, out: Path, name: str) -> None:
    (out / f"{name}.geojson").write_bytes(exports.layer_bytes(frame, "geojson", name))
    (out / f"{name}.gpkg").write_bytes(exports.layer_bytes(frame, "gpkg", name))
