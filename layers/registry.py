"""The frozen registry of map layers: id → LayerSpec. Maps validate `?layers=` against it and take the
layers' titles from it; a new layer is a module with a SPEC, listed here."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from layers import (
    distance_grid,
    districts,
    facility_markers,
    gaps,
    service_areas,
    station_density,
    suggested_sites,
)
from layers.spec import LayerSpec

REGISTRY: Final[MappingProxyType[str, LayerSpec]] = MappingProxyType(
    {
        spec.id: spec
        for spec in (
            facility_markers.SPEC,
            districts.SPEC,
            service_areas.SPEC,
            station_density.SPEC,
            gaps.SPEC,
            distance_grid.SPEC,
            suggested_sites.SPEC,
        )
    }
)
