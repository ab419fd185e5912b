"""The data a map draws: facilities (embedded, or per viewport as markers or grid clusters), district
outlines, and station counts. Everything is returned in the basemap's coordinates (geo_layers.display).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from geo_layers.display import DisplayCrs
from geo_layers.facility_markers import CardWords, cluster_features, marker_features
from geo_service.analysis.crs import to_wgs84
from geo_service.analysis.hours import FacilityState, facility_state, local_time, parse_hours, state_at
from geo_service.analysis.hours_text import Lang, hours_words, state_words
from geo_service.errors import InvalidParameter
from geo_service.queries.facilities import FacilityFilter
from geo_service.services import facilities as facility_service
from geo_service.settings import Settings

#: What the public sees: facilities that exist now (closed and planned ones are for editors and planners).
SHOWN_STATUSES = ("open", "temporarily_closed")
_TIMED = (FacilityState.OPEN, FacilityState.CLOSED, FacilityState.UNKNOWN)  # states a static page leaves out
_BBOX_PAD_DEG = 0.01  # covers the GCJ-02 → WGS-84 change of a viewport's corners (≈ 530 m in Binzhou)


@dataclass(frozen=True)
class MapQuery:
    """What a page was asked to show (unchecked: `shown_filter` validates it)."""

    kinds: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()


def shown_filter(
    conn: Connection,
    query: MapQuery,
    *,
    kinds: Sequence[str] = (),
    bbox: tuple[float, ...] | None = None,
    statuses: Sequence[str] = SHOWN_STATUSES,
) -> FacilityFilter:
    """Checked filter of the facilities a page shows; `kinds` narrows the query's kinds (e.g. stations only),
    `statuses` narrows what the public sees (the planner map shows the open stations its figures count)."""
    wanted = [k for k in query.kinds if not kinds or k in kinds] if query.kinds else list(kinds)
    if query.kinds and not wanted:
        raise InvalidParameter("kind", f"this map shows only {list(kinds)}, got {list(query.kinds)}")
    box = (bbox[0], bbox[1], bbox[2], bbox[3]) if bbox else None
    return facility_service.facility_filter(conn, kinds=wanted, districts=query.districts, statuses=statuses, bbox=box)


def open_states(rows: Sequence[Mapping[Any, Any]], settings: Settings, now: datetime | None = None) -> list[str]:
    """open/closed/unknown of each row at `now` (default: the current local time); each distinct hours
    string is parsed once (parse_hours is shared with the nearest index) and evaluated once per call."""
    zone = ZoneInfo(settings.timezone)
    wall_clock = local_time(now or datetime.now(zone), zone)
    hours = {row["opening_hours"] for row in rows if row["status"] == "open"}
    states = {h: state_at(parse_hours(h, settings.holiday_country), wall_clock).value for h in hours}
    return [states[row["opening_hours"]] if row["status"] == "open" else "closed" for row in rows]


def card_words(
    rows: Sequence[Mapping[Any, Any]], settings: Settings, lang: Lang, now: datetime | None = None, *, live: bool = True
) -> list[CardWords]:
    """The hours and the state of each row in words (analysis.hours.facility_state, as the nearest answer);
    each distinct (status, hours) pair is evaluated once. `live=False` (a static export) keeps the hours
    and the states that do not depend on the time (suspended, withdrawn) and leaves open/closed out."""
    zone = ZoneInfo(settings.timezone)
    wall_clock = local_time(now or datetime.now(zone), zone)
    country = settings.holiday_country
    known: dict[tuple[str, str | None], CardWords] = {}
    for status, hours in {(row["status"], row["opening_hours"]) for row in rows}:
        state = facility_state(status, parse_hours(hours, country), wall_clock)
        timeless = live or state.state not in _TIMED
        code, text = (state.state.value, state_words(state, wall_clock, lang)) if timeless else (None, None)
        known[status, hours] = CardWords(hours_words(hours, country, lang), code, text)
    return [known[row["status"], row["opening_hours"]] for row in rows]


def embedded_markers(
    conn: Connection,
    filters: FacilityFilter,
    settings: Settings,
    crs: DisplayCrs,
    lang: Lang = "zh",
    *,
    with_hours: bool = True,
) -> list[dict[str, Any]] | None:
    """Every matching facility as marker features, or None when there are more than a page may embed.

    `with_hours=False` leaves open/closed out (a static export would show a stale state)."""
    limit = settings.map_embed_max_features
    page = facility_service.matching_page(conn, filters, limit)
    if page.matched > limit:
        return None
    states: list[str | None] = list(open_states(page.rows, settings)) if with_hours else [None] * len(page.rows)
    words = card_words(page.rows, settings, lang, live=with_hours)
    return marker_features(page.rows, states, crs=crs, words=words)


def viewport(
    conn: Connection,
    query: MapQuery,
    bbox: tuple[float, float, float, float],
    cell_deg: float,
    settings: Settings,
    crs: DisplayCrs,
    lang: Lang = "zh",
) -> dict[str, Any]:
    """The facilities in a viewport given in the basemap's coordinates: markers when there are at most
    map_viewport_max_features, else grid clusters (count per cell) whose counts add up to the total.

    The grid is computed first: it also counts, so a zoomed-out view (the expensive one) scans once."""
    filters = shown_filter(conn, query, bbox=_wgs84_box(bbox, crs))
    cells = facility_service.density_grid(conn, filters, cell_deg)
    matched = sum(int(cell["count"]) for cell in cells)
    if matched > settings.map_viewport_max_features:
        return {"mode": "clusters", "numberMatched": matched, "clusters": cluster_features(cells, crs=crs)}
    rows = facility_service.matching_page(conn, filters, max(matched, 1)).rows
    features = marker_features(rows, open_states(rows, settings), crs=crs, words=card_words(rows, settings, lang))
    return {"mode": "features", "numberMatched": len(features), "features": features}


def _wgs84_box(bbox: tuple[float, float, float, float], crs: DisplayCrs) -> tuple[float, float, float, float]:
    if crs == "wgs84":
        return bbox
    lon, lat = to_wgs84([bbox[0], bbox[2]], [bbox[1], bbox[3]], crs)
    pad = _BBOX_PAD_DEG
    return (
        max(float(lon[0]) - pad, -180),
        max(float(lat[0]) - pad, -90),
        min(float(lon[1]) + pad, 180),
        min(float(lat[1]) + pad, 90),
    )


def data_bounds(conn: Connection, features: Sequence[Mapping[Any, Any]] | None) -> list[list[float]] | None:
    """[[south, west], [north, east]] (Leaflet's order) of the features, or of all the data when they are
    not embedded; None on an empty database. Good enough to frame a view in either basemap coordinates."""
    if features:
        lons = [f["geometry"]["coordinates"][0] for f in features]
        lats = [f["geometry"]["coordinates"][1] for f in features]
        return [[min(lats), min(lons)], [max(lats), max(lons)]]
    extent = facility_service.data_extent(conn)
    return [[extent[1], extent[0]], [extent[3], extent[2]]] if extent else None
