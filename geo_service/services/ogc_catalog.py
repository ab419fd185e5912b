"""The collections served through OGC API – Features and the vector tiles, with their queryables.

One collection for every facility, one per facility kind, the districts, and the coverage gaps (computed
from the open stations with the default service radius, not stored). Queryables come from the columns
of geo_service.queries.features, so what a filter may name is what SQL can read, and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from geo_service import vocab
from geo_service.errors import NotFound
from geo_service.queries.cql import FieldType
from geo_service.queries.features import DISTRICT_FIELDS, FACILITY_FIELDS

Source = Literal["facilities", "districts", "gaps"]
GapFieldTypes: Final[Mapping[str, FieldType]] = {
    "adcode": "string",
    "name": "string",
    "area_km2": "number",
    "uncovered_demand": "number",
}


@dataclass(frozen=True)
class CollectionSpec:
    """A collection: id, zh/en titles and descriptions, the data behind it, and its kinds (facilities)."""

    id: str
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    source: Source
    kinds: tuple[str, ...] = ()

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def description(self, lang: str) -> str:
        return self.description_zh if lang == "zh" else self.description_en

    @property
    def queryables(self) -> Mapping[str, FieldType]:
        """Properties a filter, a property condition or sortby may name (the geometry is `geometry`)."""
        if self.source == "facilities":
            return {name: column.type for name, column in FACILITY_FIELDS.items()}
        if self.source == "districts":
            return {name: column.type for name, column in DISTRICT_FIELDS.items()}
        return GapFieldTypes

    @property
    def filterable(self) -> bool:
        """Stored collections filter in SQL; the computed gaps offer bbox and paging only."""
        return self.source != "gaps"

    @property
    def geometry_type(self) -> str:
        return "Point" if self.source == "facilities" else "MultiPolygon"

    @property
    def has_tiles(self) -> bool:
        return self.source in ("facilities", "districts")


_KIND_COLLECTIONS: Final = {"station": "stations", "rest_base": "rest_bases", "mediation_centre": "mediation_centres"}
_KIND_TITLES_EN: Final = {
    "station": "Service stations",
    "rest_base": "Rest bases",
    "mediation_centre": "Mediation centres",
}


def _kind_collection(kind: str) -> CollectionSpec:
    return CollectionSpec(
        id=_KIND_COLLECTIONS.get(kind, kind),
        title_zh=vocab.KINDS[kind],
        title_en=_KIND_TITLES_EN.get(kind, kind),
        description_zh=f"全部{vocab.KINDS[kind]}（点，WGS-84）",
        description_en=f"Every {_KIND_TITLES_EN.get(kind, kind).lower()[:-1]} (points, WGS-84)",
        source="facilities",
        kinds=(kind,),
    )


COLLECTIONS: Final = (
    CollectionSpec(
        "facilities",
        "全部设施",
        "All facilities",
        "工会驿站、职工疗休养基地和矛盾纠纷调解中心（点）",
        "Service stations, rest bases and mediation centres (points)",
        "facilities",
    ),
    *(_kind_collection(kind) for kind in vocab.KINDS),
    CollectionSpec(
        "districts",
        "行政区",
        "Districts",
        "市及县级行政区的边界与人口",
        "Boundaries and population of the city and its county-level districts",
        "districts",
    ),
    CollectionSpec(
        "coverage_gaps",
        "覆盖盲区",
        "Coverage gaps",
        "开放驿站默认服务半径（步行 15 分钟，1 公里）以外的区域，按区县计算，随数据更新",
        "Areas beyond the default service radius (15-minute walk, 1 km) of the open stations, per district; "
        "computed from the current data",
        "gaps",
    ),
)
_BY_ID: Final = {spec.id: spec for spec in COLLECTIONS}


def collection(collection_id: str) -> CollectionSpec:
    """The collection of that id, or NotFound (404)."""
    spec = _BY_ID.get(collection_id)
    if spec is None:
        raise NotFound(f"没有这个集合 (no collection {collection_id!r}; see /ogc/collections)")
    return spec
