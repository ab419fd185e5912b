"""Row parsing without a database: coordinate systems, districts, warnings, and no exception for any cell."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import eviltransform
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer

from geo_service import data_files
from geo_service.errors import InvalidParameter
from geo_service.interchange import UploadLimits, map_columns, parse_rows, read_upload
from geo_service.interchange.columns import COLUMNS
from geo_service.interchange.tables import RawRow, RawTable
from geo_service.settings import Settings

DATA = Path(__file__).resolve().parents[1] / "data"
LIMITS = UploadLimits.from_settings(Settings())
GEOD = Geod(ellps="WGS84")
DISTRICTS = {"滨城区": "371602", "博兴县": "371625"}


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def csv_bytes(
    rows: list[list[object]], headers: tuple[str, ...] = ("编码", "名称", "类型", "区县", "经度", "纬度")
) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def parse(data: bytes, crs: str | None, **kwargs: object):  # type: ignore[no-untyped-def]
    table = read_upload("points.csv", data, LIMITS)
    return parse_rows(
        table, map_columns(table.headers, district_inferable="district_at" in kwargs), crs, DISTRICTS, **kwargs
    )  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def truth() -> list[tuple[float, float]]:
    """True WGS-84 positions: 40 sample facilities."""
    return [(r.lon, r.lat) for r in data_files.read_sample_facilities(DATA)[:40]]


@pytest.mark.parametrize(("crs", "forward"), [("gcj02", eviltransform.wgs2gcj), ("bd09", eviltransform.wgs2bd)])
def test_vendor_coordinates_land_within_1m_of_the_truth(truth: list[tuple[float, float]], crs: str, forward) -> None:  # type: ignore[no-untyped-def]
    """Input shifted by an independent implementation (eviltransform, lat/lon order) comes back to WGS-84."""
    shifted = [forward(lat, lon) for lon, lat in truth]
    rows = [[f"P{i}", f"驿站{i}", "工会驿站", "滨城区", lon, lat] for i, (lat, lon) in enumerate(shifted)]
    parsed = parse(csv_bytes(rows), crs)
    assert not parsed.rejections and parsed.crs == crs
    for (lon, lat), row in zip(truth, parsed.accepted, strict=True):
        assert row.record is not None
        assert metres(lon, lat, row.record.lon, row.record.lat) < 1.0
    # and the shift was real: the raw GCJ/BD values are hundreds of metres off
    assert min(metres(lon, lat, s[1], s[0]) for (lon, lat), s in zip(truth, shifted, strict=True)) > 300


def test_projected_epsg_input_is_converted(truth: list[tuple[float, float]]) -> None:
    to_gk = Transformer.from_crs("EPSG:4326", "EPSG:4549", always_xy=True)  # CGCS2000 / 3-degree GK CM 120E
    rows = [
        [f"P{i}", f"驿站{i}", "station", "371602", *to_gk.transform(lon, lat)] for i, (lon, lat) in enumerate(truth)
    ]
    parsed = parse(csv_bytes(rows), "EPSG:4549")
    assert not parsed.rejections
    for (lon, lat), row in zip(truth, parsed.accepted, strict=True):
        assert row.record is not None and metres(lon, lat, row.record.lon, row.record.lat) < 0.01


def test_wgs84_input_is_kept_bit_for_bit() -> None:
    parsed = parse(csv_bytes([["P1", "驿站", "station", "滨城区", "117.97483612345678", "37.379995"]]), "WGS84")
    record = parsed.accepted[0].record
    assert record is not None and (record.lon, record.lat) == (117.97483612345678, 37.379995)


@pytest.mark.parametrize("crs", ["mars", "EPSG:999999", "EPSG:5773", "4326", ""])
def test_unknown_or_missing_crs_is_refused_naming_crs(crs: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse(csv_bytes([["P1", "驿站", "station", "滨城区", 117.9, 37.4]]), crs or None)
    assert caught.value.parameter == "crs" and caught.value.location == "body"


def test_declared_crs_must_agree_with_a_projected_file_crs() -> None:
    table = RawTable(format="geojson", headers=["code"], rows=[], source_crs="EPSG:4549")
    with pytest.raises(InvalidParameter, match="EPSG:4549"):
        parse_rows(table, map_columns(["code", "name", "kind", "district"], has_geometry=True), "wgs84", DISTRICTS)
    # a geographic file CRS may be declared gcj02: Amap data is routinely labelled 4326
    table = RawTable(format="geojson", headers=[], rows=[], source_crs="EPSG:4326")
    assert (
        parse_rows(table, map_columns(["code", "name", "kind", "district"], has_geometry=True), "gcj02", {}).crs
        == "gcj02"
    )
    # and without a declaration, the file's CRS is used
    assert (
        parse_rows(table, map_columns(["code", "name", "kind", "district"], has_geometry=True), None, {}).crs
        == "EPSG:4326"
    )


def test_points_that_fit_china_only_swapped_are_warned() -> None:
    """Kashgar (75.99E, 39.47N) typed lat-first: both values are valid degrees, but only swapped in China."""
    parsed = parse(csv_bytes([["K1", "喀什驿站", "station", "滨城区", 39.47, 75.99]]), "wgs84")
    assert parsed.accepted and [w.field for w in parsed.warnings] == ["lon"]
    assert parsed.warnings[0].reason_en.startswith("longitude and latitude look swapped")


def test_districts_by_code_name_or_point() -> None:
    headers = ("编码", "名称", "类型", "区县代码", "区县", "经度", "纬度")
    rows = [
        ["A", "a", "station", "371602", "滨城区", 117.9, 37.4],  # both agree
        ["B", "b", "station", "371602", "博兴县", 117.9, 37.4],  # disagree
        ["C", "c", "station", "", " 博兴县 ", 118.1, 37.1],  # name only, padded
    ]
    parsed = parse(csv_bytes(rows, headers), "wgs84")
    assert [r.record.district_adcode if r.record else None for r in parsed.rows] == ["371602", None, "371625"]
    assert [(i.row, i.field) for i in parsed.rejections] == [(3, "district")]

    found: list[tuple[float, float]] = []

    def district_at(lon: float, lat: float) -> str | None:
        found.append((lon, lat))
        return "371602" if lat > 37.2 else None

    rows = [["A", "a", "station", "", 117.9, 37.4], ["B", "b", "station", "", 118.1, 37.1]]
    parsed = parse(csv_bytes(rows, ("编码", "名称", "类型", "区县", "经度", "纬度")), "wgs84", district_at=district_at)
    assert found == [(117.9, 37.4), (118.1, 37.1)]
    assert parsed.rows[0].record is not None and parsed.rows[0].record.district_adcode == "371602"
    assert [(i.row, i.field, i.reason_en) for i in parsed.rejections] == [
        (3, "district", "the point lies in no district; fill in the district")
    ]


def test_cell_forms_people_type() -> None:
    headers = ("编码", "名称", "类型", "区县", "经度", "纬度", "服务设施", "示例数据", "货车车位", "最后核实", "面积")
    rows = [
        [1001, "驿站", "STATION", "滨城区", "１１７．９", "37.4°", "热水；卫生间 , WiFi", "否", "0", "2026/7/7", "1e2"],
        [
            "1002",
            "驿站",
            "工会驿站",
            "滨城区",
            "117.9",
            "37.4",
            '["toilet", "货车停车"]',
            "TRUE",
            "3.0",
            "2026年7月8日",
            "",
        ],
    ]
    table = read_upload("x.csv", csv_bytes(rows, headers), LIMITS)
    parsed = parse_rows(table, map_columns(table.headers), "wgs84", DISTRICTS)
    assert not parsed.rejections, parsed.rejections
    first, second = (r.record for r in parsed.rows)
    assert first and second
    assert (first.code, first.kind, first.lon, first.lat, first.area_m2) == ("1001", "station", 117.9, 37.4, 100.0)
    assert first.amenities == ["hot_water", "toilet", "wifi"] and str(first.last_verified_at) == "2026-07-07"
    assert second.amenities == ["toilet", "truck_parking"] and second.is_sample and second.truck_parking_spaces == 3


def test_numbers_python_would_accept_are_refused() -> None:
    rows = [
        [f"P{i}", "驿站", "station", "滨城区", text, 37.4]
        for i, text in enumerate(["1_17", "nan", "inf", "0x75", "117,9"])
    ]
    parsed = parse(csv_bytes(rows), "wgs84")
    assert [(i.row, i.field, i.reason_en) for i in parsed.rejections] == [
        (n, "lon", "not a number") for n in range(2, 7)
    ]


TEXTS = st.one_of(st.none(), st.text(max_size=40), st.integers(), st.floats(allow_nan=True, allow_infinity=True))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({c.zh: TEXTS for c in COLUMNS}), min_size=1, max_size=4))
def test_no_cell_value_raises(cells: list[dict[str, object]]) -> None:
    """Whatever is in the cells, parse_rows reports it; it never lets an exception escape."""
    headers = [c.zh for c in COLUMNS]
    rows = [RawRow(number=i + 2, values=dict(row)) for i, row in enumerate(cells)]  # type: ignore[arg-type]
    table = RawTable(format="csv", headers=headers, rows=rows)
    parsed = parse_rows(table, map_columns(headers), "gcj02", DISTRICTS)
    assert len(parsed.rows) == len(cells)
    for row in parsed.rows:
        assert (row.record is None) == bool(row.issues)
        assert all(issue.reason_zh and issue.reason_en and issue.row == row.number for issue in row.issues)
