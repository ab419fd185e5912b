"""`geo-service coverage` and `geo-service plan`: the planner's questions, answered as files.

Both write GeoJSON and GeoPackage layers, an XLSX/CSV table and a static HTML map (with its assets, so
it opens offline) into --out, using the same services as the API (so the numbers are the ones the API
gives).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import geopandas as gpd
import pandas as pd
import typer

from geo_service import exports
from geo_service.cli_support import console, open_database, run_steps
from geo_service.maps.results import write_result_map
from geo_service.services import coverage as coverage_service
from geo_service.services import planning as planning_service

Kind = Annotated[list[str], typer.Option("--kind", help="Facility kinds that count (repeatable; default station).")]
District = Annotated[list[str], typer.Option("--district", help="Adcode or name (repeatable; default all).")]
Radius = Annotated[float | None, typer.Option("--radius-m", help="Service radius in metres.")]
Preset = Annotated[
    str | None,
    typer.Option("--preset", help="walk-15 (1 km), shandong-urban (500 m), shandong-dense (250 m), ebike-10 (3 km)."),
]
Out = Annotated[Path, typer.Option("--out", help="Folder for the results (created).")]


def coverage(
    out: Out = Path("coverage-results"),
    kind: Kind = [],
    district: District = [],
    radius_m: Radius = None,
    preset: Preset = None,
    grid: Annotated[str | None, typer.Option(help="Also a distance grid, e.g. square:1000 or h3:8.")] = None,
) -> None:
    """Coverage per district: gaps (GeoJSON, GPKG), summary (XLSX, CSV), map (HTML).

    Example: geo-service coverage --preset walk-15 --out results/
    """
    with open_database() as db:
        settings, engine = db.settings, db.engine
        query = coverage_service.CoverageQuery(tuple(kind), tuple(district), radius_m, preset)
        state: dict[str, Any] = {}

        def measure() -> str:
            with engine.connect() as conn:
                state["report"], state["meta"] = coverage_service.coverage_report(conn, query, settings)
                if grid:
                    state["grid"], _ = coverage_service.grid_report(conn, tuple(kind), tuple(district), grid, settings)
            total = coverage_service.summary_rows(state["report"])[-1]
            return f"{total['covered_area_pct']:.1f}% of the area, {total['demand_covered_pct'] or 0:.1f}% of demand"

        def write() -> str:
            out.mkdir(parents=True, exist_ok=True)
            gaps = coverage_service.gaps_frame(state["report"])
            rows = pd.DataFrame(coverage_service.summary_rows(state["report"]))
            _write_layer(gaps, out, "gaps")
            (out / "summary.xlsx").write_bytes(exports.table_bytes(rows, "xlsx", notes=state["meta"]))
            (out / "summary.csv").write_bytes(exports.table_bytes(rows, "csv"))
            if "grid" in state:
                _write_layer(state["grid"], out, "grid")
            with engine.connect() as conn:
                radius = state["meta"]["radius_m"]
                write_result_map(
                    conn, settings, out / "coverage.html", radius_m=radius, districts=tuple(district), gaps=gaps
                )
            return str(out)

        run_steps([("measuring coverage", measure), ("writing files", write)])


def plan(
    count: Annotated[int, typer.Option(help="How many new sites to suggest.")] = 65,
    out: Out = Path("plan-results"),
    kind: Kind = [],
    district: District = [],
    radius_m: Radius = None,
    preset: Preset = None,
    candidates: Annotated[Path | None, typer.Option(help="GeoJSON of candidate points (default: grid).")] = None,
    demand: Annotated[Path | None, typer.Option(help="GeoJSON of demand points with a `weight`.")] = None,
    solver: Annotated[str, typer.Option(help="auto, greedy or exact.")] = "auto",
) -> None:
    """Suggest COUNT new sites (existing facilities kept): sites with gains (GeoJSON, GPKG, XLSX), map.

    Example: geo-service plan --count 65 --preset walk-15 --out results/
    """
    with open_database() as db:
        settings, engine = db.settings, db.engine
        request = {
            "count": count,
            "radius_m": radius_m,
            "preset": preset,
            "kind": kind,
            "district": district,
            "solver": solver,
            "candidates": _read_json(candidates),
            "demand": _read_json(demand),
        }
        state: dict[str, Any] = {}

        def solve() -> str:
            with engine.connect() as conn:
                state["body"] = planning_service.plan_request(conn, request, settings)
            body = state["body"]
            return (
                f"{len(body['features'])} sites by {body['solver']}: demand reached "
                f"{body['coverage_before']['demand_pct']:.1f}% → {body['coverage_after']['demand_pct']:.1f}%"
            )

        def write() -> str:
            out.mkdir(parents=True, exist_ok=True)
            body = state["body"]
            sites = gpd.GeoDataFrame.from_features(body["features"], crs="EPSG:4326")
            _write_layer(sites, out, "sites")
            notes = {k: v for k, v in body.items() if k not in ("type", "features")}
            (out / "sites.xlsx").write_bytes(
                exports.table_bytes(pd.DataFrame(sites.drop(columns="geometry")), "xlsx", sheet="sites", notes=notes)
            )
            with engine.connect() as conn:
                write_result_map(
                    conn,
                    settings,
                    out / "plan.html",
                    radius_m=body["radius_m"],
                    districts=tuple(district),
                    sites=[f["properties"] for f in body["features"]],
                )
            return str(out)

        run_steps([("choosing sites", solve), ("writing files", write)])


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
