"""The map pages: public (everyone), nearby (riders, phone first) and coverage (planners).

Each returns the HTML document. The same functions serve the live pages, their /embed variants and the
static export; the PageContext says which (chrome, asset URLs, API endpoints).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine

from geo_layers.element import RawHtml, ScriptCall
from geo_layers.escape import html_text, json_data_block
from geo_layers.navigation import TRAVEL_MODES, TravelMode
from geo_layers.spec import PageName
from geo_service import vocab
from geo_service.errors import InvalidParameter
from geo_service.maps import assets
from geo_service.maps.compose import chosen_layers, layer_element
from geo_service.maps.data import MapQuery, data_bounds
from geo_service.maps.document import PageContext, new_page, render
from geo_service.maps.i18n import strings
from geo_service.maps.planner_panel import PanelData, panel_html
from geo_service.maps.sources import Sources
from geo_service.services import facilities as facility_service
from geo_service.services.facilities import district_outlines
from geo_service.services.planner import PlannerAnalysis, PlannerQuery, analyse, check
from geo_service.services.validation import check_codes
from geo_service.settings import Settings

NEARBY_LIMIT = 10
#: the amenities riders (and drivers) ask for first: chips of their own; the rest open under 更多
FIRST_AMENITIES: dict[TravelMode, tuple[str, ...]] = {
    "ride": ("cold_water", "ebike_charging", "toilet", "microwave"),
    "walk": ("cold_water", "toilet", "hot_water", "microwave"),
    "drive": ("truck_parking", "toilet", "cold_water", "hot_water"),
}
ROUTE_BUFFER_M = 1000  # the route page's first corridor half-width
ROUTE_LIMIT = 100  # stations listed along a route


def public_page(
    conn: Connection, settings: Settings, ctx: PageContext, query: MapQuery, layers: Sequence[str] | None = None
) -> str:
    """Every facility kind as its own layer with a legend, district outlines, search and locate-me."""
    words = strings(ctx.lang)
    return _layered_page(
        Sources(conn, settings, ctx, query), "public", layers, words["public_title"], words["public_short"]
    )


def planned_coverage_page(
    engine: Engine,
    settings: Settings,
    ctx: PageContext,
    query: MapQuery,
    layers: Sequence[str] | None = None,
    planner: PlannerQuery | None = None,
) -> str:
    """The coverage page with its analysis (coverage and sites, seconds of CPU when not kept) computed
    first, holding no connection; only then is one taken, for the page's reads."""
    question = planner or PlannerQuery(districts=query.districts)
    check(question, settings)
    chosen_layers("coverage", layers)  # a bad layer id is a 422 before any work
    analysis = analyse(engine, question, settings)
    with engine.connect() as conn:
        return coverage_page(conn, settings, ctx, query, layers, question, analysis)


def coverage_page(
    conn: Connection,
    settings: Settings,
    ctx: PageContext,
    query: MapQuery,
    layers: Sequence[str] | None = None,
    planner: PlannerQuery | None = None,
    analysis: PlannerAnalysis | None = None,
) -> str:
    """Open stations with their service radius over a choropleth of stations per 10,000 people, the gaps
    hatched above it, the suggested sites on top, and the planner panel (settings, exports, figures).

    `planner` (default: the map's radius, the page's districts, 65 sites) is checked before any work:
    422 unless the radius is finite, > 0 and at most GEO_COVERAGE_MAX_RADIUS_M and the count is within
    0..GEO_PLAN_MAX_COUNT."""
    question = planner or PlannerQuery(districts=query.districts)
    radius = check(question, settings)
    chosen = chosen_layers("coverage", layers)
    if question.count == 0:
        chosen = [spec for spec in chosen if spec.id != "suggested_sites"]
    stations = {"kinds": ("station",), "statuses": ("open",)}  # the planner map counts the open stations
    src = Sources(conn, settings, ctx, query, radius_m=radius.radius_m, planner=question, planned=analysis, **stations)
    title = strings(ctx.lang)["coverage_title"]
    document, fmap = new_page(
        ctx, "coverage", title, src.bounds(), scripts=(assets.PLANNER_SCRIPT,), stylesheets=(assets.PLANNER_STYLE,)
    )
    if ctx.chrome != "embed":
        districts = [(row["adcode"], row["name"]) for row in district_outlines(conn)]
        panel = PanelData(question, src.analysis, districts, settings.plan_max_count)
        document.html.add_child(RawHtml(panel_html(ctx, panel)), name="gm_planner")
    _say_if_empty(conn, ctx, document)
    for spec in chosen:
        layer_element(src, spec).add_to(fmap)
    return render(document, fmap)


def _layered_page(
    src: Sources, page: PageName, layers: Sequence[str] | None, title: str, heading: str | None = None
) -> str:
    """`page` with the layers chosen from `layers` (checked before any data is loaded)."""
    chosen = chosen_layers(page, layers)
    document, fmap = new_page(src.ctx, page, title, src.bounds(), heading=heading)
    _say_if_empty(src.conn, src.ctx, document)
    for spec in chosen:
        layer_element(src, spec).add_to(fmap)
    return render(document, fmap)


def _say_if_empty(conn: Connection, ctx: PageContext, document: Any) -> None:
    """A notice naming the regions without facilities yet, instead of a bare map without explanation."""
    empty = facility_service.empty_regions(conn)
    if empty:
        text = strings(ctx.lang)["empty_region"].format(regions="、".join(empty))
        document.html.add_child(RawHtml(f'<div class="gm-empty-region" role="status">{html_text(text)}</div>'))


@dataclass(frozen=True)
class NearbyFilters:
    """The nearby page's first filter settings (unchecked: `nearby_page` validates them)."""

    amenities: tuple[str, ...] = ()
    open_now: bool = False
    mode: TravelMode = "ride"
    radius_m: float | None = None  # default: the mode's (GEO_NEARBY_RADIUS_RIDE_M / _DRIVE_M)


def nearby_radius(settings: Settings, filters: NearbyFilters) -> float:
    """The first search radius: the asked one (422 unless > 0 and at most GEO_NEAREST_MAX_DISTANCE_M), else
    the mode's setting within that cap."""
    cap = settings.nearest_max_distance_m
    if filters.radius_m is not None:
        if not (math.isfinite(filters.radius_m) and 0 < filters.radius_m <= cap):
            raise InvalidParameter("max_distance_m", f"must be > 0 and at most {cap:g} m, got {filters.radius_m}")
        return filters.radius_m
    default = settings.nearby_radius_drive_m if filters.mode == "drive" else settings.nearby_radius_ride_m
    return min(default, cap)


def nearby_page(
    conn: Connection,
    settings: Settings,
    ctx: PageContext,
    query: MapQuery,
    *,
    origin: dict[str, Any] | None,
    filters: NearbyFilters,
    first_answer: bytes | None = None,
) -> str:
    """A list of the nearest facilities beside a map, filled in the browser from the nearest API.

    `origin` ({lon, lat, crs}) comes from the URL; without it the page asks the browser for its position.
    `filters` are the initial settings: amenities, open now, travel mode (ride/drive/walk: the radius, the
    first chips and every navigation link) and the search radius. `first_answer`, the nearest API's answer
    for that origin and those filters, travels in the page (a JSON data block): the first results need no
    second round trip, which on a phone's network is most of the wait."""
    kinds = check_codes("kind", query.kinds, vocab.KINDS)
    amenities = check_codes("amenity", filters.amenities, vocab.AMENITIES)
    if filters.mode not in TRAVEL_MODES:
        raise InvalidParameter("mode", f"must be one of {list(TRAVEL_MODES)}, got {filters.mode!r}")
    radius = nearby_radius(settings, filters)
    title = strings(ctx.lang)["nearby_title"]
    lean = (assets.NEARBY_SCRIPTS, assets.NEARBY_STYLESHEETS)
    document, fmap = new_page(ctx, "nearby", title, data_bounds(conn, None), scripts=(assets.NEARBY_SCRIPT,), base=lean)
    document.html.add_child(RawHtml(_nearby_panel(ctx)), name="gm_panel")
    if first_answer is not None and origin is not None:
        block = f'<script type="application/json" id="gm-first-nearest">{json_data_block(first_answer)}</script>'
        document.html.add_child(RawHtml(block), name="gm_first_nearest")
    _say_if_empty(conn, ctx, document)
    config = {"origin": origin, "kinds": list(kinds), "amenities": list(amenities), "open_now": filters.open_now}
    ScriptCall("nearby", {**config, **_nearby_radii(settings, filters.mode, radius)}).add_to(fmap)
    return render(document, fmap)


def _nearby_radii(settings: Settings, mode: TravelMode, radius: float) -> dict[str, Any]:
    """The nearby script's mode, radius and what changes with them (each mode's radius and first chips)."""
    return {
        "mode": mode,
        "radius_m": radius,
        "radii": {each: nearby_radius(settings, NearbyFilters(mode=each)) for each in TRAVEL_MODES},
        "max_radius_m": settings.nearest_max_distance_m,
        "first_amenities": {each: list(codes) for each, codes in FIRST_AMENITIES.items()},
        "limit": NEARBY_LIMIT,
    }


def _nearby_panel(ctx: PageContext) -> str:
    """The panel the page script fills, named for assistive technology."""
    label = html_text(strings(ctx.lang)["nearby_title"])
    return f'<section id="gm-panel" class="gm-panel" aria-label="{label}"></section>'


def route_page(conn: Connection, settings: Settings, ctx: PageContext, query: MapQuery) -> str:
    """A driver's page: draw a route on the map or paste one (GeoJSON, encoded polyline, GPX, lon,lat
    pairs; WGS-84, GCJ-02 or BD-09), and the stations along it in the order met, filled in the browser
    from the along-route API."""
    kinds = check_codes("kind", query.kinds, vocab.KINDS)
    title = strings(ctx.lang)["route_title"]
    document, fmap = new_page(ctx, "route", title, data_bounds(conn, None), scripts=(assets.ROUTE_SCRIPT,))
    document.html.add_child(RawHtml('<aside id="gm-panel" class="gm-panel"></aside>'), name="gm_panel")
    _say_if_empty(conn, ctx, document)
    config = {
        "kinds": list(kinds),
        "buffer_m": ROUTE_BUFFER_M,
        "max_buffer_m": settings.route_max_buffer_m,
        "max_points": settings.route_max_points,
        "limit": ROUTE_LIMIT,
    }
    ScriptCall("route", config).add_to(fmap)
    return render(document, fmap)
