"""Nearest facilities by road (`metric=network`): the same checked query as the straight-line search,
ranked by travel distance along the profile's network, exactly (analysis.network.nearest_by_road):
from the per-node labels of the facility snapshot when they prove the answer (`answered_by: labels`),
else by a road search (`search`; also while the labels of a new data revision are being built).

The rider's position snaps to the nearest road of the profile (refused beyond the settings' snap
distance); facilities snap the same way, and one farther than that from every road is not offered by
road. `network_distance_m` runs between the snapped points, along roads; `travel_time_s` is the time
along that shortest path at the profile's speeds; `distance_m` stays the geodesic distance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic

import numpy as np
from numpy.typing import NDArray
from pyproj import Geod

from geo_service import vocab
from geo_service.analysis.hours import OpenState
from geo_service.errors import InvalidParameter
from geo_service.services.facility_index import FacilitySnapshot, P, amenity_mask
from geo_service.services.nearest import Located, NearestHit, NearestQuery, NearestService
from geo_service.services.network import FacilityTargets, NetworkInfo, NetworkService
from geo_service.services.validation import check_codes

_GEOD = Geod(ellps="WGS84")
PROFILES = ("walk", "ebike", "drive", "truck")
_MASKS_KEPT = 64  # filter combinations memoised per revision and profile


@dataclass(slots=True)
class RoadHit:
    hit: NearestHit  # geodesic distance and bearing, open state
    network_distance_m: float
    travel_time_s: float
    facility_snap_m: float


@dataclass(slots=True)
class RoadNearestResult(Generic[P]):
    snapshot: FacilitySnapshot[P]
    origin: tuple[float, float]
    located: Located[P]
    profile: str
    snap_distance_m: float  # rider to the road
    searched_m: float  # the answer is exact within this road distance
    network: NetworkInfo
    hits: list[RoadHit]
    answered_by: str = "search"  # "labels": proved from the per-node labels; "search": a road search ran


class RoadSearchNeeded(Exception):
    """find_by_road(search=False) could not prove the answer from the labels: a road search must run."""


def find_by_road(
    nearest: NearestService[P], roads: NetworkService, query: NearestQuery, profile: str, search: bool = True
) -> RoadNearestResult[P]:
    """With search=False only the labels may answer (a bounded lookup, fit for the event loop);
    RoadSearchNeeded says a search must run (the caller moves it to a thread)."""
    at = nearest.locate(query)
    info, index = roads.index(profile)
    from geo_service.analysis.network import nearest_by_road, nearest_from_labels  # loaded with the network

    settings = nearest.settings
    cap = settings.network_max_distance_m if query.max_distance_m is None else query.max_distance_m
    if cap > settings.network_max_distance_m:
        raise InvalidParameter("max_distance_m", f"must be at most {settings.network_max_distance_m:g} m by road")
    origin = index.attach(index.snap(np.array([at.lon]), np.array([at.lat])))
    snap_m = float(origin.snaps.distance_m[0])
    if snap_m > roads.max_snap_m:
        raise InvalidParameter("lon", f"({at.lon}, {at.lat}) is {snap_m:.0f} m from the nearest {profile} road")
    snapshot = at.snapshot
    if len(snapshot) == 0:
        return RoadNearestResult(snapshot, (at.lon, at.lat), at, profile, snap_m, cap, info, [])
    targets = _targets(roads, profile, snapshot, search)
    eligible = _eligible(snapshot, targets, query)
    accept = _open_filter(at) if query.open_now else None
    labels = targets.labels[0] if targets.labels else None
    if search:
        found = nearest_by_road(index, origin, targets.targets, at.limit, cap, eligible, accept, labels)
    else:
        assert labels is not None  # _targets without search gives only labelled targets
        proved = nearest_from_labels(index, origin, targets.targets, at.limit, cap, labels, eligible, accept)
        if proved is None:
            raise RoadSearchNeeded
        found = proved
    hits = _hits(at, targets, found.positions, found.distance_m, found.time_s)
    return RoadNearestResult(
        snapshot, (at.lon, at.lat), at, profile, snap_m, found.searched_m, info, hits, found.answered_by
    )


def _targets(roads: NetworkService, profile: str, snapshot: FacilitySnapshot[P], search: bool) -> FacilityTargets:
    """The snapshot's facilities snapped to the profile; without search only those already labelled
    (snapping a whole revision is work for the poller or a thread, never for the event loop)."""
    if search:
        return roads.facility_targets(profile, snapshot.revision, snapshot.lon, snapshot.lat)
    labelled = roads.labelled_targets(profile, snapshot.revision)
    if labelled is None:
        raise RoadSearchNeeded
    return labelled


def _eligible(snapshot: FacilitySnapshot[P], targets: FacilityTargets, query: NearestQuery) -> NDArray[np.bool_]:
    """Facilities near a road that pass the kind and amenity filters; memoised per filter on the
    revision's targets (the same few filters come again and again)."""
    if query.kinds:
        check_codes("kind", query.kinds, vocab.KINDS)
    mask = amenity_mask(query.amenities)
    key = (frozenset(query.kinds), mask)
    found = targets.masks.get(key)
    if found is None:
        found = targets.near_road.copy()
        if query.kinds:
            found &= np.isin(snapshot.kinds, list(query.kinds))
        if mask:
            found &= (snapshot.amenity_bits & mask) == mask
        if len(targets.masks) >= _MASKS_KEPT:
            targets.masks.clear()
        targets.masks[key] = found
    return found


def _open_filter(at: Located[P]) -> Callable[[int], bool]:
    snapshot, wall_clock = at.snapshot, at.wall_clock
    return lambda position: snapshot.open_state(position, wall_clock) is OpenState.OPEN


def _hits(
    at: Located[P],
    targets: FacilityTargets,
    positions: NDArray[np.int64],
    road_m: NDArray[np.float64],
    road_s: NDArray[np.float64],
) -> list[RoadHit]:
    snapshot = at.snapshot
    count = len(positions)
    azimuth, _, metres = _GEOD.inv(
        np.full(count, at.lon), np.full(count, at.lat), snapshot.lon[positions], snapshot.lat[positions]
    )
    return [
        RoadHit(
            NearestHit(p, float(d), float(a) % 360.0, snapshot.open_state(p, at.wall_clock)),
            float(m),
            float(s),
            float(targets.targets.attachments.snaps.distance_m[p]),
        )
        for p, d, a, m, s in zip(
            positions.tolist(), np.atleast_1d(metres), np.atleast_1d(azimuth), road_m, road_s, strict=True
        )
    ]
