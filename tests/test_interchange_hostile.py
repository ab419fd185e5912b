"""Hostile uploads: every one is refused with the right domain error before the expensive step, and no
input bytes make read_upload raise anything but a FileRefused."""

from __future__ import annotations

import contextlib
import http.server
import io
import stat
import threading
import time
import tracemalloc
import zipfile
from pathlib import Path

import defusedxml
import geopandas as gpd
import openpyxl
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_service.errors import FileRefused, InvalidFile, PayloadTooLarge, UnsupportedFile
from geo_service.interchange import UploadLimits, map_columns, parse_rows, read_upload, read_xlsx
from geo_service.settings import Settings

LIMITS = UploadLimits.from_settings(Settings())
BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>"""


def small_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["编码", "名称", "类型", "区县", "经度", "纬度"])
    workbook.active.append(["A1", "驿站", "station", "滨城区", 117.9, 37.4])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, (replace or {}).get(info.filename, source.read(info)))
        for name, payload in (add or {}).items():
            target.writestr(name, payload)
    return out.getvalue()


def shapefile_zip(tmp_path: Path, extra: dict[str, bytes] | None = None, prefix: str = "") -> bytes:
    path = tmp_path / "stations.shp"
    pyogrio.write_dataframe(
        gpd.GeoDataFrame(
            {"code": ["S1"], "name": ["驿站"], "kind": ["station"], "district": ["滨城区"]},
            geometry=[shapely.Point(117.9, 37.4)],
            crs="EPSG:4326",
        ),
        path,
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(tmp_path.glob("stations.*")):
            archive.writestr(prefix + part.name, part.read_bytes())
        for name, payload in (extra or {}).items():
            archive.writestr(name, payload)
    return out.getvalue()


@pytest.fixture
def no_xml_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Prove a refusal happens before any workbook XML is parsed."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr(read_xlsx, "read_workbook", refuse)
    monkeypatch.setattr(read_xlsx, "check_zip_xml", refuse)


def test_xlsx_zip_bomb_is_refused_before_parsing(no_xml_parsing: None) -> None:
    bomb = rezip(small_xlsx(), add={"xl/media/image1.png": bytes(50 * 1024 * 1024)})
    assert len(bomb) < 200_000  # 50 MiB of zeros deflates ~1000×
    with pytest.raises(PayloadTooLarge, match="zip bomb"):
        read_upload("bomb.xlsx", bomb, LIMITS)


def test_total_unzipped_size_is_capped(no_xml_parsing: None) -> None:
    limits = UploadLimits(max_bytes=LIMITS.max_bytes, max_rows=10, max_unzipped_bytes=20_000, max_zip_ratio=100)
    with pytest.raises(PayloadTooLarge, match="unpacks to"):
        read_upload("ok.xlsx", rezip(small_xlsx(), add={"xl/media/a.bin": bytes(30_000)}), limits)


def test_shapefile_zip_bomb_is_refused(tmp_path: Path) -> None:
    bomb = shapefile_zip(tmp_path, extra={"padding.dbf": bytes(40 * 1024 * 1024)})
    with pytest.raises(PayloadTooLarge):
        read_upload("stations.zip", bomb, LIMITS)


def test_billion_laughs_is_refused_by_the_guard() -> None:
    hostile = rezip(small_xlsx(), replace={"xl/worksheets/sheet1.xml": BILLION_LAUGHS})
    started = time.perf_counter()
    with pytest.raises(InvalidFile, match="DOCTYPE"):
        read_upload("laughs.xlsx", hostile, LIMITS)
    assert time.perf_counter() - started < 5


def test_the_reader_refuses_entities_even_without_the_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second gate: with xml_guard switched off, defusedxml still refuses the entity declarations."""
    monkeypatch.setattr(read_xlsx, "check_zip_xml", lambda _archive: None)
    for part in ("xl/worksheets/sheet1.xml", "xl/workbook.xml"):
        with pytest.raises(InvalidFile, match="EntitiesForbidden"):
            read_upload("laughs.xlsx", rezip(small_xlsx(), replace={part: BILLION_LAUGHS}), LIMITS)


def test_openpyxl_itself_refuses_entities_through_defusedxml() -> None:
    """The second gate: were the guard gone, openpyxl (with defusedxml installed) still refuses."""
    hostile = rezip(small_xlsx(), replace={"xl/worksheets/sheet1.xml": BILLION_LAUGHS})
    for read_only in (True, False):
        with pytest.raises(ValueError, match="invalid XML") as caught:  # openpyxl wraps the parser's error
            openpyxl.load_workbook(io.BytesIO(hostile), read_only=read_only)
        assert isinstance(caught.value.__cause__, defusedxml.EntitiesForbidden)


def test_kml_with_entities_is_refused() -> None:
    kml = BILLION_LAUGHS.replace(b"<worksheet", b"<kml").split(b"<sheetData>")[0] + b"</kml>"
    with pytest.raises(InvalidFile, match="DOCTYPE"):
        read_upload("x.kml", kml, LIMITS)


@pytest.mark.parametrize("name", ["../evil.shp", "/tmp/evil.shp", "C:/evil.shp", "a/../../evil.shp", "..\\evil.shp"])
def test_zip_with_escaping_paths_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidFile, match="unsafe path"):
        read_upload("stations.zip", shapefile_zip(tmp_path, extra={name: b"x"}), LIMITS)


def test_zip_with_a_symlink_is_refused(tmp_path: Path) -> None:
    data = shapefile_zip(tmp_path)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in zipfile.ZipFile(io.BytesIO(data)).infolist():
            archive.writestr(info, zipfile.ZipFile(io.BytesIO(data)).read(info))
        link = zipfile.ZipInfo("link.cpg")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(InvalidFile, match="symbolic link"):
        read_upload("stations.zip", out.getvalue(), LIMITS)


def test_a_million_rows_stop_at_the_cap_without_building_them() -> None:
    data = b"code,name,kind,district,lon,lat\n" + b"C,n,s,d,1,2\n" * 1_000_000
    assert len(data) < LIMITS.max_bytes
    tracemalloc.start()
    try:
        with pytest.raises(PayloadTooLarge, match="50,000"):
            read_upload("big.csv", data, LIMITS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the decoded text (12 MB) plus at most 50,000 rows; a million row objects would need far more
    assert peak < 100 * 1024 * 1024


def test_the_row_cap_applies_to_every_format() -> None:
    limits = UploadLimits(
        max_bytes=LIMITS.max_bytes, max_rows=3, max_unzipped_bytes=LIMITS.max_unzipped_bytes, max_zip_ratio=100
    )
    feature = b'{"type":"Feature","geometry":{"type":"Point","coordinates":[117.9,37.4]},"properties":{}}'
    geojson = b'{"type":"FeatureCollection","features":[' + b",".join([feature] * 4) + b"]}"
    with pytest.raises(PayloadTooLarge):
        read_upload("x.geojson", geojson, limits)
    workbook = openpyxl.Workbook()
    for i in range(5):
        workbook.active.append([f"h{i}", i])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(PayloadTooLarge):
        read_upload("x.xlsx", buffer.getvalue(), limits)


def test_over_size_body_is_refused_before_reading() -> None:
    limits = UploadLimits(max_bytes=1000, max_rows=10, max_unzipped_bytes=10_000, max_zip_ratio=100)
    with pytest.raises(PayloadTooLarge, match="1,001"):
        read_upload("x.csv", b"a" * 1001, limits)


def test_hostile_header_is_only_an_unknown_column() -> None:
    header = "geom'); DROP TABLE facility;--"
    data = f'code,name,kind,district,lon,lat,"{header}"\nA,驿站,station,371602,117.9,37.4,x\n'.encode()
    table = read_upload("x.csv", data, LIMITS)
    columns = map_columns(table.headers)
    assert columns.unknown == (header,)
    parsed = parse_rows(table, columns, "wgs84", {"滨城区": "371602"})
    assert parsed.accepted and not parsed.rejections


def test_hostile_layer_name_is_refused_not_queried(tmp_path: Path) -> None:
    path = tmp_path / "x.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"code": ["A"]}, geometry=[shapely.Point(1, 2)], crs="EPSG:4326"), path)
    with pytest.raises(InvalidFile) as caught:
        read_upload("x.gpkg", path.read_bytes(), LIMITS, layer="x'; DROP TABLE gpkg_contents;--")
    assert caught.value.field == "layer"


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0" + bytes(100), UnsupportedFile),
        ("x.xlsx", b"code,name\n", UnsupportedFile),
        ("x.pdf", b"%PDF-1.7", UnsupportedFile),
        ("x.shp", b"\x00\x00\x27\x0a", UnsupportedFile),
        ("x.zip", rezip(small_xlsx(), replace={"xl/workbook.xml": b""}), InvalidFile),
        ("x.csv", b"", InvalidFile),
        ("x.csv", "名称".encode("utf-16-le")[:3] + b"\xff\xff\xd8", InvalidFile),
        ("x.geojson", b'{"type": "Feature"}', InvalidFile),
        ("x.db", b"SQLite format 3\x00" + bytes(200), UnsupportedFile),
    ],
)
def test_refusals_name_the_problem(name: str, data: bytes, error: type[FileRefused]) -> None:
    with pytest.raises(error) as caught:
        read_upload(name, data, LIMITS)
    assert caught.value.message_zh and caught.value.message_en and caught.value.field == "file"


PREFIXES = st.sampled_from([b"", b"PK\x03\x04", b"SQLite format 3\x00", b"{", b"<kml>", b"\xef\xbb\xbf", b"\xff\xfe"])
NAMES = st.sampled_from(["x.csv", "x.xlsx", "x.geojson", "x.gpkg", "x.zip", "x.kml", "x", "x.txt"])


@settings(max_examples=300, deadline=None)
@given(NAMES, PREFIXES, st.binary(max_size=300))
def test_random_bytes_raise_only_domain_errors(name: str, prefix: bytes, body: bytes) -> None:
    with contextlib.suppress(FileRefused):
        read_upload(name, prefix + body, LIMITS)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=200), st.integers(min_value=0, max_value=4000))
def test_corrupted_workbooks_raise_only_domain_errors(noise: bytes, at: int) -> None:
    data = bytearray(small_xlsx())
    at = at % len(data)
    data[at : at + len(noise)] = noise
    with contextlib.suppress(FileRefused):
        read_upload("x.xlsx", bytes(data), LIMITS)


def test_kml_network_links_are_not_fetched() -> None:
    """A KML may point at URLs (NetworkLink, icons); reading it must not make the server fetch them."""
    requested: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requested.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    kml = f"""<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<NetworkLink><name>n</name><Link><href>{url}/remote.kml</href></Link></NetworkLink>
<Style id="s"><IconStyle><Icon><href>{url}/icon.png</href></Icon></IconStyle></Style>
<Placemark><name>本地</name><Point><coordinates>117.9,37.4</coordinates></Point></Placemark>
</Document></kml>""".encode()
    try:
        table = read_upload("x.kml", kml, LIMITS)
    finally:
        server.shutdown()
    assert [row.values.get("Name") for row in table.rows] == ["本地"] and requested == []
