"""The planner map's question, answered once for the page and for every export of it: coverage per district
and `count` suggested sites for one radius (a preset or metres) over the whole city or some districts.

The page and its exports (GeoJSON, GeoPackage, XLSX, the static HTML map) take the same `PlannerQuery`
and call `analyse`, so a file holds exactly what the map showed. Sites come from the greedy solver
(measured at 100% of the exact optimum on Binzhou, a fraction of its time: a page cannot wait a minute).
The cost is bounded before any work: the count by GEO_PLAN_MAX_COUNT, the radius by
GEO_COVERAGE_MAX_RADIUS_M, the districts by those loaded; the solver's time by GEO_PLAN_SYNC_BUDGET_S (the
answer says when the budget cut it short).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

import geopandas as gpd
from sqlalchemy import Engine

from geo_service.errors import InvalidParameter
from geo_service.services.coverage import CoverageReport, gaps_frame, measure, summary_rows
from geo_service.services.planning import Plan, SuggestedSite, plan_sites
from geo_service.services.recent_answers import RecentAnswers
from geo_service.services.study_area import (
    PRESETS,
    Assumptions,
    RadiusChoice,
    StudyArea,
    read_study_area,
    resolve_radius,
)
from geo_service.settings import Settings

DEFAULT_COUNT: Final = 65  # the stations the union plans to add (DESIGN §1)
KINDS: Final = ("station",)  # the planner map plans union stations
_RECENT: RecentAnswers[PlannerAnalysis] = RecentAnswers(16)


@dataclass(frozen=True)
class PlannerQuery:
    """What the planner map was asked: districts (none: the whole city), radius (metres or a preset;
    neither: the map's default) and how many sites to suggest (0: none)."""

    districts: tuple[str, ...] = ()
    radius_m: float | None = None
    preset: str | None = None
    count: int = DEFAULT_COUNT


@dataclass(frozen=True)
class PlannerAnalysis:
    radius: RadiusChoice
    area: StudyArea
    report: CoverageReport
    plan: Plan | None

    @property
    def sites(self) -> list[SuggestedSite]:
        return self.plan.sites if self.plan is not None else []

    @cached_property
    def summary(self) -> list[dict[str, Any]]:
        """Per-district rows and the total row (services.coverage.summary_rows)."""
        return summary_rows(self.report)

    def gaps(self) -> gpd.GeoDataFrame:
        return gaps_frame(self.report)

    def sites_frame(self) -> gpd.GeoDataFrame:
        return sites_frame(self.sites)

    def districts_frame(self) -> gpd.GeoDataFrame:
        """The per-district summary rows with each district's outline (WGS-84)."""
        outlines = {d.adcode: d.geom for d in self.area.districts}
        rows = [row for row in self.summary if row["adcode"] in outlines]
        return gpd.GeoDataFrame(rows, geometry=[outlines[row["adcode"]] for row in rows], crs="EPSG:4326")

    def notes(self) -> dict[str, Any]:
        """The assumptions, and for a plan its count, solver and coverage before and after."""
        notes = Assumptions.of(self.area, self.radius, self.report.demand_method).notes()
        if self.plan is None:
            return notes
        return notes | {
            "count": len(self.plan.sites),
            "solver": self.plan.solution.solver,
            "time_budget_reached": self.plan.solution.cut_short,
            "coverage_before": {"demand_pct": self.plan.before.demand_pct, "area_pct": self.plan.before.area_pct},
            "coverage_after": {"demand_pct": self.plan.after.demand_pct, "area_pct": self.plan.after.area_pct},
            "candidates": {"source": self.plan.candidates, "count": self.plan.candidate_count},
        }


def sites_frame(sites: Sequence[SuggestedSite]) -> gpd.GeoDataFrame:
    """The sites as a layer (WGS-84): one row of properties (figures and place) per site."""
    return gpd.GeoDataFrame(
        [site.properties() for site in sites],
        geometry=gpd.points_from_xy([s.lon for s in sites], [s.lat for s in sites]),
        crs="EPSG:4326",
    )


def check(query: PlannerQuery, settings: Settings) -> RadiusChoice:
    """The radius the query asks for (the map's default when none); 422 for a bad count or radius."""
    if not 0 <= query.count <= settings.plan_max_count:
        raise InvalidParameter("count", f"must be between 0 and {settings.plan_max_count}, got {query.count}")
    if query.radius_m is None and query.preset is None:
        default = settings.map_service_radius_m
        named = next((name for name, preset in PRESETS.items() if preset.radius_m == default), None)
        return resolve_radius(default, named, settings.coverage_max_radius_m)
    return resolve_radius(query.radius_m, query.preset, settings.coverage_max_radius_m)


def analyse(engine: Engine, query: PlannerQuery, settings: Settings) -> PlannerAnalysis:
    """Coverage of the study area and, when `count` > 0, the suggested sites; the last few answers are
    kept per data revision, so the exports of the map just drawn cost nothing (the plan takes seconds)."""
    radius = check(query, settings)
    return _RECENT.answer(engine, (query, radius), lambda: _analyse(engine, query, radius, settings.plan_sync_budget_s))


def _analyse(engine: Engine, query: PlannerQuery, radius: RadiusChoice, budget_s: float) -> PlannerAnalysis:
    area = read_study_area(engine, KINDS, query.districts)
    report = measure(area, radius.radius_m)
    chosen = None
    if query.count:
        chosen = plan_sites(area, query.count, radius.radius_m, solver="greedy", budget_s=budget_s)
    return PlannerAnalysis(radius, area, report, chosen)
