"""The facilities layer as GeoJSON: one Feature per facility, properties per DESIGN.md §5."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

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
