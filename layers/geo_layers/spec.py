"""What a layer declares about itself: its id (used in URLs: `?layers=`), its title per language, the pages
that offer it, whether it is drawn by default, the data it draws and the function that draws it.

A layer is presentation only: it never imports the web framework or the database. Loading what it draws
needs both (a connection, the services, the page's query), so a spec does not load anything: it names
its data `Source`, geo_service.maps.sources.Sources loads each source at most once per page, and
geo_service.maps.compose hands the loaded value to `draw`. Everything else about a layer is in its own
module, so adding one that draws existing data is that module plus one line in geo_layers.registry; a new
kind of data adds a `Source` member and the Sources property of the same name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar

from branca.element import MacroElement

from geo_layers.display import DisplayCrs

#: the pages that draw layers chosen with `?layers=` (the nearby page lists facilities instead)
PageName = Literal["public", "coverage"]


class Source(StrEnum):
    """The data a layer draws, by the name of the geo_service.maps.sources.Sources property loading it."""

    MARKERS = "markers"  # geo_layers.facility_markers.Markers
    DISTRICT_OUTLINES = "district_outlines"  # district rows: adcode, name, wkb, seat, population
    OPEN_STATIONS = "open_stations"  # facility rows (lon, lat) of the open stations
    STATIONS_BY_DISTRICT = "stations_by_district"  # geo_layers.station_density.DistrictCounts
    GAPS = "gaps"  # GeoDataFrame: a district's gap per row (adcode, name, area_km2, uncovered_demand)
    DISTANCE_GRID = "distance_grid"  # GeoDataFrame: square cells with distance_m
    SUGGESTED_SITES = "suggested_sites"  # plan sites: rank, lon, lat, gain_demand, gain_area_km2


@dataclass(frozen=True)
class View:
    """What a layer needs to know about the page it is drawn on, besides its data."""

    crs: DisplayCrs  # the basemap's coordinates (geo_layers.display)
    words: Mapping[str, str]  # the page's strings (geo_service.maps.i18n): tooltip and legend templates
    radius_m: float = 0.0  # the planner map's service radius


T = TypeVar("T")


@dataclass(frozen=True)
class LayerSpec(Generic[T]):
    id: str
    titles: Mapping[str, str]  # language → title; may hold {placeholders} filled by `title`
    source: Source
    draw: Callable[[str, T, View], MacroElement]  # (title, the source's data, view) → the page element
    pages: tuple[PageName, ...]
    by_default: bool = True  # drawn when `?layers=` is absent (False when it costs a computation)

    def title(self, lang: str, **values: Any) -> str:
        return self.titles.get(lang, self.titles["zh"]).format(**values)
