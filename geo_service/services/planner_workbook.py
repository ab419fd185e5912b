"""The planner's workbook: the per-district coverage summary, the suggested sites and a notes sheet, in
Chinese (English with lang=en), as a person opens it in Excel or WPS.

Headers in the chosen language, every number under a number format (no 15-digit floats), widths fitted to
the content (CJK characters count double), a bold frozen header, and a notes sheet stating the method,
the radius and its basis, the population year and how facilities are assigned to districts. Text cells
are neutralised against formula injection (interchange.cells) like every other table we write.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from geo_service.analysis.demand import DEFAULT_METHOD, SEAT_SIGMA_M, URBAN_SHARE
from geo_service.interchange.write_tables import column_widths, xlsx_cell
from geo_service.services.coverage import DEMAND_CELL_M
from geo_service.services.site_places import PLACE_METHOD
from geo_service.services.study_area import DISTANCE_METHOD, DISTRICT_ASSIGNMENT, PRESETS

Lang = Literal["zh", "en"]
AREA, PCT, PEOPLE, COUNT, RATE, METRES, DEGREES, YEAR = (
    "#,##0.00",
    "0.0",
    "#,##0",
    "0",
    "0.00",
    "#,##0",
    "0.000000",
    "0",
)


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    number_format: str | None = None  # None: text


SUMMARY_COLUMNS: Final = (
    Column("adcode", "行政区划代码", "adcode"),
    Column("name", "区县", "district"),
    Column("facilities", "驿站数", "stations", COUNT),
    Column("population", "常住人口", "population", PEOPLE),
    Column("population_year", "人口年份", "population year", YEAR),
    Column("facilities_per_10k", "每万人驿站数", "stations per 10,000 people", RATE),
    Column("area_km2", "面积（平方公里）", "area (km²)", AREA),
    Column("covered_km2", "覆盖面积（平方公里）", "area covered (km²)", AREA),
    Column("covered_area_pct", "面积覆盖率（%）", "area covered (%)", PCT),
    Column("demand", "需求人口", "demand (people)", PEOPLE),
    Column("demand_covered", "已覆盖需求", "demand covered", PEOPLE),
    Column("demand_covered_pct", "需求覆盖率（%）", "demand covered (%)", PCT),
    Column("mean_distance_m", "平均距离（米）", "mean distance (m)", METRES),
    Column("p90_distance_m", "90% 需求距离（米）", "90th percentile distance (m)", METRES),
)
SITE_COLUMNS: Final = (
    Column("rank", "序号", "rank", COUNT),
    Column("district_name", "区县", "district"),
    Column("district_adcode", "行政区划代码", "adcode"),
    Column("township", "乡镇（街道）", "township"),
    Column("nearest_address", "最近已有设施地址", "nearest existing facility: address"),
    Column("nearest_name", "最近已有设施", "nearest existing facility"),
    Column("nearest_distance_m", "距最近设施（米）", "distance to it (m)", METRES),
    Column("nearest_township", "最近设施所在乡镇", "its township"),
    Column("gain_demand", "新增覆盖需求", "demand added", PEOPLE),
    Column("gain_area_km2", "新增覆盖面积（平方公里）", "area added (km²)", AREA),
    Column("cumulative_demand_pct", "累计需求覆盖率（%）", "demand covered so far (%)", PCT),
    Column("cumulative_area_pct", "累计面积覆盖率（%）", "area covered so far (%)", PCT),
    Column("lon", "经度（WGS-84）", "longitude (WGS-84)", DEGREES),
    Column("lat", "纬度（WGS-84）", "latitude (WGS-84)", DEGREES),
    Column("nearest_code", "最近设施编号", "nearest facility code"),
)
SHEETS: Final = {
    "zh": {"summary": "区县汇总", "sites": "建议新址", "notes": "说明"},
    "en": {"summary": "districts", "sites": "suggested sites", "notes": "notes"},
}
NOTE_HEADERS: Final = {"zh": ("项目", "内容"), "en": ("item", "value")}
TOTAL_NAME: Final = {"zh": "合计", "en": "total"}
NO_TOWNSHIP: Final = {"zh": "无乡镇边界数据", "en": "no township boundaries in the data"}
_NOTE_LABELS: Final = {
    "radius_m": ("服务半径（米）", "service radius (m)"),
    "preset": ("预设", "preset"),
    "radius_basis": ("半径依据", "basis of the radius"),
    "distance": ("距离计算", "distance"),
    "demand_method": ("需求模型", "demand model"),
    "population_year": ("人口年份", "population year"),
    "kinds": ("计入的设施类型", "facility kinds counted"),
    "facilities_used": ("计入的设施数", "facilities counted"),
    "district_assignment": ("区县归属", "district of a facility"),
    "count": ("建议新址数", "sites suggested"),
    "solver": ("求解方法", "solver"),
    "coverage_before": ("规划前覆盖率", "coverage before"),
    "coverage_after": ("规划后覆盖率", "coverage after"),
    "candidates": ("候选点", "candidates"),
    "site_places": ("新址位置说明", "where a site is"),
    "solver_seconds": ("求解用时（秒）", "solver time (s)"),
    "optimality_gap_bound": ("最优性差距上界", "optimality gap bound"),
    "sample": ("示例数据", "sample data"),
}
#: labels of the members of a note that is itself a mapping (coverage shares, candidates)
_MEMBER_LABELS: Final = {
    "demand_pct": ("需求", "demand"),
    "area_pct": ("面积", "area"),
    "source": ("来源", "source"),
    "count": ("数量", "count"),
}
#: Chinese of the English sentences the services state (the English is what the API returns)
_ZH_TEXTS: Final = {
    DISTANCE_METHOD: "直线距离，在以各区县为中心的横轴墨卡托投影中量算（米）",
    DISTRICT_ASSIGNMENT: "每个设施计入其登记的区县（地图、接口和表格使用同一归属）",
    DEFAULT_METHOD.format(cell=DEMAND_CELL_M): f"人口加权网格：各区县常住人口（年份见各区县）分布在 "
    f"{DEMAND_CELL_M:g} 米网格上，{URBAN_SHARE:.0%} 按县城驻地周围的高斯分布（σ {SEAT_SIGMA_M / 1000:g} 公里），"
    "其余均匀分布",
    "supplied weighted points": "用户提供的加权需求点",
    "radius given by the user": "用户指定的半径",
    PLACE_METHOD: "区县：新址所在区县；乡镇：数据中无乡镇边界，未判定（另列最近设施所在乡镇）；"
    "地址：最近的已有设施的地址及其测地线距离（新址本身是网格中心，不是门牌地址）",
    PRESETS["walk-15"].basis: "步行 15 分钟（约 4 公里/小时）≈ 1 公里（直线）",
    PRESETS["shandong-urban"].basis: "山东要求城区驿站间距 < 1 公里，即各处 ~500 米内有驿站",
    PRESETS["shandong-dense"].basis: "山东要求密集区域驿站间距 < 0.5 公里，约 250 米服务范围",
    PRESETS["ebike-10"].basis: "电动车骑行 10 分钟（约 18 公里/小时）≈ 3 公里（直线）",
    "greedy": "贪心算法（多起点 + 交换）",
    "exact": "精确求解（CBC）",
    "grid": "未覆盖的 500 米网格中心",
    "supplied": "用户提供",
    "station": "工会驿站",
    "rest_base": "疗休养基地",
    "mediation_centre": "调解中心",
}


def planner_workbook(
    lang: Lang,
    notes: Mapping[str, Any],
    *,
    summary: Sequence[Mapping[str, Any]] = (),
    sites: Sequence[Mapping[str, Any]] = (),
) -> bytes:
    """XLSX bytes: the summary sheet (when given: district rows then the total row), the sites sheet (when
    given), and the notes sheet."""
    workbook = openpyxl.Workbook(write_only=True)
    names = SHEETS[lang]
    if summary:
        rows = [_total_named(row, lang) for row in summary]
        _write_table(workbook.create_sheet(names["summary"]), SUMMARY_COLUMNS, rows, lang)
    if sites:
        rows = [{**row, "township": row.get("township") or NO_TOWNSHIP[lang]} for row in sites]
        _write_table(workbook.create_sheet(names["sites"]), SITE_COLUMNS, rows, lang)
    _write_notes(workbook.create_sheet(names["notes"]), note_rows(notes, lang), lang)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _total_named(row: Mapping[str, Any], lang: Lang) -> Mapping[str, Any]:
    return {**row, "adcode": None, "name": TOTAL_NAME[lang]} if row.get("adcode") == "total" else row


def _write_table(sheet: Any, columns: Sequence[Column], rows: Sequence[Mapping[str, Any]], lang: Lang) -> None:
    headers = [getattr(column, lang) for column in columns]
    values = [[row.get(column.key) for column in columns] for row in rows]
    _header(sheet, headers, values)
    for row in values:
        cells = []
        for column, value in zip(columns, row, strict=True):
            cell = xlsx_cell(sheet, value)
            if column.number_format and isinstance(value, int | float):
                cell.number_format = column.number_format
            cells.append(cell)
        sheet.append(cells)


def _header(sheet: Any, headers: list[str], values: list[list[Any]]) -> None:
    """Bold, wrapped, frozen header and widths fitted to the header and the (rounded) values."""
    shown = [[round(v, 2) if isinstance(v, float) else v for v in row] for row in values[:200]]
    _bold_header(sheet, headers, column_widths(headers, shown))


def _bold_header(sheet: Any, headers: Sequence[str], widths: Sequence[float]) -> None:
    """The column widths, then the header row (bold, wrapped), frozen above the rows that follow."""
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index + 1)].width = width
    cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cells.append(cell)
    sheet.append(cells)


def note_rows(notes: Mapping[str, Any], lang: Lang) -> list[tuple[str, str]]:
    """(label, text) of each note in `lang`: the known ones labelled and worded, others as given."""
    rows = []
    for key, value in notes.items():
        label = _NOTE_LABELS.get(key, (key, key))[0 if lang == "zh" else 1]
        rows.append((label, _note_text(value, lang)))
    return rows


def _note_text(value: Any, lang: Lang) -> str:
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return "、".join(_note_text(v, lang) for v in value) if lang == "zh" else ", ".join(map(str, value))
    if isinstance(value, Mapping):
        index = 0 if lang == "zh" else 1
        parts = [f"{_MEMBER_LABELS.get(k, (k, k))[index]} {_member_text(k, v, lang)}" for k, v in value.items()]
        return "；".join(parts) if lang == "zh" else "; ".join(parts)
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    text = str(value)
    return _ZH_TEXTS.get(text, text) if lang == "zh" else text


def _member_text(key: str, value: Any, lang: Lang) -> str:
    return f"{value:.1f}%" if key.endswith("_pct") and isinstance(value, float) else _note_text(value, lang)


def _write_notes(sheet: Any, rows: list[tuple[str, str]], lang: Lang) -> None:
    _bold_header(sheet, NOTE_HEADERS[lang], (22.0, 90.0))
    for label, text in rows:
        cell = xlsx_cell(sheet, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.append([xlsx_cell(sheet, label), cell])
