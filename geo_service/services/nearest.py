"""Nearest open facility for riders and drivers: validated query → exact geodesic k-nearest.

Queries are answered from an in-memory FacilitySnapshot (no database round trip on the hot path); each
worker keeps its snapshot in step with the database by polling the data revision (`refresh`).
"""

from __future__ import annotations

import gc
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Generic, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine

from geo_service import vocab
from geo_service.allocator import release_free_heap
from geo_service.analysis import crs
from geo_service.analysis.bounds import contains, grown_bounds
from geo_service.analysis.hours import OpenState, local_time
from geo_service.analysis.hours_text import Lang, hours_words, state_words
from geo_service.errors import DatabaseUnavailable, InvalidParameter
from geo_service.queries import facilities as facility_queries
from geo_service.records import FacilityColumns
from geo_service.services.facilities import data_extent, region_extents
from geo_service.services.facility_index import FacilitySnapshot, P, amenity_mask, build_snapshot, patch_snapshot
from geo_service.services.validation import check_codes
from geo_service.settings import Settings

log = logging.getLogger(__name__)


@dataclass(slots=True)
class NearestQuery:
    lon: float
    lat: float
    coord_system: crs.CoordSystem = "wgs84"
    kinds: Sequence[str] = ()
    amenities: Sequence[str] = ()
    open_now: bool = False
    at: datetime | None = None
    limit: int | None = None
    max_distance_m: float | None = None


class NearestHit(NamedTuple):
    position: int
    distance_m: float
    bearing_deg: float
    open_state: OpenState


@dataclass(slots=True)
class NearestResult(Generic[P]):
    snapshot: FacilitySnapshot[P]  # hits are positions in it; its `presented` is how to show them
    origin: tuple[float, float]  # WGS-84 lon/lat actually searched from
    evaluated_at: datetime  # local wall-clock time used for open/closed
    hits: list[NearestHit]


class HitWords(NamedTuple):
    """A hit's hours and state for people, in one language, and when its open state next changes."""

    hours_text: str
    state_text: str
    changes_at: str | None  # ISO 8601 with the service zone's offset; None: it does not change


@lru_cache(maxsize=4096)
def _iso(wall_clock: datetime, zone: ZoneInfo) -> str:
    """A local wall-clock time as ISO 8601 with the zone's offset (few distinct change times: memoised)."""
    return wall_clock.replace(tzinfo=zone).isoformat()


@dataclass(slots=True)
class Located(Generic[P]):
    """A checked nearest query, ready to search (see NearestService.locate)."""

    snapshot: FacilitySnapshot[P]
    lon: float  # WGS-84
    lat: float
    limit: int
    wall_clock: datetime


class NearestService(Generic[P]):
    """Owns the current snapshot; `find` is pure CPU work, `refresh` talks to the database.

    `prepare` is the presenter's per-snapshot preparation of the rows (see facility_index): it runs in
    `refresh`, beside the index build, never on the request path."""

    def __init__(self, engine: Engine, settings: Settings, prepare: Callable[[FacilityColumns], P]) -> None:
        self.engine, self.settings, self.prepare = engine, settings, prepare
        self.zone = ZoneInfo(settings.timezone)
        self.snapshot: FacilitySnapshot[P] | None = None

    def refresh(self) -> bool:
        """Bring the snapshot to the database's data revision; True when a new snapshot was installed.

        A few changed facilities (the change log of migration 0012 names them) are patched in; a first
        load, a large change or one the log cannot name reads every row again."""
        current = self.snapshot
        with self.engine.connect() as conn:
            if current is None:
                return self._rebuild(conn, facility_queries.data_revision(conn))
            changes = facility_queries.changes_since(conn, current.revision)
            if changes.revision == current.revision:
                return False
            ids = changes.facility_ids
            if ids is None or len(ids) > self.settings.index_patch_max_rows:
                return self._rebuild(conn, changes.revision)
            read = facility_queries.open_facility_columns
            batches = list(read(conn, self.settings.index_read_chunk_rows, ids)) if ids else []
            bounds, areas = data_extent(conn), region_extents(conn)
        country = self.settings.holiday_country
        self.snapshot = patch_snapshot(current, ids, batches, changes.revision, bounds, country, self.prepare, areas)
        release_free_heap()
        log.info("nearest index: %d facilities patched, at data revision %d", len(ids), changes.revision)
        return True

    def _rebuild(self, conn: Connection, revision: int) -> bool:
        bounds, areas = data_extent(conn), region_extents(conn)
        chunks = facility_queries.open_facility_columns(conn, self.settings.index_read_chunk_rows)
        gc.unfreeze()
        snapshot = build_snapshot(chunks, revision, bounds, self.settings.holiday_country, self.prepare, areas)
        self.snapshot = snapshot
        # The snapshot lives until the next edit: keep the collector from re-scanning it on every
        # generation-2 pass (with 186,000 facilities that scan costs more than the queries).
        gc.collect()
        gc.freeze()
        release_free_heap()
        log.info("nearest index: %d open facilities at data revision %d", len(snapshot), revision)
        return True

    def words(self, snapshot: FacilitySnapshot[P], position: int, wall_clock: datetime, lang: Lang) -> HitWords:
        """HitWords of a returned facility: the state is the index's (memoised), the hours text is rendered once
        per distinct hours string and language (hours_words), so words cost only the returned features."""
        state = snapshot.state(position, wall_clock)
        change = None if state.changes_at is None else _iso(state.changes_at, self.zone)
        hours = hours_words(snapshot.hours_text[position], self.settings.holiday_country, lang)
        return HitWords(hours, state_words(state, wall_clock, lang), change)

    def find(self, query: NearestQuery) -> NearestResult[P]:
        """Validate, convert the position to WGS-84, and return the nearest accepted facilities."""
        at = self.locate(query)
        snapshot, lon, lat, limit, wall_clock = at.snapshot, at.lon, at.lat, at.limit, at.wall_clock
        mask = amenity_mask(query.amenities)
        kinds: Sequence[str | None] = list(query.kinds) or [None]
        hits = [hit for kind in kinds for hit in self._search(snapshot, kind, lon, lat, limit, mask, query, wall_clock)]
        if len(kinds) > 1:
            hits.sort(key=lambda hit: (hit.distance_m, hit.position))
        return NearestResult(snapshot, (lon, lat), wall_clock, hits[:limit])

    def locate(self, query: NearestQuery) -> Located[P]:
        """The checked query: current snapshot, WGS-84 origin inside the service area, limit, local time."""
        snapshot = self.snapshot
        if snapshot is None:
            raise DatabaseUnavailable("the facility index is not loaded yet")
        limit = self._check(query)
        lon, lat = query.lon, query.lat
        if query.coord_system != "wgs84":
            lon, lat = (float(v) for v in crs.to_wgs84(lon, lat, query.coord_system))
        self._check_service_area(snapshot, lon, lat, query)
        wall_clock = local_time(query.at or datetime.now(self.zone), self.zone)
        return Located(snapshot, lon, lat, limit, wall_clock)

    def _search(
        self,
        snapshot: FacilitySnapshot[P],
        kind: str | None,
        lon: float,
        lat: float,
        limit: int,
        mask: int,
        query: NearestQuery,
        wall_clock: datetime,
    ) -> list[NearestHit]:
        bits = snapshot.amenity_bits

        def accept(position: int) -> bool:
            if bits[position] & mask != mask:
                return False
            return not query.open_now or snapshot.open_state(position, wall_clock) is OpenState.OPEN

        share = snapshot.amenity_share(kind, mask)
        guess = None if share >= 0.5 else int(min(1e9, (limit + 4) / max(share, 1e-9)))
        neighbours = snapshot.by_kind[kind].nearest(
            lon,
            lat,
            limit,
            accept=accept if (mask or query.open_now) else None,
            max_distance_m=query.max_distance_m,
            first_guess=guess,
        )
        return [
            NearestHit(n.position, n.distance_m, n.bearing_deg, snapshot.open_state(n.position, wall_clock))
            for n in neighbours
        ]

    def _check(self, query: NearestQuery) -> int:
        if not (math.isfinite(query.lon) and -180 <= query.lon <= 180):
            raise InvalidParameter("lon", f"must be a finite longitude in [-180, 180], got {query.lon}")
        if not (math.isfinite(query.lat) and -90 <= query.lat <= 90):
            swapped = " — it looks like lat and lon are swapped" if -90 <= query.lon <= 90 else ""
            raise InvalidParameter("lat", f"must be a finite latitude in [-90, 90], got {query.lat}{swapped}")
        check_codes("kind", query.kinds, vocab.KINDS)
        check_codes("amenity", query.amenities, vocab.AMENITIES)
        cap = self.settings.nearest_max_limit
        limit = self.settings.nearest_default_limit if query.limit is None else query.limit
        if not 1 <= limit <= cap:
            raise InvalidParameter("limit", f"must be between 1 and {cap}, got {limit}")
        radius_cap = self.settings.nearest_max_distance_m
        if query.max_distance_m is not None and not (0 < query.max_distance_m <= radius_cap):
            raise InvalidParameter("max_distance_m", f"must be > 0 and at most {radius_cap:g} m")
        return limit

    def _check_service_area(self, snapshot: FacilitySnapshot[P], lon: float, lat: float, query: NearestQuery) -> None:
        """Coarse gate: the point must be inside the data's bounding box grown by about the margin — with
        several regions, inside the grown box of one of them."""
        if snapshot.bounds is None:
            return
        margin_m = self.settings.service_area_margin_km * 1000
        served = grown_bounds(snapshot.bounds, margin_m)
        boxes = [grown_bounds(box, margin_m) for box in snapshot.areas] if len(snapshot.areas) > 1 else [served]
        if any(contains(box, lon, lat) for box in boxes):
            return
        hint = ""
        if any(contains(box, lat, lon) for box in boxes):
            hint = f" — it looks like lat and lon are swapped: try lon={query.lat}&lat={query.lon}"
        west, south, east, north = snapshot.bounds
        served_west, _, served_east, _ = served
        raise InvalidParameter(
            "lon" if not served_west <= lon <= served_east else "lat",  # the coordinate that is outside
            f"({query.lon}, {query.lat}) is outside the service area "
            f"(lon {west:.2f}–{east:.2f}, lat {south:.2f}–{north:.2f}){hint}",
            code="outside_service_area",
        )
