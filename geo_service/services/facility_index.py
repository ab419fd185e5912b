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

import sys
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, Self, TypeVar

import numpy as np
from numpy.typing import NDArray

from geo_service import vocab
from geo_service.analysis.bounds import Bounds, points_bounds, union_bounds
from geo_service.analysis.columns import IntArray, objects, patched_array
from geo_service.analysis.hours import OpenState, StateAt, parse_hours
from geo_service.analysis.nearest import GeodesicKNN
from geo_service.queries.facilities import no_facility_columns
from geo_service.records import FacilityColumns
from geo_service.services.state_memo import StateMemo


class Patchable(Protocol):
    """What a presenter prepares must follow a patched snapshot: `patched(keep, added, order)` is the
    presentation of rows `concat(self[keep], added)` rearranged by `order` (see patch_snapshot), and be
    joined from the batches of a full read."""

    def patched(self, keep: IntArray, added: Self, order: IntArray) -> Self: ...

    def concatenated(self, parts: Sequence[Self]) -> Self:
        """The presentation of the rows of `parts` one after the other (a full read in batches)."""
        ...


OWN_TREE_BELOW = 0.5  # a kind with fewer facilities than this share of all gets a KD-tree of its own
P = TypeVar("P", bound=Patchable)  # what the presenter prepares from the rows (opaque here)
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
    ids: NDArray[np.int64]  # facility ids, ascending
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    kinds: NDArray[np.object_]  # the kind code per facility (interned strings: a pointer each)
    truck_spaces: NDArray[np.int64]  # truck parking spaces (0 where none)
    amenity_bits: NDArray[np.int64]  # AMENITY_BIT mask per facility
    amenity_counts: Mapping[str | None, Mapping[int, int]]  # kind → amenity bit → facilities with it
    hours: NDArray[np.object_]  # OpeningHours or None per facility (object arrays patch in C)
    hours_text: NDArray[np.object_]  # the opening_hours string per facility, as stored (interned, for words)
    presented: P  # prepare(rows), by the same positions
    by_kind: Mapping[str | None, GeodesicKNN]
    bounds: Bounds | None  # the districts' and the facilities' box together
    areas: tuple[Bounds, ...] = ()  # the box of each region (the nearest gate serves near any of them)
    # the open state per position until its next change (flat arrays: nothing per facility for the collector)
    _states: StateMemo = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_states", StateMemo(len(self.lon)))

    def __len__(self) -> int:
        return len(self.lon)

    def open_state(self, position: int, wall_clock: datetime) -> OpenState:
        """state_at for one facility at a naive local time, memoised until the next change."""
        return self._states.open_state(self.hours[position], position, wall_clock)

    def state(self, position: int, wall_clock: datetime) -> StateAt:
        """facility_state of one (open) facility: open/closed/unknown, when that changes and next opens
        (memoised with the open state: the words of a returned facility cost a lookup)."""
        return self._states.state(self.hours[position], position, wall_clock)

    def amenity_share(self, kind: str | None, mask: int) -> float:
        """Upper bound of the share of `kind` (None: all) having every amenity in `mask` (its rarest one's)."""
        total = len(self.by_kind[kind])
        if not mask or not total:
            return 1.0 if total else 0.0
        counts = self.amenity_counts[kind]
        return min(counts.get(bit, 0) for bit in AMENITY_BIT.values() if bit & mask) / total


def build_snapshot(
    batches: Iterable[FacilityColumns],
    revision: int,
    district_bounds: Bounds | None,
    holiday_country: str,
    prepare: Callable[[FacilityColumns], P],
    areas: tuple[Bounds, ...] = (),
) -> FacilitySnapshot[P]:
    """Index the rows of queries.facilities.open_facility_columns, given in id order as one or more
    batches (each is turned into the index's columns and may then be freed); `prepare(batch)` becomes
    `presented`."""
    return _assemble(revision, _read(batches, holiday_country, prepare), district_bounds, areas)


def patch_snapshot(
    old: FacilitySnapshot[P],
    changed_ids: Collection[int],
    batches: Iterable[FacilityColumns],
    revision: int,
    district_bounds: Bounds | None,
    holiday_country: str,
    prepare: Callable[[FacilityColumns], P],
    areas: tuple[Bounds, ...] = (),
) -> FacilitySnapshot[P]:
    """`old` with the facilities `changed_ids` replaced by the rows of `batches` (their current open rows;
    a changed id without a row was deleted or is no longer open): the snapshot build_snapshot would make
    from every row, at the cost of the changed rows and the arrays' reindexing instead of reading and
    preparing every facility again. The KD-trees are rebuilt (vectorised, tens of milliseconds at 186,000)."""
    added = _read(batches, holiday_country, prepare)
    keep = np.flatnonzero(~np.isin(old.ids, np.fromiter(changed_ids, dtype=np.int64, count=len(changed_ids))))
    order = np.argsort(np.concatenate((old.ids[keep], added.ids)), kind="stable")
    before = _Columns(
        ids=old.ids,
        lon=old.lon,
        lat=old.lat,
        kinds=old.kinds,
        truck_spaces=old.truck_spaces,
        amenity_bits=old.amenity_bits,
        hours=old.hours,
        hours_text=old.hours_text,
        presented=old.presented,
    )
    dropped = np.setdiff1d(np.arange(len(old.ids)), keep, assume_unique=True)
    counts = _patched_counts(old.amenity_counts, (old.kinds[dropped], old.amenity_bits[dropped]), added)
    return _assemble(revision, _merged(before, keep, added, order), district_bounds, areas, counts)


@dataclass(frozen=True)
class _Columns(Generic[P]):
    """The per-facility values of a snapshot, before indexing."""

    ids: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    kinds: NDArray[np.object_]
    truck_spaces: NDArray[np.int64]
    amenity_bits: NDArray[np.int64]
    hours: NDArray[np.object_]
    hours_text: NDArray[np.object_]
    presented: P


def _merged(before: _Columns[P], keep: IntArray, added: _Columns[P], order: IntArray) -> _Columns[P]:
    """Every column as `concat(before[keep], added)[order]` (analysis.columns.patched_array)."""

    def merged_array(old: NDArray[Any], new: NDArray[Any]) -> NDArray[Any]:
        return patched_array(old, keep, new, order)

    return _Columns(
        ids=merged_array(before.ids, added.ids),
        lon=merged_array(before.lon, added.lon),
        lat=merged_array(before.lat, added.lat),
        kinds=merged_array(before.kinds, added.kinds),
        truck_spaces=merged_array(before.truck_spaces, added.truck_spaces),
        amenity_bits=merged_array(before.amenity_bits, added.amenity_bits),
        hours=merged_array(before.hours, added.hours),
        hours_text=merged_array(before.hours_text, added.hours_text),
        presented=before.presented.patched(keep, added.presented, order),
    )


def _read(
    batches: Iterable[FacilityColumns], holiday_country: str, prepare: Callable[[FacilityColumns], P]
) -> _Columns[P]:
    """The index's columns of every batch, in order: each batch is turned into columns as it arrives
    (small batches free their row objects before the next arrive, see Settings.index_read_chunk_rows),
    then the parts are joined once."""
    parts = [_columns(batch, holiday_country, prepare) for batch in batches]
    if not parts:
        return _columns(no_facility_columns(), holiday_country, prepare)
    if len(parts) == 1:
        return parts[0]
    return _Columns(
        ids=np.concatenate([part.ids for part in parts]),
        lon=np.concatenate([part.lon for part in parts]),
        lat=np.concatenate([part.lat for part in parts]),
        kinds=np.concatenate([part.kinds for part in parts]),
        truck_spaces=np.concatenate([part.truck_spaces for part in parts]),
        amenity_bits=np.concatenate([part.amenity_bits for part in parts]),
        hours=np.concatenate([part.hours for part in parts]),
        hours_text=np.concatenate([part.hours_text for part in parts]),
        presented=parts[0].presented.concatenated([part.presented for part in parts]),
    )


def _columns(batch: FacilityColumns, holiday_country: str, prepare: Callable[[FacilityColumns], P]) -> _Columns[P]:
    hours = batch["opening_hours"]
    return _Columns(
        ids=np.array(batch["id"], dtype=np.int64),
        lon=np.array(batch["lon"], dtype=np.float64),
        lat=np.array(batch["lat"], dtype=np.float64),
        kinds=objects(map(sys.intern, batch["kind"])),
        truck_spaces=np.array([spaces or 0 for spaces in batch["truck_parking_spaces"]], dtype=np.int64),
        amenity_bits=np.array([amenity_mask(codes or []) for codes in batch["amenities"]], dtype=np.int64),
        hours=objects(parse_hours(text, holiday_country) for text in hours),
        hours_text=objects(map(_interned, hours)),
        presented=prepare(batch),
    )


def _interned(text: str | None) -> str | None:
    """One string object per distinct value: a string kept from each row would keep the memory of the
    rows read around it (the allocator frees a page only when all of it is free), ~100 MB at 186,000."""
    return None if text is None else sys.intern(text)


def _assemble(
    revision: int,
    columns: _Columns[P],
    district_bounds: Bounds | None,
    areas: tuple[Bounds, ...],
    amenity_counts: Mapping[str | None, Mapping[int, int]] | None = None,
) -> FacilitySnapshot[P]:
    """The snapshot of `columns`: KD-trees, bounds and (unless a patch brings them) the amenity counts."""
    lon, lat, kinds = columns.lon, columns.lat, columns.kinds
    positions = np.arange(len(lon), dtype=np.intp)
    everything = GeodesicKNN(lon, lat, positions)
    by_kind: dict[str | None, GeodesicKNN] = {None: everything}
    for kind in vocab.KINDS:
        members = positions[kinds == kind]
        shared = len(members) > OWN_TREE_BELOW * len(positions)
        by_kind[kind] = GeodesicKNN.sharing(everything, members) if shared else GeodesicKNN(lon, lat, members)
    return FacilitySnapshot(
        revision=revision,
        ids=columns.ids,
        lon=lon,
        lat=lat,
        kinds=kinds,
        truck_spaces=columns.truck_spaces,
        amenity_bits=columns.amenity_bits,
        amenity_counts={kind: _amenity_counts(columns.amenity_bits, index.members) for kind, index in by_kind.items()}
        if amenity_counts is None
        else amenity_counts,
        hours=columns.hours,
        hours_text=columns.hours_text,
        presented=columns.presented,
        by_kind=by_kind,
        bounds=union_bounds(box for box in (district_bounds, points_bounds(lon, lat)) if box is not None),
        areas=areas,
    )


def _patched_counts(
    counts: Mapping[str | None, Mapping[int, int]],
    dropped: tuple[NDArray[np.object_], NDArray[np.int64]],
    added: _Columns[P],
) -> dict[str | None, dict[int, int]]:
    """`counts` less the (kinds, amenity bits) of the rows `dropped` plus those of `added`: a patch's
    cost in changed rows (counting every facility again took ~20 ms at the national set)."""
    patched = {kind: dict(by_bit) for kind, by_bit in counts.items()}
    for sign, kinds, bits in ((-1, *dropped), (1, added.kinds, added.amenity_bits)):
        for kind, mask in zip(kinds.tolist(), bits.tolist(), strict=True):
            for bit in AMENITY_BIT.values():
                if mask & bit:
                    for counted in (None, kind):
                        by_bit = patched.setdefault(counted, {})
                        by_bit[bit] = by_bit.get(bit, 0) + sign
    return patched


def _amenity_counts(bits: NDArray[np.int64], members: IntArray) -> dict[int, int]:
    chosen = bits[members]
    return {bit: int(np.count_nonzero(chosen & bit)) for bit in AMENITY_BIT.values()}
