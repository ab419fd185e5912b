"""The frozen registry of map layers: the one list of them, in drawing order, and id → LayerSpec.

Maps validate `?layers=` against it, take the layers' titles from it and draw, on each page, the layers
whose spec offers that page in the order of `LAYERS` (bottom first: areas, then outlines and circles,
then the markers on top). A new layer is a module ending with its SPEC (geo_layers.spec), listed here.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Final

from geo_layers import (
    distance_grid,
    districts,
    facility_markers,
    gaps,
    service_areas,
    station_density,
    suggested_sites,
)
from geo_layers.spec import LayerSpec, PageName

LAYERS: Final[tuple[LayerSpec[Any], ...]] = (
    station_density.SPEC,
    distance_grid.SPEC,
    gaps.SPEC,
    districts.SPEC,
    service_areas.SPEC,
    suggested_sites.SPEC,
    facility_markers.SPEC,
)

REGISTRY: Final[MappingProxyType[str, LayerSpec[Any]]] = MappingProxyType({spec.id: spec for spec in LAYERS})


def offered_on(page: PageName) -> list[LayerSpec[Any]]:
    """The layers `page` offers, in drawing order."""
    return [spec for spec in LAYERS if page in spec.pages]
