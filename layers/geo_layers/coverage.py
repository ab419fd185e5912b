"""GeoDataFrame results (gaps, grid cells) as GeoJSON for the API."""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd


def frame_collection(frame: gpd.GeoDataFrame, **members: Any) -> dict[str, Any]:
    """A GeoDataFrame (WGS-84) as a GeoJSON dict with foreign members (radius, method, …)."""
    collection: dict[str, Any] = json.loads(frame.to_json(drop_id=True, na="null"))
    collection.update(members)
    return collection
