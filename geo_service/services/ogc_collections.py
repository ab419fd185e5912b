"""The extent of a collection: the box of its features and the time span of their last updates."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from geo_service.analysis.bounds import union_bounds
from geo_service.queries import districts as district_queries
from geo_service.queries import features as feature_queries
from geo_service.services.ogc_catalog import CollectionSpec
from geo_service.services.time_text import utc_text


@dataclass(frozen=True)
class Extent:
    bbox: tuple[float, float, float, float] | None  # WGS-84 west, south, east, north
    interval: tuple[str | None, str | None] | None  # first and last updated_at (UTC, RFC 3339)


def collection_extent(conn: Connection, spec: CollectionSpec) -> Extent:
    """Computed from the data (the caller caches it per data revision)."""
    if spec.source != "facilities":
        return Extent(union_bounds(district_queries.district_boxes(conn)), None)
    row = feature_queries.facility_extent(conn, spec.kinds)
    if row["west"] is None:
        return Extent(None, None)
    box = (float(row["west"]), float(row["south"]), float(row["east"]), float(row["north"]))
    return Extent(box, (utc_text(row["first"]), utc_text(row["last"])))
