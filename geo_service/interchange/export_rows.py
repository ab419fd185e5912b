"""What the facility writers take (ExportRow) and the value of each export column for it.

Tables (CSV, XLSX) write the columns of `columns.COLUMNS` in order, with Chinese headers and labels
(工会驿站, 热水、卫生间, 是/否) for `zh` and English headers and codes for `en`; both read back to the
same record. Layers (GeoJSON, GeoPackage, KML) always use the English field names and codes that GIS
tools expect. Every synthetic row keeps is_sample and carries the 示例数据 label.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal

import orjson

from geo_service import vocab
from geo_service.interchange.columns import COLUMNS
from geo_service.records import FacilityRecord

Lang = Literal["zh", "en"]
TableValue = str | float | int | date | None


@dataclass(frozen=True)
class ExportRow:
    """One facility to write: the stored record plus its database id and district name (both optional;
    columns without them stay empty). Build the record with FacilityRecord.model_validate(row_mapping)."""

    record: FacilityRecord
    id: int | None = None
    district_name: str | None = None


def _label(allowed: Mapping[str, str], code: str | None, lang: Lang) -> str | None:
    if code is None:
        return None
    return allowed.get(code, code) if lang == "zh" else code


def amenities_text(codes: list[str], lang: Lang) -> str | None:
    if not codes:
        return None
    return "、".join(vocab.AMENITIES.get(c, c) for c in codes) if lang == "zh" else ",".join(codes)


def details_text(details: Mapping[str, Any]) -> str | None:
    return orjson.dumps(details).decode() if details else None


def _sample_text(is_sample: bool, lang: Lang) -> str:
    if lang == "zh":
        return "是" if is_sample else "否"
    return "true" if is_sample else "false"


_Getter = Callable[[ExportRow, Lang], TableValue]
_TABLE: Final[dict[str, _Getter]] = {
    "id": lambda row, _lang: row.id,
    "kind": lambda row, lang: _label(vocab.KINDS, row.record.kind, lang),
    "status": lambda row, lang: _label(vocab.STATUSES, row.record.status, lang),
    "district_code": lambda row, _lang: row.record.district_adcode,
    "district": lambda row, _lang: row.district_name,
    "amenities": lambda row, lang: amenities_text(row.record.amenities, lang),
    "access_method": lambda row, lang: _label(vocab.ACCESS_METHODS, row.record.access_method, lang),
    "host_type": lambda row, lang: _label(vocab.HOST_TYPES, row.record.host_type, lang),
    "details": lambda row, _lang: details_text(row.record.details),
    "is_sample": lambda row, lang: _sample_text(row.record.is_sample, lang),
    "sample_label": lambda row, _lang: vocab.SAMPLE_LABEL if row.record.is_sample else None,
}


def table_headers(lang: Lang) -> list[str]:
    return [column.zh if lang == "zh" else column.en for column in COLUMNS]


def table_values(row: ExportRow, lang: Lang) -> list[TableValue]:
    """The row's cells in COLUMNS order (dates as dates, numbers as numbers, everything else text)."""
    out: list[TableValue] = []
    for column in COLUMNS:
        getter = _TABLE.get(column.field)
        out.append(getter(row, lang) if getter else getattr(row.record, column.field))
    return out


def layer_properties(row: ExportRow) -> dict[str, Any]:
    """Properties of a layer feature (English names, codes; amenities a list, details an object)."""
    record = row.record
    props: dict[str, Any] = {"id": row.id} if row.id is not None else {}
    props |= record.model_dump(exclude={"lon", "lat", "district_adcode"})
    props["district_code"] = record.district_adcode
    props["district"] = row.district_name
    if record.is_sample:
        props["sample_label"] = vocab.SAMPLE_LABEL
    return props
