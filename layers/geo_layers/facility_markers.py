"""Facility markers: rows → compact GeoJSON for the page script, which draws one toggleable, clustered
layer per kind and builds each popup card from these properties with DOM text nodes.

A feature carries what the card shows (when the station was last checked and how many problem reports
wait for its editors included) and nothing else (an embedded page holds every facility) and its
position in the basemap's coordinates (plus the true WGS-84 one when they differ, for navigation links).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from branca.element import MacroElement

from geo_layers.display import DisplayCrs, display_points
from geo_layers.element import script_layer
from geo_layers.navigation import navigation_links
from geo_layers.spec import LayerSpec, Source, View

_CARD_FIELDS = (
    "id",
    "code",
    "kind",
    "name",
    "address",
    "district",
    "opening_hours",
    "access_method",
    "phone",
    "status",
    "open_reports",
    "truck_parking_spaces",
)
NAV_VENDORS = ("amap", "baidu", "tencent")


class CardWords(NamedTuple):
    """What a card says about a facility's hours, in the page's language: the hours in words, and its state
    (code and words, e.g. suspended / 暂停服务), None when not evaluated (a static export)."""

    hours_text: str
    state: str | None
    state_text: str | None


def marker_features(
    rows: Sequence[Mapping[Any, Any]],
    open_states: Sequence[str | None],
    *,
    crs: DisplayCrs,
    words: Sequence[CardWords] | None = None,
) -> list[dict[str, Any]]:
    """One feature per row; `open_states` (open/closed/unknown, or None when not evaluated) and `words`
    (hours_text, state, state_text: shown by the card instead of the raw hours) aligned with rows."""
    lon, lat = display_points([row["lon"] for row in rows], [row["lat"] for row in rows], crs)
    features = []
    for i, row in enumerate(rows):
        props = {key: row[key] for key in _CARD_FIELDS}
        props["amenities"] = list(row["amenities"] or [])
        props["is_sample"] = bool(row["is_sample"])
        props["open_state"] = open_states[i]
        if words is not None:
            props.update(words[i]._asdict())
        verified = row["last_verified_at"]
        props["last_verified_at"] = verified.isoformat() if isinstance(verified, date) else verified
        if crs != "wgs84":  # navigation links need the true position
            props["wgs84"] = [row["lon"], row["lat"]]
        geometry = {"type": "Point", "coordinates": [float(lon[i]), float(lat[i])]}
        features.append({"type": "Feature", "id": row["id"], "geometry": geometry, "properties": props})
    return features


def navigation_templates(nav_app: str) -> dict[str, str]:
    """Deep-link templates of geo_layers.navigation with {lon}, {lat} and {label} left for the page script to
    fill per facility: the links of a whole map would otherwise be most of its size."""
    links = navigation_links(("{lon},{lat}", "{lat},{lon}"), "{label}", mode="ride", app=nav_app)
    return {vendor: links[vendor] for vendor in NAV_VENDORS}


def cluster_features(cells: Sequence[Mapping[Any, Any]], *, crs: DisplayCrs) -> list[list[float]]:
    """Grid cells (count, mean lon/lat) as [lon, lat, count] in the basemap's coordinates."""
    lon, lat = display_points([c["lon"] for c in cells], [c["lat"] for c in cells], crs)
    return [[float(lon[i]), float(lat[i]), int(cell["count"])] for i, cell in enumerate(cells)]


@dataclass(frozen=True)
class TileSource:
    """Vector tiles of the facilities: the {z}/{x}/{y} URL template, the MVT layer name, and the URL prefix
    of one facility (its card is fetched when clicked)."""

    template: str
    layer: str
    item: str


@dataclass(frozen=True)
class Markers:
    """What the layer draws: a toggle per kind in `kinds`, and one of: the features (embedded in the
    page), the URL the page script fetches them from per viewport, or vector tiles (the largest maps)."""

    kinds: Sequence[str]
    features: list[dict[str, Any]] | None = None
    source: str | None = None
    tiles: TileSource | None = None

    def __post_init__(self) -> None:
        if sum(x is not None for x in (self.features, self.source, self.tiles)) != 1:
            raise ValueError("give one of: the features, a source URL, vector tiles")


def draw(title: str, markers: Markers, view: View) -> MacroElement:
    """The clustered markers of each kind (positions are already in the view's coordinates)."""
    config = {"type": "facilities", "id": SPEC.id, "title": title, "kinds": list(markers.kinds), "cluster": True}
    if markers.features is not None:
        config["features"] = markers.features
    elif markers.tiles is not None:
        config |= {"tiles": markers.tiles.template, "tile_layer": markers.tiles.layer, "item": markers.tiles.item}
    else:
        config["source"] = markers.source
    return script_layer(config)


SPEC = LayerSpec("facilities", {"zh": "设施", "en": "Facilities"}, Source.MARKERS, draw, ("public", "coverage"))
