"""The import report of a county-style spreadsheet: 20 good rows and 10 bad ones, as XLSX and as a
GBK-encoded CSV of the same content, must give exactly the report written out below by hand.

The good rows are the first 20 synthetic sample facilities, typed the way an editor types them
(Chinese labels, `、` or `,` between amenities, district names); each must come back as that sample
record. "Outside the area" and "district does not match the point" need the boundaries in the
database and are checked on the database side.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from geo_service import data_files, vocab
from geo_service.interchange import UploadLimits, map_columns, parse_rows, read_upload
from geo_service.interchange.rows import ParsedRows
from geo_service.interchange.tables import RowIssue
from geo_service.records import FacilityRecord
from geo_service.settings import Settings

DATA = Path(__file__).resolve().parents[1] / "data"
HEADERS = [
    "编码", "名称", "类型", "地址", "经度", "纬度", "区县", "乡镇/街道", "开放时间", "服务设施",
    "进入方式", "主办单位", "主办类型", "联系电话", "状态", "最后核实", "面积（平方米）", "货车车位", "来源",
]  # fmt: skip
LIMITS = UploadLimits.from_settings(Settings())


@pytest.fixture(scope="module")
def sample() -> list[FacilityRecord]:
    return data_files.read_sample_facilities(DATA)


@pytest.fixture(scope="module")
def districts() -> dict[str, str]:
    return {d.name: d.adcode for d in data_files.read_districts(DATA) if d.level == "district"}


def typed(record: FacilityRecord, names: dict[str, str], separator: str = "、") -> dict[str, Any]:
    """A record as an editor types it: labels, not codes (amenities as codes on odd rows)."""
    amenities = record.amenities if separator == "," else [vocab.AMENITIES[a] for a in record.amenities]
    return {
        "编码": record.code,
        "名称": record.name,
        "类型": vocab.KINDS[record.kind],
        "地址": record.address,
        "经度": record.lon,
        "纬度": record.lat,
        "区县": names[record.district_adcode],
        "乡镇/街道": record.township,
        "开放时间": record.opening_hours,
        "服务设施": separator.join(amenities),
        "进入方式": vocab.ACCESS_METHODS[record.access_method] if record.access_method else None,
        "主办单位": record.host_org,
        "主办类型": vocab.HOST_TYPES[record.host_type] if record.host_type else None,
        "联系电话": record.phone,
        "状态": vocab.STATUSES[record.status],
        "最后核实": record.last_verified_at,
        "面积（平方米）": record.area_m2,
        "货车车位": record.truck_parking_spaces,
        "来源": record.source,
    }


def fixture_rows(sample: list[FacilityRecord], names: dict[str, str]) -> list[dict[str, Any]]:
    good = [typed(r, names, "," if i % 2 else "、") for i, r in enumerate(sample[:20])]
    spare = [typed(r, names) for r in sample[20:30]]
    spare[0]["经度"], spare[0]["纬度"] = spare[0]["纬度"], spare[0]["经度"]  # swapped
    spare[1]["纬度"] = "北纬37.4度"
    spare[2]["服务设施"] = "热水、游泳池"
    spare[3]["开放时间"] = "周一至周五 9点-17点"
    spare[4]["编码"] = good[1]["编码"]  # duplicate of row 3
    spare[5]["名称"] = '=B2&"驿站"'  # a formula
    spare[6]["名称"] = None
    spare[7]["区县"] = "滨海区"
    spare[8]["类型"] = "爱心驿站"
    spare[9]["最后核实"], spare[9]["进入方式"] = "2026-13-01", "刷指纹"
    order = "gg b gg b g b gg b g b gg b g b gg b g b gg b gggg".replace(" ", "")
    out, goods, bads = [], iter(good), iter(spare)
    for kind in order:
        out.append(next(goods) if kind == "g" else next(bads))
    return out


def as_xlsx(rows: list[dict[str, Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([row[h] for h in HEADERS])  # '=…' becomes a formula cell (data_type 'f')
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def as_csv(rows: list[dict[str, Any]], encoding: str) -> bytes:
    def text(value: Any) -> str:
        if value is None:
            return ""
        return repr(value) if isinstance(value, float) else str(value)

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow([text(row[h]) for h in HEADERS])
    return buffer.getvalue().encode(encoding)


def report(name: str, data: bytes, districts: dict[str, str]) -> tuple[ParsedRows, str | None]:
    table = read_upload(name, data, LIMITS)
    return parse_rows(table, map_columns(table.headers), "wgs84", districts), table.encoding


HOURS_ZH = "开放时间格式无法识别（使用 OpenStreetMap 格式，如 Mo-Fr 08:00-18:00 或 24/7）"
HOURS_EN = "opening hours are not valid OpenStreetMap syntax (e.g. Mo-Fr 08:00-18:00 or 24/7)"
ACCESS_ZH = "未知的进入方式；可选：直接进入、有人值守、刷脸进入、刷工会卡/身份证、扫码进入"
ACCESS_EN = "unknown access method; expected one of open, staffed, face, id_card, app_qr"


def expected_rejections(sample: list[FacilityRecord]) -> list[RowIssue]:
    swapped_lon = repr(sample[20].lon)
    return [
        RowIssue(4, "lat", swapped_lon, "纬度超出范围 [-90, 90]；经纬度可能填反了",
                 "latitude outside [-90, 90]; longitude and latitude look swapped", "纬度"),
        RowIssue(7, "lat", "北纬37.4度", "不是数字", "not a number", "纬度"),
        RowIssue(9, "amenities", "热水、游泳池", "未知的服务设施：游泳池", "unknown amenity: 游泳池", "服务设施"),
        RowIssue(12, "opening_hours", "周一至周五 9点-17点", HOURS_ZH, HOURS_EN, "开放时间"),
        RowIssue(14, "code", sample[1].code, "编码与第 3 行重复", "the code repeats row 3", "编码"),
        RowIssue(17, "name", '=B2&"驿站"', "公式单元格不被接受，请粘贴为数值",
                 "formula cells are not accepted; paste the values instead", "名称"),
        RowIssue(19, "name", "", "必填", "required", "名称"),
        RowIssue(22, "district", "滨海区", "未知的区县：滨海区（填写区县名称或 6 位代码）",
                 "unknown district '滨海区' (give a name or a 6-digit adcode)", "区县"),
        RowIssue(24, "kind", "爱心驿站", "未知的类型；可选：工会驿站、职工疗休养基地、矛盾纠纷调解中心",
                 "unknown kind; expected one of station, rest_base, mediation_centre", "类型"),
        RowIssue(27, "access_method", "刷指纹", ACCESS_ZH, ACCESS_EN, "进入方式"),
        RowIssue(27, "last_verified_at", "2026-13-01", "日期格式应为 YYYY-MM-DD", "dates must be YYYY-MM-DD",
                 "最后核实"),
    ]  # fmt: skip


STAFFED_ZH = "24 小时开放但进入方式为“有人值守”，请核实夜间是否有人"
STAFFED_EN = "open 24/7 with a staffed access method; check someone is there at night"
#: Sample rows 10 and 20 (S0006, S0016) are 24/7 and staffed; they sit on spreadsheet rows 16 and 31.
EXPECTED_WARNINGS = [
    RowIssue(16, "access_method", "有人值守", STAFFED_ZH, STAFFED_EN, "进入方式"),
    RowIssue(31, "access_method", "有人值守", STAFFED_ZH, STAFFED_EN, "进入方式"),
]
BAD_ROWS = [4, 7, 9, 12, 14, 17, 19, 22, 24, 27]


@pytest.fixture(scope="module")
def rows(sample: list[FacilityRecord], districts: dict[str, str]) -> list[dict[str, Any]]:
    names = {adcode: name for name, adcode in districts.items()}
    return fixture_rows(sample, names)


def test_xlsx_gives_the_expected_report(
    rows: list[dict[str, Any]], sample: list[FacilityRecord], districts: dict[str, str]
) -> None:
    parsed, encoding = report("台账.xlsx", as_xlsx(rows), districts)
    assert encoding is None
    assert list(parsed.rejections) == expected_rejections(sample)
    assert list(parsed.warnings) == EXPECTED_WARNINGS
    assert [r.number for r in parsed.rows if r.record is None] == BAD_ROWS
    assert len(parsed.rows) == 30 and len(parsed.accepted) == 20


def test_good_rows_come_back_as_the_sample_records(
    rows: list[dict[str, Any]], sample: list[FacilityRecord], districts: dict[str, str]
) -> None:
    parsed, _ = report("台账.xlsx", as_xlsx(rows), districts)
    not_typed = {"details", "is_sample"}
    got = [row.record.model_dump(exclude=not_typed) for row in parsed.accepted if row.record]
    assert got == [record.model_dump(exclude=not_typed) for record in sample[:20]]
    assert all(row.record and row.record.last_verified_at == date.fromisoformat(str(sample[i].last_verified_at))
               for i, row in enumerate(parsed.accepted))  # fmt: skip


@pytest.mark.parametrize(("encoding", "detected"), [("gbk", "gb18030"), ("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8")])
def test_csv_variant_gives_the_same_report(
    rows: list[dict[str, Any]], sample: list[FacilityRecord], districts: dict[str, str], encoding: str, detected: str
) -> None:
    parsed_xlsx, _ = report("台账.xlsx", as_xlsx(rows), districts)
    parsed_csv, found = report("台账.csv", as_csv(rows, encoding), districts)
    assert found == detected
    assert parsed_csv.rejections == parsed_xlsx.rejections
    assert parsed_csv.warnings == parsed_xlsx.warnings
    assert [r.record for r in parsed_csv.rows] == [r.record for r in parsed_xlsx.rows]


def test_gbk_bytes_really_are_not_utf8(rows: list[dict[str, Any]]) -> None:
    data = as_csv(rows, "gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
