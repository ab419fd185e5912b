"""Which column of a file is which field: the canonical columns, their Chinese and English headers and
aliases, and `map_columns`.

Headers are compared after NFKC (full-width → ASCII), case folding, dropping bracketed notes
(`经度（GCJ-02）`, `面积(平方米)`) and `*` required marks, and removing spaces, `_`, `-` and `/`. An
explicit mapping {header: field} wins over the aliases. Unknown headers are only reported: nothing here
or later uses them, so a header such as `geom'); DROP TABLE facility;--` is just an unknown column.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from geo_service.errors import InvalidFile, InvalidParameter


@dataclass(frozen=True)
class Column:
    field: str
    zh: str  # header written by Chinese exports and the template
    en: str  # header written by English exports
    aliases: tuple[str, ...] = ()


#: Every column, in the order exports write them.
COLUMNS: Final = (
    Column("id", "系统编号", "id", ("facility_id",)),
    Column("code", "编码", "code", ("站点编码", "驿站编码", "编号", "站点编号", "驿站编号", "station_code")),
    Column("name", "名称", "name", ("站点名称", "驿站名称", "设施名称")),
    Column("kind", "类型", "kind", ("设施类型", "类别", "type")),
    Column("status", "状态", "status", ("运行状态", "开放状态")),
    Column(
        "district_code",
        "区县代码",
        "district_code",
        ("行政区划代码", "区划代码", "区县编码", "adcode", "district_adcode"),
    ),
    Column("district", "区县", "district", ("所属区县", "县区", "区县名称", "县市区", "district_name", "county")),
    Column("township", "乡镇/街道", "township", ("乡镇", "街道", "所属乡镇", "town")),
    Column("address", "地址", "address", ("详细地址",)),
    Column("lon", "经度", "lon", ("lng", "long", "longitude", "x", "东经")),
    Column("lat", "纬度", "lat", ("latitude", "y", "北纬")),
    Column("amenities", "服务设施", "amenities", ("设施", "服务项目", "配套设施", "服务功能")),
    Column("opening_hours", "开放时间", "opening_hours", ("营业时间", "服务时间", "hours")),
    Column("access_method", "进入方式", "access_method", ("access",)),
    Column("host_org", "主办单位", "host_org", ("依托单位", "承建单位", "主办方")),
    Column("host_type", "主办类型", "host_type", ("依托类型", "单位类型")),
    Column("phone", "联系电话", "phone", ("电话", "联系方式", "tel", "telephone")),
    Column("last_verified_at", "最后核实", "last_verified_at", ("最后核实日期", "核实日期", "verified_at")),
    Column("area_m2", "面积（平方米）", "area_m2", ("area", "使用面积")),
    Column("truck_parking_spaces", "货车车位", "truck_parking_spaces", ("货车停车位", "truck_spaces")),
    Column("details", "详情（JSON）", "details", ("扩展信息",)),
    Column("source", "来源", "source", ("数据来源",)),
    Column("is_sample", "示例数据", "is_sample", ("是否示例", "sample")),
    Column("sample_label", "标注", "sample_label"),
)
#: Known columns that carry no facility data (exports write them for people): read, never used.
IGNORED: Final = frozenset({"id", "sample_label", "kind_label", "row_number"})
_IGNORED_ALIASES: Final = {"kind_label": ("类型名称",), "row_number": ("序号",)}
FIELDS: Final = frozenset(column.field for column in COLUMNS) - IGNORED
BY_FIELD: Final = {column.field: column for column in COLUMNS}

_BRACKETED = re.compile(r"[(\[【（].*?[)\]】）]")
_SEPARATORS = re.compile(r"[\s_\-/*、]+")


def normalise_header(header: str) -> str:
    text = unicodedata.normalize("NFKC", header).casefold()
    return _SEPARATORS.sub("", _BRACKETED.sub("", text))


def _alias_table() -> dict[str, str]:
    table: dict[str, str] = {}
    names = [(c.field, (c.zh, c.en, c.field, *c.aliases)) for c in COLUMNS] + list(_IGNORED_ALIASES.items())
    for field, aliases in names:
        for alias in aliases:
            key = normalise_header(alias)
            if table.setdefault(key, field) != field:
                raise AssertionError(f"header alias {alias!r} names both {table[key]} and {field}")
    return table


ALIASES: Final = _alias_table()


@dataclass(frozen=True)
class ColumnMap:
    """fields: canonical field → the file's header; unknown: headers matching no field (reported, never
    read); ignored: known informational headers (id, labels) and headers mapped to ""."""

    fields: Mapping[str, str]
    unknown: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()

    def header(self, field: str) -> str | None:
        return self.fields.get(field)


def map_columns(
    headers: Sequence[str],
    mapping: Mapping[str, str] | None = None,
    *,
    has_geometry: bool = False,
    district_inferable: bool = False,
) -> ColumnMap:
    """Assign headers to fields; InvalidFile naming the required columns that are missing.

    `has_geometry`: the file has point geometry (lon/lat columns not needed). `district_inferable`: the
    caller will find the district from the point (see rows.parse_rows `district_at`)."""
    explicit = _explicit(headers, mapping or {})
    assigned: dict[str, list[str]] = {}
    unknown, ignored = [], []
    for header in headers:
        field = explicit.get(header, ALIASES.get(normalise_header(header)))
        if field in explicit.values() and header not in explicit:
            field = ""  # an explicit mapping to this field replaces the alias match
        if field is None:
            unknown.append(header)
        elif field == "" or field in IGNORED:
            ignored.append(header)
        else:
            assigned.setdefault(field, []).append(header)
    _refuse_duplicates(assigned)
    fields = {field: found[0] for field, found in assigned.items()}
    _require(fields, has_geometry, district_inferable)
    return ColumnMap(fields=fields, unknown=tuple(unknown), ignored=tuple(ignored))


def _explicit(headers: Sequence[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """header → field from the caller's mapping; keys match headers exactly or after normalisation."""
    by_normal = {normalise_header(h): h for h in headers}
    out: dict[str, str] = {}
    for key, field in mapping.items():
        if field != "" and field not in FIELDS | IGNORED:
            raise InvalidParameter(
                "mapping", f"未知字段 {field!r} / unknown field {field!r}; expected one of {sorted(FIELDS)}", "body"
            )
        header = key if key in headers else by_normal.get(normalise_header(key))
        if header is None:
            raise InvalidParameter("mapping", f"文件中没有列 {key!r} / the file has no column {key!r}", "body")
        out[header] = field
    return out


def _refuse_duplicates(assigned: Mapping[str, list[str]]) -> None:
    clashes = {field: found for field, found in assigned.items() if len(found) > 1}
    if clashes:
        zh = "；".join(f"{BY_FIELD[f].zh}：{'、'.join(h)}" for f, h in clashes.items())
        en = "; ".join(f"{f}: {', '.join(h)}" for f, h in clashes.items())
        raise InvalidFile(f"多列对应同一字段（{zh}），请删除或在映射中指定", f"several columns for one field ({en})")


def _require(fields: Mapping[str, str], has_geometry: bool, district_inferable: bool) -> None:
    needed = ["code", "name", "kind"] + ([] if has_geometry else ["lon", "lat"])
    missing = [f for f in needed if f not in fields]
    if not district_inferable and "district" not in fields and "district_code" not in fields:
        missing.append("district")
    if missing:
        zh = "、".join(f"{BY_FIELD[f].zh}（{f}）" for f in missing)
        raise InvalidFile(f"缺少必填列：{zh}", f"required columns are missing: {', '.join(missing)}")
