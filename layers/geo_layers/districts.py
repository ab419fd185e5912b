"""District outlines with a name label at the county seat (or inside the polygon when no seat is known)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import shapely
from branca.element import MacroElement
from shapely.geometry import mapping

from geo_layers.display import OUTLINE_DEG, DisplayCrs, display_geometry, display_points
from geo_layers.element import script_layer
from geo_layers.spec import LayerSpec, Source, View

STYLE = {"color": "#37474f", "weight": 1.5, "opacity": 0.8, "fill": False, "dashArray": "4 3"}


def label_point(row: Mapping[Any, Any], geom: shapely.Geometry) -> tuple[float, float]:
    """The seat when known and inside the district, else a point guaranteed inside the polygon."""
    seat = (row.get("seat_lon"), row.get("seat_lat"))
    if seat[0] is not None and seat[1] is not None and geom.contains(shapely.Point(seat)):
        return float(seat[0]), float(seat[1])
    point = geom.representative_point()
    return point.x, point.y


def district_features(rows: Sequence[Mapping[Any, Any]], *, crs: DisplayCrs) -> list[dict[str, Any]]:
    """GeoJSON features (name, adcode, label position) from district rows with WKB geometry."""
    features = []
    for row in rows:
        geom = shapely.from_wkb(bytes(row["wkb"]))
        lon, lat = display_points(*label_point(row, geom), crs)
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(display_geometry(geom, crs, OUTLINE_DEG)),
                "properties": {"adcode": row["adcode"], "name": row["name"], "label": [float(lat), float(lon)]},
            }
        )
    return features


def draw(title: str, rows: Sequence[Mapping[Any, Any]], view: View) -> MacroElement:
    """Outlines (not interactive: taps go to the markers and the map) with permanent name labels."""
    features = district_features(rows, crs=view.crs)
    return script_layer({"type": "areas", "id": SPEC.id, "title": title, "features": features, "style": STYLE})


SPEC = LayerSpec(
    "districts", {"zh": "区县边界", "en": "County boundaries"}, Source.DISTRICT_OUTLINES, draw, ("public", "coverage")
)
