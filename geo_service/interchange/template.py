"""The import template (data/templates/facilities_template.{csv,xlsx}), built here so the committed files
can be regenerated and checked byte for byte (scripts/build_templates.py).

The template is a Chinese export without the columns only exports fill (系统编号, 区县代码, 标注), holding
example rows that are flagged 示例数据 so a forgotten example can never pass as a real station. The XLSX
adds dropdowns for the controlled columns and a 说明 (Instructions) sheet: every column, whether it is
required, what it accepts, and which coordinate system to choose.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Final

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from geo_service import vocab
from geo_service.interchange.columns import COLUMNS, Column
from geo_service.interchange.export_rows import ExportRow, TableValue, table_values
from geo_service.interchange.write_tables import csv_text, write_sheet
from geo_service.records import FacilityRecord

#: Fixed timestamp inside the XLSX, so building it twice gives the same bytes.
BUILT_AT: Final = datetime(2026, 1, 1)
EXCLUDED: Final = frozenset({"id", "district_code", "sample_label"})
TEMPLATE_COLUMNS: Final = tuple(c for c in COLUMNS if c.field not in EXCLUDED)
REQUIRED: Final = frozenset({"code", "name", "kind", "district", "lon", "lat"})
DROPDOWN_ROWS: Final = 2000
_MODIFIED = re.compile(rb"(<(?:\w+:)?modified[^>]*>)[^<]*(</(?:\w+:)?modified>)")  # any prefix: dcterms or dct
DATA_SHEET: Final = "设施"
HELP_SHEET: Final = "说明"

_EXAMPLES: Final = (
    FacilityRecord(
        code="BZ-371602-S9001",
        kind="station",
        name="黄河五路户外劳动者驿站（示例，请删除本行）",
        address="山东省滨州市滨城区市中街道黄河五路 100 号",
        district_adcode="371602",
        township="市中街道",
        lon=117.977,
        lat=37.384,
        amenities=["hot_water", "phone_charging", "toilet", "seating"],
        opening_hours="Mo-Su 08:00-20:00",
        access_method="open",
        host_org="滨州市总工会",
        host_type="union_built",
        phone="0543-0000000",
        last_verified_at=date(2026, 1, 1),
        area_m2=40,
        source="区县工会台账",
        is_sample=True,
    ),
    FacilityRecord(
        code="BZ-371625-S9002",
        kind="station",
        name="博兴县加油站驿站（示例，请删除本行）",
        address="山东省滨州市博兴县博昌街道",
        district_adcode="371625",
        opening_hours="24/7",
        amenities=["hot_water", "ebike_charging", "truck_parking"],
        truck_parking_spaces=6,
        access_method="open",
        host_type="petrol",
        lon=118.125,
        lat=37.150,
        details={"note": "详情为 JSON 对象，可留空"},
        is_sample=True,
    ),
)
_DISTRICT_NAMES: Final = {"371602": "滨城区", "371625": "博兴县"}
_VOCABULARIES: Final[dict[str, Mapping[str, str]]] = {
    "kind": vocab.KINDS,
    "status": vocab.STATUSES,
    "access_method": vocab.ACCESS_METHODS,
    "host_type": vocab.HOST_TYPES,
    "amenities": vocab.AMENITIES,
}
_DESCRIPTIONS: Final[dict[str, tuple[str, str]]] = {
    "code": (
        "站点唯一编码（二维码编号）；导入按编码新增或更新",
        "unique station code (the QR key); imports create or update by it",
    ),
    "name": ("设施名称", "facility name"),
    "kind": ("设施类型", "kind of facility"),
    "status": ("运行状态，留空为“开放”", "status; empty means open"),
    "district": ("区县名称或 6 位行政区划代码", "district name or 6-digit adcode"),
    "township": ("乡镇或街道", "township or subdistrict"),
    "address": ("详细地址", "street address"),
    "lon": (
        "经度，十进制度（如 117.977）；坐标系在导入时选择",
        "longitude, decimal degrees; choose the CRS when importing",
    ),
    "lat": ("纬度，十进制度（如 37.384）", "latitude, decimal degrees"),
    "amenities": ("用“、”或逗号分隔，填名称或代码", "separated by 、 or commas; labels or codes"),
    "opening_hours": (
        "OpenStreetMap 格式：Mo-Fr 08:30-17:30；Mo-Su 08:00-20:00；24/7；两段用逗号：Mo-Fr 08:30-12:00,14:30-18:00；"
        "节假日关闭加 “; PH off”",
        "OpenStreetMap syntax, e.g. Mo-Fr 08:30-17:30, 24/7, Mo-Fr 08:30-12:00,14:30-18:00; PH off",
    ),
    "access_method": ("如何进入", "how a worker gets in"),
    "host_org": ("主办或依托单位名称", "hosting organisation"),
    "host_type": ("主办单位类型", "type of host"),
    "phone": ("联系电话", "phone"),
    "last_verified_at": ("最后一次实地核实日期，YYYY-MM-DD", "date last checked on site, YYYY-MM-DD"),
    "area_m2": ("面积，平方米", "floor area, m²"),
    "truck_parking_spaces": (
        "货车车位数，整数；大于 0 时服务设施须含“货车停车”",
        "truck spaces; > 0 needs the truck_parking amenity",
    ),
    "details": (
        '按类型的补充信息，JSON 对象，如 {"beds": 20}',
        'kind-specific details as a JSON object, e.g. {"beds": 20}',
    ),
    "source": ("数据来源", "where the row comes from"),
    "is_sample": (
        "是否示例数据：是/否，真实数据填“否”或留空",
        "synthetic example row? 是/否 (true/false); real rows: 否 or empty",
    ),
}
CRS_ADVICE: Final = (
    "坐标系（导入时选择 crs） / Coordinate system (choose crs when importing):",
    "从高德地图、腾讯地图或微信位置复制的坐标是 GCJ-02，选 gcj02 / coordinates from Amap, Tencent or WeChat are GCJ-02",
    "从百度地图复制的坐标是 BD-09，选 bd09 / coordinates copied from Baidu Maps are BD-09",
    "GPS 设备、天地图、OpenStreetMap 的坐标是 WGS-84，选 wgs84 / GPS, Tianditu and OpenStreetMap are WGS-84",
    "投影坐标（如 CGCS2000 高斯-克吕格）填 EPSG 代码，如 EPSG:4549 / projected coordinates: give the EPSG code",
    "在滨州 GCJ-02 与 WGS-84 相差约 500 米：选错会把驿站放到另一条街 / in Binzhou the two differ by ~500 m",
    "第 1 行为表头，请勿改动列名；示例行（示例数据=是）请删除 / row 1 is the header; delete the example rows",
    "不接受公式单元格，请“选择性粘贴 → 数值” / formula cells are refused: paste values",
)


def template_headers() -> list[str]:
    return [column.zh for column in TEMPLATE_COLUMNS]


def example_rows() -> list[list[TableValue]]:
    """The example rows' cells (Chinese labels), in TEMPLATE_COLUMNS order."""
    keep = [index for index, column in enumerate(COLUMNS) if column.field not in EXCLUDED]
    rows = []
    for record in _EXAMPLES:
        cells = table_values(ExportRow(record, district_name=_DISTRICT_NAMES[record.district_adcode]), "zh")
        rows.append([cells[index] for index in keep])
    return rows


def _allowed(column: Column) -> str:
    allowed = _VOCABULARIES.get(column.field)
    if allowed is None:
        return ""
    return "；".join(f"{label}（{code}）" for code, label in allowed.items())


def instruction_rows() -> list[list[TableValue]]:
    rows: list[list[TableValue]] = []
    for column in TEMPLATE_COLUMNS:
        zh, en = _DESCRIPTIONS[column.field]
        required = "必填 / required" if column.field in REQUIRED else "选填 / optional"
        rows.append([column.zh, column.en, required, f"{zh} / {en}", _allowed(column)])
    advice: list[list[TableValue]] = [["", "", "", line, ""] for line in CRS_ADVICE]
    return [*rows, [], *advice]


def build_csv() -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(template_headers())
    for row in example_rows():
        writer.writerow([csv_text(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def _dropdowns(sheet: Any) -> None:
    """List validations (Chinese labels) on the controlled single-value columns of the data sheet."""
    for index, column in enumerate(TEMPLATE_COLUMNS, start=1):
        allowed = _VOCABULARIES.get(column.field)
        if allowed is None or column.field == "amenities":
            continue
        letter = get_column_letter(index)
        rule = DataValidation(type="list", formula1='"' + ",".join(allowed.values()) + '"', allow_blank=True)
        rule.add(f"{letter}2:{letter}{DROPDOWN_ROWS}")
        sheet.data_validations.append(rule)


def build_xlsx() -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    workbook.properties.created = BUILT_AT
    workbook.properties.creator = "geo_service"
    data = workbook.create_sheet(DATA_SHEET)
    _dropdowns(data)
    write_sheet(data, template_headers(), example_rows())
    write_sheet(workbook.create_sheet(HELP_SHEET), ["列名", "英文列名", "必填", "说明", "可选值"], instruction_rows())
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _fixed_timestamps(buffer.getvalue())


def _one_spelling(core: bytes) -> bytes:
    """openpyxl spells the Dublin Core terms prefix `dcterms` with its own writer and `dct` through lxml
    (also inside an attribute value, which canonical XML keeps): write it one way whichever is loaded."""
    for old, new in ((b"xmlns:dct=", b"xmlns:dcterms="), (b"<dct:", b"<dcterms:"), (b"</dct:", b"</dcterms:")):
        core = core.replace(old, new)
    return core.replace(b'"dct:W3CDTF"', b'"dcterms:W3CDTF"')


def _fixed_timestamps(xlsx: bytes) -> bytes:
    """The same workbook with BUILT_AT as its modified time and as every member's zip timestamp."""
    stamp = BUILT_AT.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            payload = source.read(info)
            if info.filename == "docProps/core.xml":
                payload = _MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", _one_spelling(payload))
            member = zipfile.ZipInfo(info.filename, date_time=BUILT_AT.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(member, payload)
    return out.getvalue()
