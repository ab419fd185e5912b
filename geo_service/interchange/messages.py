"""Every reason an import gives, in Chinese and English, in one place so the wording stays consistent.

Each function returns a `Reason` (zh, en); `issue` attaches it to a row and a field. Pydantic's own
messages (from FacilityInput) are translated by error type in `validation_reasons`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from pydantic import ValidationError

from geo_service.interchange.tables import RowIssue


class Reason(NamedTuple):
    zh: str
    en: str


def issue(row: int, field: str, value: object, reason: Reason, column: str | None = None) -> RowIssue:
    text = "" if value is None else str(value)
    return RowIssue(row=row, field=field, value=text, reason_zh=reason.zh, reason_en=reason.en, column=column)


def extra_cells_issue(row: int, cells: int, headers: int) -> RowIssue:
    reason = Reason(
        f"本行有 {cells} 个单元格，多于表头的 {headers} 列（地址中的逗号是否未加引号？）",
        f"this row has {cells} cells but the header has {headers} columns (an unquoted comma?)",
    )
    return issue(row, "row", "", reason)


FORMULA = Reason("公式单元格不被接受，请粘贴为数值", "formula cells are not accepted; paste the values instead")
ERROR_CELL = Reason("单元格是错误值", "the cell holds a spreadsheet error value")
REQUIRED = Reason("必填", "required")
NOT_A_NUMBER = Reason("不是数字", "not a number")
NOT_FINITE = Reason("必须是有限的数字", "must be a finite number")
NOT_INTEGER = Reason("必须是整数", "must be a whole number")
BAD_DATE = Reason("日期格式应为 YYYY-MM-DD", "dates must be YYYY-MM-DD")
BAD_BOOLEAN = Reason("应为 是/否（true/false）", "must be 是/否 (true/false)")
BAD_JSON = Reason("不是有效的 JSON", "not valid JSON")
JSON_NOT_OBJECT = Reason("必须是 JSON 对象 {…}", "must be a JSON object {…}")
NO_POINT = Reason("缺少点位（几何为空）", "no point geometry")
NOT_POINT = Reason("几何必须是点（Point）", "the geometry must be a Point")
NO_DISTRICT_AT_POINT = Reason("点位不在任何区县内，请填写区县", "the point lies in no district; fill in the district")
TRANSFORM_FAILED = Reason("坐标无法转换为 WGS-84", "the coordinates cannot be converted to WGS-84")
STAFFED_24_7 = Reason(
    "24 小时开放但进入方式为“有人值守”，请核实夜间是否有人",
    "open 24/7 with a staffed access method; check someone is there at night",
)
GUESSED_DBF_ENCODING = Reason(
    "Shapefile 没有 .cpg 文件，属性表按 {encoding} 读取，请核对中文是否正确",
    "the Shapefile has no .cpg; its attributes were read as {encoding}, check the Chinese text",
)


def unknown_code(label_zh: str, label_en: str, allowed: Mapping[str, str]) -> Reason:
    choices_zh = "、".join(allowed.values())
    return Reason(f"未知的{label_zh}；可选：{choices_zh}", f"unknown {label_en}; expected one of {', '.join(allowed)}")


def unknown_amenities(tokens: list[str]) -> Reason:
    listed = "、".join(tokens)
    return Reason(f"未知的服务设施：{listed}", f"unknown amenity: {', '.join(tokens)}")


def repeated_amenities(tokens: list[str]) -> Reason:
    return Reason(f"服务设施重复：{'、'.join(tokens)}", f"amenity listed twice: {', '.join(tokens)}")


def unknown_district(value: str) -> Reason:
    return Reason(
        f"未知的区县：{value}（填写区县名称或 6 位代码）",
        f"unknown district {value!r} (give a name or a 6-digit adcode)",
    )


def district_conflict(first: str, second: str) -> Reason:
    return Reason(
        f"区县代码与区县名称不一致：{first} ≠ {second}", f"district code and name disagree: {first} ≠ {second}"
    )


def duplicate_code(first_row: int) -> Reason:
    return Reason(f"编码与第 {first_row} 行重复", f"the code repeats row {first_row}")


def out_of_range(axis: str, low: float, high: float, swapped: bool) -> Reason:
    zh_axis, en_axis = ("经度", "longitude") if axis == "lon" else ("纬度", "latitude")
    hint_zh, hint_en = ("；经纬度可能填反了", "; longitude and latitude look swapped") if swapped else ("", "")
    return Reason(f"{zh_axis}超出范围 [{low:g}, {high:g}]{hint_zh}", f"{en_axis} outside [{low:g}, {high:g}]{hint_en}")


SWAPPED = Reason(
    "经纬度可能填反了：交换后才落在中国境内", "longitude and latitude look swapped: only swapped do they fall in China"
)

_PYDANTIC: dict[str, Reason] = {
    "string_too_short": REQUIRED,
    "missing": REQUIRED,
    "string_too_long": Reason("最多 {max_length} 个字符", "at most {max_length} characters"),
    "greater_than_equal": Reason("不能小于 {ge}", "must be at least {ge}"),
    "less_than_equal": Reason("不能大于 {le}", "must be at most {le}"),
    "string_pattern_mismatch": Reason("格式不正确", "has the wrong format"),
    "control_character": Reason("含有控制字符", "contains a control character"),
    "opening_hours_syntax": Reason(
        "开放时间格式无法识别（使用 OpenStreetMap 格式，如 Mo-Fr 08:00-18:00 或 24/7）",
        "opening hours are not valid OpenStreetMap syntax (e.g. Mo-Fr 08:00-18:00 or 24/7)",
    ),
    "finite_number": NOT_FINITE,
}
_MODEL_MESSAGES: dict[str, tuple[str, Reason]] = {
    "truck_parking_spaces > 0 requires": (
        "truck_parking_spaces",
        Reason("货车车位大于 0 时，服务设施须包含“货车停车”", "truck parking spaces need the truck_parking amenity"),
    ),
}


class _Context(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def _translate(error: Mapping[str, Any]) -> tuple[str | None, Reason]:
    """(field or None, reason) of one pydantic error; unknown kinds keep pydantic's English."""
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    for prefix, (field, reason) in _MODEL_MESSAGES.items():
        if message.startswith(prefix):
            return field, reason
    template = _PYDANTIC.get(str(error.get("type")))
    if template is None:
        return None, Reason(f"取值无效：{message}", message)
    context = _Context(error.get("ctx") or {})
    return None, Reason(template.zh.format_map(context), template.en.format_map(context))


def validation_reasons(exc: ValidationError) -> list[tuple[str, Reason]]:
    """(field, reason) per problem of a FacilityInput validation."""
    out = []
    for error in exc.errors():
        field, reason = _translate(error)
        loc = error.get("loc") or ()
        out.append((field or (str(loc[0]) if loc else "row"), reason))
    return out


# Reasons found against the database (geo_service.services.import_checks): districts, rights, duplicates.


def outside_area(stated: str, distance_m: float) -> Reason:
    return Reason(
        f"点位不在服务范围内：不在任何区县内，距所填的{stated} {distance_m:,.0f} 米；请核对坐标和坐标系",
        f"the point is outside the area: in no district, {distance_m:,.0f} m from the stated {stated}; "
        "check the coordinates and the crs",
    )


def district_mismatch(stated: str, actual: str, distance_m: float) -> Reason:
    return Reason(
        f"点位位于{actual}，不在所填的{stated}内（相距 {distance_m:,.0f} 米）；请核对区县或坐标",
        f"the point lies in {actual}, not in the stated {stated} ({distance_m:,.0f} m away); "
        "check the district or the coordinates",
    )


def near_border(stated: str, distance_m: float, actual: str | None) -> Reason:
    where_zh, where_en = (f"，位于{actual}", f", inside {actual}") if actual else ("", "")
    return Reason(
        f"点位在所填区县（{stated}）边界外 {distance_m:,.0f} 米{where_zh}；已按{stated}导入，请核对",
        f"the point is {distance_m:,.0f} m outside its stated district {stated}{where_en}; "
        f"imported as {stated}, please check",
    )


def not_your_district(stated: str, yours: str) -> Reason:
    return Reason(
        f"无权导入{stated}的设施（你可编辑：{yours or '无'}）",
        f"you may not write facilities of {stated} (yours: {yours or 'none'})",
    )


def code_of_other_district(facility_id: int, district: str) -> Reason:
    return Reason(
        f"该编码已属于{district}的设施（系统编号 {facility_id}），你无权修改",
        f"the code belongs to a facility of {district} (id {facility_id}), which you may not write",
    )


def code_of_deleted(facility_id: int) -> Reason:
    return Reason(
        f"该编码属于已删除的设施（系统编号 {facility_id}）；请管理员先恢复它，或换一个编码",
        f"the code belongs to a deleted facility (id {facility_id}); an admin can restore it, or use another code",
    )


def likely_duplicate(code: str, name: str, distance_m: float) -> Reason:
    return Reason(
        f"可能与已有设施重复：{code}「{name}」，相距 {distance_m:,.0f} 米，名称相近",
        f"likely duplicate of {code} ({name}), {distance_m:,.0f} m away with a similar name",
    )


def looks_like_vendor(crs: str, how_zh: str, how_en: str) -> Reason:
    label_zh = {"gcj02": "GCJ-02（高德、腾讯、微信）", "bd09": "BD-09（百度）"}.get(crs, crs)
    label_en = {"gcj02": "GCJ-02 (Amap, Tencent, WeChat)", "bd09": "BD-09 (Baidu)"}.get(crs, crs)
    return Reason(
        f"坐标可能是 {label_zh}，却声明为 WGS-84：{how_zh}；如是，请以 crs={crs} 重新导入",
        f"the coordinates look like {label_en} {DECLARED_AS_WGS84}: {how_en}; if so, import again with crs={crs}",
    )


#: In the English reason of every looks_like_vendor / looks_like_wgs84 warning (the report counts them by it).
DECLARED_AS = "declared as"
DECLARED_AS_WGS84 = f"{DECLARED_AS} WGS-84"


def looks_like_wgs84(crs: str, moved_m: float) -> Reason:
    return Reason(
        f"坐标可能是 WGS-84，却声明为 {crs}：原样的坐标恰为已存位置，换算后反而移动了 {moved_m:,.0f} 米；"
        "如是，请以 crs=wgs84 重新导入",
        f"the coordinates look like WGS-84 {DECLARED_AS} {crs}: as given they are exactly the stored position, "
        f"and converted they move it {moved_m:,.0f} m; if so, import again with crs=wgs84",
    )
