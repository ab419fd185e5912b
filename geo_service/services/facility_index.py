"""An in-memory snapshot of the open facilities, for nearest queries without a database round trip.

A snapshot is immutable: workers build a new one in a background thread when the database's data
revision changes (see migration 0002) and swap it in with one assignment, so a request always sees one
consistent version.

The snapshot knows nothing of how an answer is presented. Whoever presents it passes a `prepare`
function that turns the indexed rows into whatever it needs per position (the API's pre-serialised
features); the result travels in the snapshot as `presented`, so the index and its presentation are
built together off the request path and can never be out of step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

import numpy as np
from numpy.typing import NDArray
from opening_hours import OpeningHours

from geo_service import vocab
from geo_service.analysis.bounds import Bounds, points_bounds, union_bounds
from geo_service.analysis.hours import OpenState, parse_hours, state_with_next_change
from geo_service.analysis.nearest import GeodesicKNN

P = TypeVar("P")  # what the presenter prepares from the rows (opaque here)
AMENITY_BIT: dict[str, int] = {code: 1 << i for i, code in enumerate(vocab.AMENITIES)}


def amenity_mask(codes: Sequence[str]) -> int:
    """Bit mask of amenity codes (the caller has validated them)."""
    mask = 0
    for code in codes:
        mask |= AMENITY_BIT[code]
    return mask


@dataclass(frozen=True)
class FacilitySnapshot(Generic[P]):
    """Arrays aligned by position: one entry per open facility."""

    revision: int
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    kinds: NDArray[np.str_]
    truck_spaces: NDArray[np.int64]  # truck parking spaces (0 where none)
    amenity_bits: tuple[int, ...]  # AMENITY_BIT mask per facility
    amenity_counts: Mapping[str | None, Mapping[int, int]]  # kind → amenity bit → facilities with it
    hours: tuple[OpeningHours | None, ...]
    presented: P  # prepare(rows), by the same positions
    by_kind: Mapping[str | None, GeodesicKNN]
    bounds: Bounds | None  # the districts' and the facilities' box together
    areas: tuple[Bounds, ...] = ()  # the box of each region (the nearest gate serves near any of them)
    # position → (state, known from, known until): a state holds until the hours' next change (hours
    # later, or never for 24/7), so most lookups skip the evaluation. At most one entry per facility.
    _states: dict[int, tuple[OpenState, datetime, datetime | None]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __len__(self) -> int:
        return len(self.lon)

    def open_state(self, position: int, wall_clock: datetime) -> OpenState:
        """state_at for one facility at a naive local time, memoised until the next change."""
        known = self._states.get(position)
        if known is not None and known[1] <= wall_clock and (known[2] is None or wall_clock < known[2]):
            return known[0]
        state, until = state_with_next_change(self.hours[position], wall_clock)
        self._states[position] = (state, wall_clock, until)
        return state

    def amenity_share(self, kind: str | None, mask: int) -> float:
        """Upper bound of the share of `kind` (None: all) having every amenity in `mask` (its rarest one's)."""
        total = len(self.by_kind[kind])
        if not mask or not total:
            return 1.0 if total else 0.0
        counts = self.amenity_counts[kind]
        return min(counts.get(bit, 0) for bit in AMENITY_BIT.values() if bit & mask) / total


def build_snapshot(
    rows: Sequence[Mapping[Any, Any]],
    revision: int,
    district_bounds: Bounds | None,
    holiday_country: str,
    prepare: Callable[[Sequence[Mapping[Any, Any]]], P],
    areas: tuple[Bounds, ...] = (),
) -> FacilitySnapshot[P]:
    """Index the rows of queries.facilities.open_facilities; `prepare(rows)` becomes `presented`."""
    lon = np.array([row["lon"] for row in rows], dtype=np.float64)
    lat = np.array([row["lat"] for row in rows], dtype=np.float64)
    kinds = np.array([row["kind"] for row in rows], dtype=np.str_)
    bits = tuple(amenity_mask(row["amenities"] or []) for row in rows)
    positions = np.arange(len(rows), dtype=np.intp)
    by_kind: dict[str | None, GeodesicKNN] = {None: GeodesicKNN(lon, lat, positions)}
    for kind in vocab.KINDS:
        by_kind[kind] = GeodesicKNN(lon, lat, positions[kinds == kind])
    return FacilitySnapshot(
        revision=revision,
        lon=lon,
        lat=lat,
        kinds=kinds,
        truck_spaces=np.array([row["truck_parking_spaces"] or 0 for row in rows], dtype=np.int64),
        amenity_bits=bits,
        amenity_counts={kind: _amenity_counts(bits, index.members) for kind, index in by_kind.items()},
        hours=tuple(parse_hours(row["opening_hours"], holiday_country) for row in rows),
        presented=prepare(rows),
        by_kind=by_kind,
        bounds=union_bounds(box for box in (district_bounds, points_bounds(lon, lat)) if box is not None),
        areas=areas,
    )


def _amenity_counts(bits: tuple[int, ...], members: NDArray[np.intp]) -> dict[int, int]:
    return {bit: sum(1 for m in members.tolist() if bits[m] & bit) for bit in AMENITY_BIT.values()}
