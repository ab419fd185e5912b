"""Choropleth of stations per 10,000 people by district, with a legend of classes of equal width.

A planner reads it as "where are we thin on the ground": darker is better served. Districts without a
population figure are grey and say so, rather than being coloured as zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
from branca.element import MacroElement
from shapely.geometry import mapping

from geo_layers.display import OUTLINE_DEG, DisplayCrs, display_geometry
from geo_layers.element import script_layer
from geo_layers.spec import LayerSpec, Source, View

COLORS = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NO_DATA = "#bdbdbd"
_NICE = (1.0, 2.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class DistrictCounts:
    """What the layer draws: district rows (with WKB outline and population) and their open stations."""

    districts: Sequence[Mapping[Any, Any]]
    stations: Mapping[str, int]  # adcode → open stations (absent: none)
    coverage: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # adcode → summary row (planner map)
    sites: Mapping[str, int] = field(default_factory=dict)  # adcode → suggested sites in it


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


def density_lines(row: Mapping[Any, Any], stations: int, rate: float | None, words: Mapping[str, str]) -> list[str]:
    """Tooltip of a district: its stations, its population (when known) and the rate, or "no data"."""
    lines = [row["name"], words["density_stations"].format(n=stations)]
    if row["population"]:
        lines.append(words["density_population"].format(p=row["population"] / 1e4, year=row["population_year"]))
    lines.append(words["density_rate"].format(r=rate) if rate is not None else words["no_data"])
    return lines


def coverage_lines(figures: Mapping[str, Any] | None, sites: int | None, words: Mapping[str, str]) -> list[str]:
    """The district's coverage (area and demand within the radius, the gap left) and its suggested sites:
    on the district's own tooltip, so they read the same whether the gaps are drawn or not."""
    if not figures:
        return []
    lines = [
        words["covered_area"].format(p=figures["covered_area_pct"] or 0.0),
        words["covered_demand"].format(p=figures["demand_covered_pct"] or 0.0),
        words["gap_area"].format(a=figures["area_km2"] - figures["covered_km2"]),
        words["gap_demand"].format(d=figures["demand"] - figures["demand_covered"]),
    ]
    if sites is not None:
        lines.append(words["district_sites"].format(n=sites))
    return lines


def density_features(
    data: DistrictCounts, *, crs: DisplayCrs, words: Mapping[str, str]
) -> tuple[list[dict[str, Any]], list[float]]:
    """Features styled by class, each with its tooltip lines; and the class breaks for the legend."""
    counts = data.stations
    rates = {row["adcode"]: per_10k(counts.get(row["adcode"], 0), row["population"]) for row in data.districts}
    breaks = class_breaks([r for r in rates.values() if r is not None])
    features = []
    for row in data.districts:
        rate = rates[row["adcode"]]
        geom = display_geometry(shapely.from_wkb(bytes(row["wkb"])), crs, OUTLINE_DEG)
        style = {"fillColor": color_for(rate, breaks), "fillOpacity": 0.65, "color": "#ffffff", "weight": 1}
        props = {"adcode": row["adcode"], "per_10k": rate, "style": style}
        props["lines"] = density_lines(row, counts.get(row["adcode"], 0), rate, words) + coverage_lines(
            data.coverage.get(row["adcode"]), data.sites.get(row["adcode"], 0) if data.sites else None, words
        )
        features.append({"type": "Feature", "geometry": mapping(geom), "properties": props})
    return features, breaks


def draw(title: str, data: DistrictCounts, view: View) -> MacroElement:
    """Filled districts with a tooltip each and a legend of the classes (grey: no population figure)."""
    features, breaks = density_features(data, crs=view.crs, words=view.words)
    legend = [[color, f"≤ {bound:g}"] for color, bound in zip(COLORS, breaks, strict=True)]
    legend.append([NO_DATA, view.words["no_data"]])
    config = {
        "type": "areas",
        "id": SPEC.id,
        "title": title,
        "features": features,
        "legend": legend,
        "swatch": COLORS[3],
    }
    return script_layer(config | {"interactive": True, "show": True})


SPEC = LayerSpec(
    "station_density",
    {"zh": "每万人驿站数", "en": "Stations per 10,000 people"},
    Source.STATIONS_BY_DISTRICT,
    draw,
    ("coverage",),
)
