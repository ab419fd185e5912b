"""Layers onto a page: which ones (`?layers=` among those the page offers, else its defaults) and each
drawn over its data.

Nothing here knows a particular layer. A layer's spec (geo_layers.spec) says which pages offer it, whether it
is drawn by default, which data source it draws and how; `Sources` (geo_service.maps.sources) loads the
source, and the spec's `draw` turns it into the page element. So there is no table of builders to keep
in step with geo_layers.registry: the registry is the only list of layers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar, cast

from branca.element import MacroElement

from geo_layers.registry import offered_on
from geo_layers.spec import LayerSpec, PageName
from geo_service.errors import InvalidParameter
from geo_service.maps.sources import Sources

T = TypeVar("T")


def chosen_layers(page: PageName, requested: Sequence[str] | None) -> list[LayerSpec[Any]]:
    """The page's layers in drawing order: the `requested` ids (422 for ids the page lacks), or when none
    are requested the ones drawn by default."""
    offered = offered_on(page)
    if not requested:
        return [spec for spec in offered if spec.by_default]
    ids = [spec.id for spec in offered]
    unknown = [layer for layer in requested if layer not in ids]
    if unknown:
        raise InvalidParameter("layers", f"unknown layer(s) {unknown} on this map; expected any of {ids}")
    return [spec for spec in offered if spec.id in requested]


def layer_element(src: Sources, spec: LayerSpec[T], given: T | None = None) -> MacroElement:
    """`spec`'s layer over the data of its source, or over `given` when the caller has that data already
    (the gaps or sites of a plan it has just computed)."""
    value = cast(T, src.load(spec.source)) if given is None else given
    return spec.draw(src.title(spec), value, src.view)
