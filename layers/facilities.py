"""The facilities layer as GeoJSON: one Feature per facility, with the properties README "API" lists."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import orjson

from geo_service import vocab

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


# The nearest endpoint answers thousands of requests a second: its features are serialised once per
# facility (the static part, when the index is built) and completed per request by splicing bytes.


def feature_prefix(feature: dict[str, Any]) -> bytes:
    """A facility feature as JSON bytes, open at the end of its properties object."""
    encoded = orjson.dumps(feature)
    if not encoded.endswith(b"}}") or not feature["properties"]:
        raise ValueError("the feature must end with a non-empty properties object")
    return encoded[:-2]


def completed_nearest_feature(
    prefix: bytes, *, distance_m: float, bearing_deg: float, open_state: str, navigation_json: str
) -> bytes:
    """Close a feature_prefix with the per-query properties, formatted directly (the hottest loop).

    `open_state` is one of open/closed/unknown and `navigation_json` a ready JSON object, so the only
    values formatted here are two finite floats."""
    open_now = "null" if open_state == "unknown" else ("true" if open_state == "open" else "false")
    extra = (
        f',"distance_m":{distance_m:.1f},"bearing":{bearing_deg:.1f},"open_state":"{open_state}",'
        f'"open_now":{open_now},"navigation":{navigation_json}}}}}'
    )
    return prefix + extra.encode()


def collection_bytes(features: list[bytes], members: dict[str, Any]) -> bytes:
    """A FeatureCollection from pre-serialised features plus foreign members."""
    head = b'{"type":"FeatureCollection","features":[' + b",".join(features)
    return head + (b"]," + orjson.dumps(members)[1:] if members else b"]}")
