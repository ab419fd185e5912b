"""Stations along a driver's route (`POST /api/v1/facilities/along-route`): the open facilities within
`buffer_m` of the route, in the order the driver meets them, with along_m, offset_m and the side.

Answered from the nearest index's in-memory snapshot (no database round trip): its KD-tree on unit
vectors gives the few candidates near the route, analysis.corridor measures them.

`detour="network"` adds, per station listed, the extra road distance and time of leaving the route to
visit it: the round trip by road from the station's foot on the route (the route point nearest to it)
to the station and back to the foot, each leg the shortest by distance on the profile's network
(analysis.network.detours). It needs a built network; its cost is two bounded road searches per
station, so `limit` is capped by route_max_detours before any work.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Generic, Literal

import numpy as np
from geojson_pydantic import LineString
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from geo_service import vocab
from geo_service.analysis import corridor
from geo_service.analysis.crs import CoordSystem
from geo_service.analysis.hours import OpenState, local_time
from geo_service.errors import DatabaseUnavailable, InvalidParameter
from geo_service.moments import Moment
from geo_service.services.facility_index import FacilitySnapshot, P, amenity_mask
from geo_service.services.nearest import NearestService
from geo_service.services.network import NetworkInfo, NetworkService
from geo_service.services.route_input import RouteFormat, check_length, read_route
from geo_service.services.validation import check_codes

if TYPE_CHECKING:  # the road search module loads numba; a worker imports it with a network only
    from geo_service.analysis.network import RoadIndex


class AlongRouteSpec(BaseModel):
    """Which stations lie along this route?"""

    model_config = ConfigDict(extra="forbid", frozen=True)
    route: LineString | str = Field(
        description="GeoJSON LineString, GPX file content, encoded polyline, or `lon,lat;lon,lat;…`"
    )
    route_format: RouteFormat | None = Field(default=None, description="how `route` is written (default: inferred)")
    polyline_precision: int = Field(default=5, ge=1, le=7, description="decimal places of an encoded polyline")
    crs: CoordSystem = Field(default="wgs84", description="wgs84, gcj02 (Amap/Tencent) or bd09 (Baidu)")
    buffer_m: float = Field(default=1000, gt=0, allow_inf_nan=False, description="corridor half-width in metres")
    kind: tuple[str, ...] = Field(default=(), description="facility kinds (any of)")
    amenity: tuple[str, ...] = Field(default=(), description="required amenities (all of)")
    open_now: bool = Field(default=False, description="only facilities open at `at` (default now)")
    at: Moment | None = Field(default=None, description="ISO time for open_now; naive = local time")
    truck_parking: bool = Field(default=False, description="only facilities with truck parking")
    min_truck_spaces: int = Field(default=0, ge=0, description="at least this many truck parking spaces")
    limit: int = Field(default=100, ge=1, le=1000, description="most facilities returned, in order along the route")
    mode: Literal["ride", "drive", "walk"] = Field(default="drive", description="travel mode of the navigation links")
    detour: Literal["network"] | None = Field(
        default=None,
        description="network: add detour_m / detour_s, the extra road distance and time of leaving the route at "
        "the station's foot on it (the nearest route point), driving to the station and back to the foot "
        "(each leg the shortest by road on `profile`; null when not reachable within the road-distance cap). "
        "Needs `geo-service network build`; `limit` may then be at most GEO_ROUTE_MAX_DETOURS",
    )
    profile: Literal["walk", "ebike", "drive", "truck"] = Field(default="drive", description="road profile of detour")
    lang: Literal["zh", "en"] = Field(default="zh", description="language of hours_text and state_text")
    include_route: bool = Field(
        default=False, description="also return the route's vertices in WGS-84 (`route.coordinates`), for drawing it"
    )


@dataclass(frozen=True)
class AlongHit:
    position: int
    along_m: float
    offset_m: float
    side: str  # left | right of the direction of travel
    bearing_deg: float  # from the route to the facility
    open_state: OpenState
    foot: tuple[float, float]  # lon/lat of the station's foot on the route
    detour: tuple[float, float] | None = None  # extra road metres and seconds (NaN: not reachable)


@dataclass(frozen=True)
class AlongRouteResult(Generic[P]):
    snapshot: FacilitySnapshot[P]
    route_length_m: float
    route_points: int
    start: tuple[float, float]
    evaluated_at: datetime
    hits: list[AlongHit]
    lonlat: NDArray[np.float64]  # (n, 2) the route's vertices in WGS-84
    network: NetworkInfo | None = None  # the road network behind the detours, when asked


def _eligible(snapshot: FacilitySnapshot[P], rows: NDArray[np.int64], spec: AlongRouteSpec) -> NDArray[np.int64]:
    positions = snapshot.by_kind[None].members[rows].astype(np.int64)
    keep = np.ones(len(positions), dtype=bool)
    if spec.kind:
        keep &= np.isin(snapshot.kinds[positions], list(spec.kind))
    mask = amenity_mask([*spec.amenity, *(["truck_parking"] if spec.truck_parking else [])])
    if mask:
        keep &= (snapshot.amenity_bits[positions] & mask) == mask
    if spec.min_truck_spaces:
        keep &= snapshot.truck_spaces[positions] >= spec.min_truck_spaces
    return positions[keep]


def along_route(
    nearest: NearestService[P], spec: AlongRouteSpec, roads: NetworkService | None = None
) -> AlongRouteResult[P]:
    snapshot = nearest.snapshot
    if snapshot is None:
        raise DatabaseUnavailable("the facility index is not loaded yet")
    settings = nearest.settings
    if spec.buffer_m > settings.route_max_buffer_m:
        raise InvalidParameter("buffer_m", f"must be at most {settings.route_max_buffer_m:g} m", location="body")
    network = _detour_network(spec, roads, settings.route_max_detours)
    check_codes("kind", spec.kind, vocab.KINDS)
    check_codes("amenity", spec.amenity, vocab.AMENITIES)
    lon, lat = read_route(
        spec.route, spec.route_format, spec.crs, precision=spec.polyline_precision, max_points=settings.route_max_points
    )
    line = corridor.route(lon, lat)
    check_length(line.length_m, settings.route_max_length_m)
    wall_clock = local_time(spec.at or datetime.now(nearest.zone), nearest.zone)
    tree = snapshot.by_kind[None].tree
    rows = corridor.candidates(line, tree, spec.buffer_m) if tree is not None else np.zeros(0, dtype=np.int64)
    positions = _eligible(snapshot, rows, spec)
    found = corridor.along(line, snapshot.lon[positions], snapshot.lat[positions], spec.buffer_m)
    hits = _hits(snapshot, positions, found, spec, wall_clock)
    info = None
    if network is not None and roads is not None:
        info = network[0]
        hits = _with_detours(roads, network[1], spec.profile, snapshot, hits, settings.network_max_distance_m)
    start = (float(lon[0]), float(lat[0]))
    lonlat = np.column_stack([lon, lat])
    return AlongRouteResult(snapshot, line.length_m, len(lon), start, wall_clock, hits, lonlat, info)


def _detour_network(
    spec: AlongRouteSpec, roads: NetworkService | None, max_detours: int
) -> tuple[NetworkInfo, RoadIndex] | None:
    """The profile's network when detours are asked (checked before any work), else None."""
    if spec.detour is None:
        return None
    if spec.limit > max_detours:
        raise InvalidParameter(
            "limit", f"detour=network 时至多 {max_detours} 个 (with detour=network at most {max_detours})", "body"
        )
    if roads is None or roads.info is None:
        raise InvalidParameter(
            "detour",
            "未建路网，无法计算绕行：请先运行 `geo-service network build EXTRACT.osm.pbf` "
            "(no road network is built: run `geo-service network build EXTRACT.osm.pbf`)",
            "body",
        )
    if spec.profile not in roads.info.profiles:
        raise InvalidParameter(
            "profile",
            f"路网中没有此出行方式 (not built into the road network): {spec.profile!r}; "
            f"built: {list(roads.info.profiles)}",
            "body",
        )
    return roads.index(spec.profile)


def _with_detours(
    roads: NetworkService,
    index: RoadIndex,
    profile: str,
    snapshot: FacilitySnapshot[P],
    hits: list[AlongHit],
    cap_m: float,
) -> list[AlongHit]:
    """The hits with their detours; NaN for a station or foot farther than the snap distance from a road."""
    if not hits:
        return hits
    from geo_service.analysis.network import detours  # loaded with the network (services.network)

    targets = roads.facility_targets(profile, snapshot.revision, snapshot.lon, snapshot.lat)
    positions = np.array([hit.position for hit in hits], dtype=np.int64)
    feet = index.attach(index.snap(np.array([h.foot[0] for h in hits]), np.array([h.foot[1] for h in hits])))
    metres, seconds = detours(index, feet, targets.targets.attachments.take(positions), cap_m)
    off_road = ~targets.near_road[positions] | (feet.snaps.distance_m > roads.max_snap_m)
    metres[off_road], seconds[off_road] = np.nan, np.nan
    return [replace(hit, detour=(float(m), float(s))) for hit, m, s in zip(hits, metres, seconds, strict=True)]


def _hits(
    snapshot: FacilitySnapshot[P],
    positions: NDArray[np.int64],
    found: corridor.Along,
    spec: AlongRouteSpec,
    wall_clock: datetime,
) -> list[AlongHit]:
    """In order along the route, open now when asked, at most `limit`."""
    hits: list[AlongHit] = []
    for i, row in enumerate(found.positions.tolist()):
        position = int(positions[row])
        state = snapshot.open_state(position, wall_clock)
        if spec.open_now and state is not OpenState.OPEN:
            continue
        side = "left" if found.left[i] else "right"
        along_m, offset_m, bearing = float(found.along_m[i]), float(found.offset_m[i]), float(found.bearing_deg[i])
        foot = (float(found.foot[i, 0]), float(found.foot[i, 1]))
        hits.append(AlongHit(position, along_m, offset_m, side, bearing, state, foot))
        if len(hits) == spec.limit:
            break
    return hits
