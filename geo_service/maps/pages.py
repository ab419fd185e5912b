"""The map pages: public (everyone), nearby (riders, phone first) and coverage (planners).

Each returns the HTML document. The same functions serve the live pages, their /embed variants and the
static export; the PageContext says which (chrome, asset URLs, API endpoints).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from branca.element import Element
from sqlalchemy import Connection

from geo_service import vocab
from geo_service.maps import assets
from geo_service.maps.compose import BUILDERS, Sources, chosen_layers
from geo_service.maps.data import MapQuery, data_bounds
from geo_service.maps.document import PageContext, new_page, render
from geo_service.maps.i18n import strings
from geo_service.services.study_area import resolve_radius
from geo_service.services.validation import check_codes
from geo_service.settings import Settings
from layers.element import ScriptCall

PUBLIC_LAYERS = ("districts", "facilities")
COVERAGE_LAYERS = (
    "station_density",
    "distance_grid",
    "gaps",
    "districts",
    "service_areas",
    "suggested_sites",
    "facilities",
)
# drawn without ?layers=; the grid and the suggested sites cost a computation each, so they are asked for
COVERAGE_DEFAULT = ("station_density", "gaps", "districts", "service_areas", "facilities")
NEARBY_LIMIT = 10


def public_page(
    conn: Connection, settings: Settings, ctx: PageContext, query: MapQuery, layers: Sequence[str] | None = None
) -> str:
    """Every facility kind as its own layer with a legend, district outlines, search and locate-me."""
    src = Sources(conn, settings, ctx, query)
    chosen = chosen_layers(PUBLIC_LAYERS, layers)
    words = strings(ctx.lang)
    document, fmap = new_page(ctx, "public", words["public_title"], src.bounds(), heading=words["public_short"])
    for layer_id in chosen:
        BUILDERS[layer_id](src).add_to(fmap)
    return render(document, fmap)


def coverage_page(
    conn: Connection,
    settings: Settings,
    ctx: PageContext,
    query: MapQuery,
    layers: Sequence[str] | None = None,
    radius_m: float | None = None,
) -> str:
    """Stations with their service radius over a choropleth of stations per 10,000 people.

    `radius_m` (default GEO_MAP_SERVICE_RADIUS_M) is checked like the coverage API's: 422 unless finite,
    > 0 and at most GEO_COVERAGE_MAX_RADIUS_M."""
    radius = settings.map_service_radius_m
    if radius_m is not None:
        radius, _preset, _basis = resolve_radius(radius_m, None, settings.coverage_max_radius_m)
    src = Sources(conn, settings, ctx, query, kinds=("station",), radius_m=radius)
    chosen = chosen_layers(COVERAGE_LAYERS, layers or COVERAGE_DEFAULT)
    document, fmap = new_page(ctx, "coverage", strings(ctx.lang)["coverage_title"], src.bounds())
    for layer_id in chosen:
        BUILDERS[layer_id](src).add_to(fmap)
    return render(document, fmap)


def nearby_page(
    conn: Connection, ctx: PageContext, query: MapQuery, *, origin: dict[str, Any] | None, filters: dict[str, Any]
) -> str:
    """A list of the nearest facilities beside a map, filled in the browser from the nearest API.

    `origin` ({lon, lat, crs}) comes from the URL; without it the page asks the browser for its position.
    `filters` (amenities, open_now) are the initial filter settings."""
    kinds = check_codes("kind", query.kinds, vocab.KINDS)
    amenities = check_codes("amenity", filters.get("amenities", ()), vocab.AMENITIES)
    title = strings(ctx.lang)["nearby_title"]
    document, fmap = new_page(ctx, "nearby", title, data_bounds(conn, None), scripts=(assets.NEARBY_SCRIPT,))
    document.html.add_child(Element('<aside id="gm-panel" class="gm-panel"></aside>'), name="gm_panel")
    config = {
        "origin": origin,
        "kinds": list(kinds),
        "amenities": list(amenities),
        "open_now": bool(filters.get("open_now")),
        "limit": NEARBY_LIMIT,
    }
    ScriptCall("nearby", config).add_to(fmap)
    return render(document, fmap)
