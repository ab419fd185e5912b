"""Choropleth of stations per 10,000 people by district, with a legend of classes of equal width.

A planner reads it as "where are we thin on the ground": darker is better served. Districts without a
population figure are grey and say so, rather than being coloured as zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import shapely
from branca.element import MacroElement
from shapely.geometry import mapping

from layers.display import OUTLINE_DEG, DisplayCrs, display_geometry
from layers.element import script_layer
from layers.spec import LayerSpec

SPEC = LayerSpec("station_density", {"zh": "每万人驿站数", "en": "Stations per 10,000 people"})

COLORS = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NO_DATA = "#bdbdbd"
_NICE = (1.0, 2.0, 2.5, 5.0, 10.0)

#: (district row, stations, stations per 10k or None) → tooltip lines, in the page's language
Describe = Callable[[Mapping[Any, Any], int, float | None], list[str]]


def per_10k(stations: int, population: int | None) -> float | None:
    return 1e4 * stations / population if population else None


def class_breaks(values: Sequence[float]) -> list[float]:
    """Upper bounds of len(COLORS) equal classes with a round step covering the largest value."""
    top = max(values, default=0.0) or 1.0
    raw = top / len(COLORS)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(n * magnitude for n in _NICE if n * magnitude >= raw)
    return [round(step * (i + 1), 10) for i in range(len(COLORS))]


def color_for(value: float | None, breaks: Sequence[float]) -> str:
    if value is None:
        return NO_DATA
    return next((color for color, bound in zip(COLORS, breaks, strict=True) if value <= bound), COLORS[-1])


def density_features(
    rows: Sequence[Mapping[Any, Any]], counts: Mapping[str, int], *, crs: DisplayCrs, describe: Describe
) -> tuple[list[dict[str, Any]], list[float]]:
    """Features styled by class, each with its tooltip lines; and the class breaks for the legend."""
    rates = {row["adcode"]: per_10k(counts.get(row["adcode"], 0), row["population"]) for row in rows}
    breaks = class_breaks([r for r in rates.values() if r is not None])
    features = []
    for row in rows:
        rate = rates[row["adcode"]]
        geom = display_geometry(shapely.from_wkb(bytes(row["wkb"])), crs, OUTLINE_DEG)
        style = {"fillColor": color_for(rate, breaks), "fillOpacity": 0.65, "color": "#ffffff", "weight": 1}
        props = {"adcode": row["adcode"], "per_10k": rate, "style": style}
        props["lines"] = describe(row, counts.get(row["adcode"], 0), rate)
        features.append({"type": "Feature", "geometry": mapping(geom), "properties": props})
    return features, breaks


def layer(title: str, features: list[dict[str, Any]], breaks: Sequence[float], no_data: str) -> MacroElement:
    """Filled districts with a tooltip each and a legend of the classes (`no_data`: label of grey)."""
    legend = [[color, f"≤ {bound:g}"] for color, bound in zip(COLORS, breaks, strict=True)] + [[NO_DATA, no_data]]
    config = {
        "type": "areas",
        "id": SPEC.id,
        "title": title,
        "features": features,
        "legend": legend,
        "swatch": COLORS[3],
    }
    return script_layer(config | {"interactive": True, "show": True})
