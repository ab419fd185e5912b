"""Readers: each format's cells, row numbers, encodings and stated CRS, on small files made here."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pyogrio
import pytest
import shapely

from geo_service.errors import InvalidFile
from geo_service.interchange import UploadLimits, map_columns, parse_rows, read_upload
from geo_service.settings import Settings

LIMITS = UploadLimits.from_settings(Settings())
DISTRICTS = {"滨城区": "371602"}


def zipped(folder: Path, stem: str, prefix: str = "", drop: tuple[str, ...] = ()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("readme.txt", "not a shapefile part")
        for part in sorted(folder.glob(f"{stem}.*")):
            if part.suffix not in drop:
                archive.writestr(prefix + part.name, part.read_bytes())
    return out.getvalue()


def stations(crs: str = "EPSG:4490") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "编码": ["S1", "S2"],
            "名称": ["黄河驿站", "渤海驿站"],
            "类型": ["工会驿站", "station"],
            "区县": ["滨城区", "371602"],
        },
        geometry=[shapely.Point(117.9, 37.4), None],
        crs=crs,
    )


def test_shapefile_zip_honours_prj_and_cpg(tmp_path: Path) -> None:
    stations().to_file(tmp_path / "驿站.shp", engine="pyogrio", encoding="GBK")
    assert (tmp_path / "驿站.cpg").exists() and b"\xbb\xc6\xba\xd3" in (
        tmp_path / "驿站.dbf"
    ).read_bytes()  # 黄河 in GBK
    table = read_upload("stations.zip", zipped(tmp_path, "驿站", prefix="folder/"), LIMITS)
    assert (table.format, table.layer, table.source_crs) == ("shapefile", "驿站", "EPSG:4490")
    assert table.encoding is not None and "GBK" in table.encoding.upper() and not table.warnings
    assert [r.values["名称"] for r in table.rows] == ["黄河驿站", "渤海驿站"]
    assert [(r.number, r.lon, r.lat) for r in table.rows] == [(1, 117.9, 37.4), (2, None, None)]
    parsed = parse_rows(table, map_columns(table.headers, has_geometry=True), None, DISTRICTS)  # the .prj's CRS
    assert parsed.crs == "EPSG:4490" and parsed.rows[0].record is not None
    assert [(i.row, i.field) for i in parsed.rejections] == [(2, "geometry")]


def test_shapefile_without_cpg_is_sniffed_and_says_so(tmp_path: Path) -> None:
    stations().to_file(tmp_path / "s.shp", engine="pyogrio", encoding="GBK")
    dbf = bytearray((tmp_path / "s.dbf").read_bytes())
    dbf[29] = 0  # no language id either, as many Chinese tools write it
    (tmp_path / "s.dbf").write_bytes(bytes(dbf))
    table = read_upload("s.zip", zipped(tmp_path, "s", drop=(".cpg",)), LIMITS)
    assert table.encoding == "gb18030" and [r.values["名称"] for r in table.rows] == ["黄河驿站", "渤海驿站"]
    assert [(w.field, w.value) for w in table.warnings] == [("file", "gb18030")]


def test_shapefile_missing_its_dbf_is_refused(tmp_path: Path) -> None:
    stations().to_file(tmp_path / "s.shp", engine="pyogrio")
    with pytest.raises(InvalidFile, match=r"\.dbf"):
        read_upload("s.zip", zipped(tmp_path, "s", drop=(".dbf",)), LIMITS)


def test_geopackage_first_or_named_layer(tmp_path: Path) -> None:
    path = tmp_path / "x.gpkg"
    stations("EPSG:4326").to_file(path, layer="first", engine="pyogrio")
    stations("EPSG:4326").iloc[:1].to_file(path, layer="second", engine="pyogrio")
    assert read_upload("x.gpkg", path.read_bytes(), LIMITS).layer == "first"
    table = read_upload("x.gpkg", path.read_bytes(), LIMITS, layer="second")
    assert (table.layer, table.source_crs, len(table.rows)) == ("second", "EPSG:4326", 1)


def test_geojson_crs_member_lists_and_non_points() -> None:
    data = """{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:4490"}},
      "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [117.9, 37.4]},
         "properties": {"code": "A", "amenities": ["hot_water", "卫生间"], "details": {"beds": 3}, "is_sample": true}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}, "properties": null},
        {"type": "Feature", "geometry": {"type": "MultiPoint", "coordinates": [[118.0, 37.5]]}, "properties": {}}
      ]}""".encode()
    table = read_upload("x.json", data, LIMITS)
    assert table.source_crs == "EPSG:4490" and table.headers == ["code", "amenities", "details", "is_sample"]
    first, second, third = table.rows
    assert first.values == {
        "code": "A",
        "amenities": '["hot_water","卫生间"]',
        "details": '{"beds":3}',
        "is_sample": "true",
    }
    assert [i.field for i in second.issues] == ["geometry"] and (third.lon, third.lat) == (118.0, 37.5)


def test_csv_delimiters_blank_rows_and_row_numbers() -> None:
    data = '\r\n编码;名称;类型\r\nA;"多行\n名称";station\r\n\r\nB;b;station;extra\r\n'.encode()
    table = read_upload("x.csv", data, LIMITS)
    assert table.headers == ["编码", "名称", "类型"]
    assert [(r.number, r.values.get("名称")) for r in table.rows] == [(3, "多行\n名称"), (5, "b")]
    assert [i.field for i in table.rows[1].issues] == ["row"]


def test_utf16_tab_separated_text_is_read() -> None:
    data = "编码\t名称\nA\t驿站\n".encode("utf-16")
    table = read_upload("x.txt", data, LIMITS)
    assert (table.encoding, table.rows[0].values) == ("utf-16", {"编码": "A", "名称": "驿站"})


def test_xlsx_formula_error_and_typed_cells() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([])  # a blank first row: the header is the first non-empty one
    sheet.append(["编码", "名称", "经度", "备注", "备注"])
    sheet.append([1001, '=A3&"站"', 117.5, "#N/A", None])
    sheet.append(["'=文本", True, None, None, "x"])
    sheet["D3"].data_type = "e"
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_upload("x.xlsx", buffer.getvalue(), LIMITS)
    assert table.headers == ["编码", "名称", "经度", "备注", "备注 (2)"]
    second, third = table.rows
    assert second.number == 3 and second.values["编码"] == 1001 and second.values["名称"] is None
    assert [(i.field, i.value, i.reason_en[:7]) for i in second.issues] == [
        ("名称", '=A3&"站"', "formula"), ("备注", "#N/A", "the cel")
    ]  # fmt: skip
    assert third.values["编码"] == "=文本" and third.values["名称"] == "true"


def test_kml_placemarks(tmp_path: Path) -> None:
    path = tmp_path / "x.kml"
    frame = gpd.GeoDataFrame(
        {"name": ["黄河驿站"], "code": ["K1"]}, geometry=[shapely.Point(117.9, 37.4)], crs="EPSG:4326"
    )
    pyogrio.write_dataframe(frame, path, driver="KML")
    table = read_upload("x.kml", path.read_bytes(), LIMITS)
    assert table.headers == ["Name", "code"] and table.rows[0].values == {"Name": "黄河驿站", "code": "K1"}
    with pytest.raises(InvalidFile, match="kind"):  # the KML lacks the kind column, and says so
        map_columns(table.headers, has_geometry=True, district_inferable=True)
