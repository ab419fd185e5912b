"""The facilities layer as GeoJSON: one Feature per facility, with the properties README "API" lists."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

from geo_layers.navigation import TravelMode, encode_label, format_point, navigation_links_json
from geo_service import vocab
from geo_service.analysis.columns import objects, patched_array

_COPIED = (
    "code",
    "kind",
    "name",
    "address",
    "township",
    "opening_hours",
    "access_method",
    "host_org",
    "host_type",
    "phone",
    "status",
    "area_m2",
    "truck_parking_spaces",
    "details",
)


def facility_feature(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A GeoJSON Feature for one facility row (lon/lat in WGS-84); sample rows carry the synthetic label."""
    props: dict[str, Any] = {"id": row["id"], **{key: row[key] for key in _COPIED}}
    props["kind_label"] = vocab.KINDS.get(row["kind"], row["kind"])
    props["district"] = row["district"]
    props["district_code"] = row["district_adcode"]
    props["amenities"] = list(row["amenities"] or [])
    props["amenity_labels"] = [vocab.AMENITIES.get(code, code) for code in props["amenities"]]
    props["access_method_label"] = vocab.ACCESS_METHODS.get(row["access_method"] or "", None)
    verified = row["last_verified_at"]
    props["last_verified_at"] = verified.isoformat() if isinstance(verified, date) else verified
    props["open_reports"] = int(row["open_reports"] or 0)  # problem reports waiting for the district's editors
    props["is_sample"] = bool(row["is_sample"])
    if props["is_sample"]:
        props["sample_label"] = vocab.SAMPLE_LABEL
    return {
        "type": "Feature",
        "id": row["id"],
        "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
        "properties": props,
    }


def feature_collection(features: Iterable[dict[str, Any]], **members: Any) -> dict[str, Any]:
    """A FeatureCollection with extra foreign members (numberMatched, links, …)."""
    return {"type": "FeatureCollection", "features": list(features), **members}


class NearestFeatures:
    """The nearest answer's features, serialised once per facility when the index is built.

    The nearest endpoint answers thousands of requests a second, so the static part of every feature
    (properties, geometry, the percent-encoded name and formatted position the deep links need) is
    prepared once, off the request path, and `complete` closes one feature with the per-query values by
    splicing bytes. Positions are those of the rows given to `from_rows` (the nearest index's positions).
    """

    __slots__ = ("_labels", "_points", "_prefixes")

    def __init__(self, prefixes: NDArray[np.object_], labels: NDArray[np.object_], points: NDArray[np.object_]):
        """Object arrays by position: feature bytes, encoded labels and (lon, lat) text pairs."""
        self._prefixes, self._labels, self._points = prefixes, labels, points

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[Any, Any]]) -> NearestFeatures:
        """Prepare the features of facility rows (the columns of queries.facilities.FACILITY_COLUMNS)."""
        return cls(
            objects(_open_feature(facility_feature(row)) for row in rows),
            objects(encode_label(row["name"]) for row in rows),
            objects(format_point(row["lon"], row["lat"]) for row in rows),
        )

    def __len__(self) -> int:
        return len(self._prefixes)

    def patched(self, keep: NDArray[np.intp], added: NearestFeatures, order: NDArray[np.intp]) -> NearestFeatures:
        """The features after an index patch (services.facility_index.patch_snapshot)."""
        return NearestFeatures(
            patched_array(self._prefixes, keep, added._prefixes, order),
            patched_array(self._labels, keep, added._labels, order),
            patched_array(self._points, keep, added._points, order),
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
        links = navigation_links_json(self._points[position], self._labels[position], mode=mode, app=app, origin=origin)
        open_now = "null" if open_state == "unknown" else ("true" if open_state == "open" else "false")
        by_road = (
            ""
            if road is None
            else (f',"network_distance_m":{road[0]:.1f},"travel_time_s":{road[1]:.1f},"snap_distance_m":{road[2]:.1f}')
        )
        if along is not None:  # side is "left" or "right": formatted as is
            by_road += f',"along_m":{along[0]:.1f},"offset_m":{along[1]:.1f},"side":"{along[2]}"'
        if detour is not None:
            by_road += f',"detour_m":{_number(detour[0])},"detour_s":{_number(detour[1])}'
        if words is not None:
            by_road += _words_json(*words)
        extra = (
            f'{by_road},"distance_m":{distance_m:.1f},"bearing":{bearing_deg:.1f},"open_state":"{open_state}",'
            f'"open_now":{open_now},"navigation":{links}}}}}'
        )
        return self._prefixes[position] + extra.encode()


@lru_cache(maxsize=8192)
def _words_json(hours_text: str, state_text: str, changes_at: str | None) -> str:
    """The words members of a nearest feature (JSON strings; changes_at may be null). Features share few
    distinct words at any moment, so the encoding is memoised."""
    hours, state, changes = (orjson.dumps(word).decode() for word in (hours_text, state_text, changes_at))
    return f',"hours_text":{hours},"state_text":{state},"changes_at":{changes}'


def _number(value: float) -> str:
    """One decimal, or null for NaN (a value that could not be measured)."""
    return "null" if math.isnan(value) else f"{value:.1f}"


def _open_feature(feature: dict[str, Any]) -> bytes:
    """A feature as JSON bytes, open at the end of its (non-empty) properties object."""
    encoded = orjson.dumps(feature)
    if not encoded.endswith(b"}}") or not feature["properties"]:
        raise ValueError("the feature must end with a non-empty properties object")
    return encoded[:-2]


def collection_bytes(features: list[bytes], members: dict[str, Any]) -> bytes:
    """A FeatureCollection from pre-serialised features plus foreign members."""
    head = b'{"type":"FeatureCollection","features":[' + b",".join(features)
    return head + (b"]," + orjson.dumps(members)[1:] if members else b"]}")
