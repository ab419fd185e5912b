"""The facilities layer as GeoJSON: one Feature per facility, with the properties README "API" lists."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache, partial
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

from geo_layers.navigation import TravelMode, encode_label, format_point, navigation_links_json
from geo_service import vocab
from geo_service.analysis.columns import CodedColumn, PackedBytes, patched_array
from geo_service.records import FacilityColumns

# the columns whose values differ from facility to facility, in the order _own_properties takes them
_OWN = (
    "id",
    "code",
    "name",
    "address",
    "host_org",
    "phone",
    "area_m2",
    "truck_parking_spaces",
    "details",
    "last_verified_at",
    "open_reports",
)


def _own_properties(
    facility_id: int,
    code: str,
    name: str,
    address: str | None,
    host_org: str | None,
    phone: str | None,
    area_m2: float | None,
    truck_parking_spaces: int | None,
    details: dict[str, Any] | None,
    last_verified_at: date | str | None,
    open_reports: int | None,
) -> dict[str, Any]:
    """The properties that differ from facility to facility (see _SHARED for the rest)."""
    return {
        "id": facility_id,
        "code": code,
        "name": name,
        "address": address,
        "host_org": host_org,
        "phone": phone,
        "area_m2": area_m2,
        "truck_parking_spaces": truck_parking_spaces,
        "details": details,
        "last_verified_at": last_verified_at.isoformat() if isinstance(last_verified_at, date) else last_verified_at,
        "open_reports": int(open_reports or 0),  # problem reports waiting for the district's editors
    }


def _sample_properties(is_sample: bool | int) -> dict[str, Any]:
    """Sample rows carry the synthetic label."""
    return {"is_sample": True, "sample_label": vocab.SAMPLE_LABEL} if is_sample else {"is_sample": False}


def _access_properties(access: str | None) -> dict[str, Any]:
    return {"access_method": access, "access_method_label": vocab.ACCESS_METHODS.get(access or "", None)}


# Properties that many facilities share, by group: (the group's columns, its properties from their values).
_SHARED: tuple[tuple[tuple[str, ...], Callable[..., dict[str, Any]]], ...] = (
    (("kind",), lambda kind: {"kind": kind, "kind_label": vocab.KINDS.get(kind, kind)}),
    (("district", "district_adcode"), lambda district, adcode: {"district": district, "district_code": adcode}),
    (("township",), lambda township: {"township": township}),
    (("opening_hours",), lambda hours: {"opening_hours": hours}),
    (("access_method",), _access_properties),
    (("host_type",), lambda host_type: {"host_type": host_type}),
    (("status",), lambda status: {"status": status}),
    (("is_sample",), _sample_properties),
)
PREPARED_CACHE = 4096  # facilities whose joined feature a snapshot keeps (~1 KB each)
_AMENITY_CODES = tuple(vocab.AMENITIES)
_AMENITY_NUMBER = {code: number for number, code in enumerate(_AMENITY_CODES)}


def _amenity_properties(codes: Sequence[str]) -> dict[str, Any]:
    return {"amenities": list(codes), "amenity_labels": [vocab.AMENITIES.get(code, code) for code in codes]}


def facility_properties(row: Mapping[str, Any]) -> dict[str, Any]:
    """The properties of one facility row, as README "API" lists them."""
    properties = _own_properties(*(row[name] for name in _OWN))
    for names, shared in _SHARED:
        properties.update(shared(*(row[name] for name in names)))
    properties.update(_amenity_properties(row["amenities"] or ()))
    return properties


def facility_feature(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A GeoJSON Feature for one facility row (lon/lat in WGS-84); sample rows carry the synthetic label."""
    return {
        "type": "Feature",
        "id": row["id"],
        "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
        "properties": facility_properties(row),
    }


def feature_collection(features: Iterable[dict[str, Any]], **members: Any) -> dict[str, Any]:
    """A FeatureCollection with extra foreign members (numberMatched, links, …)."""
    return {"type": "FeatureCollection", "features": list(features), **members}


@dataclass(frozen=True, slots=True)
class FeatureColumns:
    """What NearestFeatures holds, by position: ids, lon, lat, UTF-8 names (for the deep links' labels),
    the own properties' JSON, one coded column of JSON per group of _SHARED and the amenities' numbers."""

    ids: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    names: PackedBytes
    own: PackedBytes
    shared: tuple[CodedColumn, ...]
    amenities: PackedBytes

    def stored_parts(self, position: int) -> tuple[bytes, tuple[str, str], str]:
        """The feature at `position` up to the end of its stored properties (the object left open), its
        position as format_point gives it, and its deep links' label."""
        lon, lat = float(self.lon[position]), float(self.lat[position])
        head = b'{"type":"Feature","id":%d,"geometry":{"type":"Point","coordinates":%b},"properties":{' % (
            self.ids[position],
            orjson.dumps((lon, lat)),
        )
        shared = b",".join([column[position] for column in self.shared])
        amenities = _amenities_json(self.amenities[position])
        stored = b"%b%b,%b,%b" % (head, self.own[position], shared, amenities)
        return stored, format_point(lon, lat), _label(self.names[position])


class NearestFeatures:
    """The nearest answer's features, built from compact columns for the few facilities answered.

    The nearest endpoint answers thousands of requests a second over up to 186,000 facilities held by
    every worker, so what a feature says is prepared once, off the request path, in the form that costs
    least to hold and to splice: the properties that differ per facility as one JSON fragment each, packed
    in one buffer, those that many share (kind, district, hours …) as a code into a table of fragments,
    and the amenities, in the order stored, as one byte per amenity (their vocabulary numbers: ~84,000
    distinct lists in the national set, each ~300 bytes of JSON). `complete` joins one feature's
    fragments and adds the per-query values; the joined parts of the PREPARED_CACHE facilities answered
    most recently are kept (riders ask about the same stations again and again: a city's fit whole).
    Positions are those of the rows given to `from_columns` (the nearest index's positions)."""

    __slots__ = ("_columns", "_prepared")

    def __init__(self, columns: FeatureColumns) -> None:
        self._columns = columns
        # per snapshot (a patch makes a new one); bound to the columns, not to self: a cache holding self
        # would make a cycle, and a replaced snapshot's ~100 MB would wait for the cyclic collector
        self._prepared = lru_cache(maxsize=PREPARED_CACHE)(columns.stored_parts)

    @classmethod
    def from_columns(cls, batch: FacilityColumns) -> NearestFeatures:
        """Prepare the features of a batch of facility rows (queries.facilities.open_facility_columns)."""
        return cls(
            FeatureColumns(
                np.array(batch["id"], dtype=np.int64),
                np.array(batch["lon"], dtype=np.float64),
                np.array(batch["lat"], dtype=np.float64),
                PackedBytes.of(name.encode() for name in batch["name"]),
                PackedBytes.of(_members(_own_properties(*values)) for values in _zipped(batch, _OWN)),
                tuple(
                    CodedColumn.of(list(_zipped(batch, names)), partial(_shared_members, shared))
                    for names, shared in _SHARED
                ),
                PackedBytes.of(bytes(map(_AMENITY_NUMBER.__getitem__, codes or ())) for codes in batch["amenities"]),
            )
        )

    def __len__(self) -> int:
        return len(self._columns.ids)

    def patched(self, keep: NDArray[np.intp], added: NearestFeatures, order: NDArray[np.intp]) -> NearestFeatures:
        """The features after an index patch (services.facility_index.patch_snapshot)."""
        mine, theirs = self._columns, added._columns
        return NearestFeatures(
            FeatureColumns(
                patched_array(mine.ids, keep, theirs.ids, order),
                patched_array(mine.lon, keep, theirs.lon, order),
                patched_array(mine.lat, keep, theirs.lat, order),
                mine.names.patched(keep, theirs.names, order),
                mine.own.patched(keep, theirs.own, order),
                tuple(a.patched(keep, b, order) for a, b in zip(mine.shared, theirs.shared, strict=True)),
                mine.amenities.patched(keep, theirs.amenities, order),
            )
        )

    @staticmethod
    def concatenated(parts: Sequence[NearestFeatures]) -> NearestFeatures:
        """The features of `parts` one after the other (the batches of a full read)."""
        columns = [part._columns for part in parts]
        return NearestFeatures(
            FeatureColumns(
                np.concatenate([c.ids for c in columns]),
                np.concatenate([c.lon for c in columns]),
                np.concatenate([c.lat for c in columns]),
                PackedBytes.concatenated([c.names for c in columns]),
                PackedBytes.concatenated([c.own for c in columns]),
                tuple(CodedColumn.concatenated(group) for group in zip(*(c.shared for c in columns), strict=True)),
                PackedBytes.concatenated([c.amenities for c in columns]),
            )
        )

    def complete(
        self,
        position: int,
        *,
        distance_m: float,
        bearing_deg: float,
        open_state: str,
        mode: TravelMode,
        app: str,
        origin: tuple[str, str],
        road: tuple[float, float, float] | None = None,
        along: tuple[float, float, str] | None = None,
        detour: tuple[float, float] | None = None,
        words: tuple[str, str, str | None] | None = None,
    ) -> bytes:
        """The feature at `position` with distance, bearing, open state and deep links from `origin`
        (geo_layers.navigation.format_point of the rider), and with `road` (network metres, seconds, the
        facility's distance to the road) when measured by road, `along` (along_m, offset_m, side) on a
        route, `detour` (extra road metres and seconds, NaN when none was found) and `words` (hours_text,
        state_text, changes_at) when asked; formatted directly: `open_state` is one of open/closed/unknown
        and the links are URL-safe, so the only values formatted are finite floats (or null) and the words
        (JSON-encoded)."""
        stored, point, label = self._prepared(position)
        links = navigation_links_json(point, label, mode=mode, app=app, origin=origin)
        open_now = "null" if open_state == "unknown" else ("true" if open_state == "open" else "false")
        optional = _optional_members(road, along, detour, words)
        extra = (
            f'{optional},"distance_m":{distance_m:.1f},"bearing":{bearing_deg:.1f},"open_state":"{open_state}",'
            f'"open_now":{open_now},"navigation":{links}}}}}'
        )
        return stored + extra.encode()


def _optional_members(
    road: tuple[float, float, float] | None,
    along: tuple[float, float, str] | None,
    detour: tuple[float, float] | None,
    words: tuple[str, str, str | None] | None,
) -> str:
    """The members of NearestFeatures.complete's optional values, each with its leading comma."""
    members = (
        ""
        if road is None
        else (f',"network_distance_m":{road[0]:.1f},"travel_time_s":{road[1]:.1f},"snap_distance_m":{road[2]:.1f}')
    )
    if along is not None:  # side is "left" or "right": formatted as is
        members += f',"along_m":{along[0]:.1f},"offset_m":{along[1]:.1f},"side":"{along[2]}"'
    if detour is not None:
        members += f',"detour_m":{_number(detour[0])},"detour_s":{_number(detour[1])}'
    if words is not None:
        members += _words_json(*words)
    return members


@lru_cache(maxsize=16_384)
def _label(name: bytes) -> str:
    """encode_label of a packed name (~150 bytes a label kept: more than PREPARED_CACHE fit)."""
    return encode_label(name.decode())


def _zipped(batch: FacilityColumns, names: tuple[str, ...]) -> Iterator[tuple[Any, ...]]:
    """The values of columns `names`, row by row."""
    return zip(*(batch[name] for name in names), strict=True)


def _shared_members(shared: Callable[..., dict[str, Any]], values: tuple[Any, ...]) -> bytes:
    return _members(shared(*values))


def _members(properties: dict[str, Any]) -> bytes:
    """The members of a JSON object, without its braces (fragments of one properties object)."""
    return orjson.dumps(properties)[1:-1]


# each amenity's code and label as JSON, by vocabulary number
_CODE_JSON = tuple(orjson.dumps(code) for code in _AMENITY_CODES)
_LABEL_JSON = tuple(orjson.dumps(vocab.AMENITIES[code]) for code in _AMENITY_CODES)


def _amenities_json(numbers: bytes) -> bytes:
    """The amenities members of a feature from their vocabulary numbers, as _members(_amenity_properties)
    writes them, joined from each amenity's JSON (no cache: the national set holds ~84,000 distinct lists,
    and NearestFeatures keeps the features it answers often)."""
    codes = b",".join(map(_CODE_JSON.__getitem__, numbers))
    labels = b",".join(map(_LABEL_JSON.__getitem__, numbers))
    return b'"amenities":[%b],"amenity_labels":[%b]' % (codes, labels)


@lru_cache(maxsize=8192)
def _words_json(hours_text: str, state_text: str, changes_at: str | None) -> str:
    """The words members of a nearest feature (JSON strings; changes_at may be null). Features share few
    distinct words at any moment, so the encoding is memoised."""
    hours, state, changes = (orjson.dumps(word).decode() for word in (hours_text, state_text, changes_at))
    return f',"hours_text":{hours},"state_text":{state},"changes_at":{changes}'


def _number(value: float) -> str:
    """One decimal, or null for NaN (a value that could not be measured)."""
    return "null" if math.isnan(value) else f"{value:.1f}"


def collection_bytes(features: list[bytes], members: dict[str, Any]) -> bytes:
    """A FeatureCollection from pre-serialised features plus foreign members."""
    head = b'{"type":"FeatureCollection","features":[' + b",".join(features)
    return head + (b"]," + orjson.dumps(members)[1:] if members else b"]}")
