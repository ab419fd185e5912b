"""Which reader a file needs, from its content first and its name second.

Magic bytes decide (a zip, an SQLite database, JSON, XML, text); the extension only chooses between
readings of plain text and explains refusals. A name alone never sends bytes to a parser built for
something else: an `.xlsx` that is really text is refused, not fed to openpyxl.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath
from typing import Final

from geo_service.errors import InvalidFile, UnsupportedFile
from geo_service.interchange.archive import ZIP_ERRORS
from geo_service.interchange.tables import FileFormat

_ZIP_MAGIC: Final = (b"PK\x03\x04", b"PK\x05\x06")
_SQLITE_MAGIC: Final = b"SQLite format 3\x00"
_GPKG_APPLICATION_IDS: Final = (b"GPKG", b"GP10", b"GP11")
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0"  # legacy .xls / .doc
_TEXT_SUFFIXES: Final = {"", ".csv", ".txt", ".tsv"}
_BINARY_SUFFIXES: Final = {".xlsx", ".xlsm", ".gpkg", ".zip", ".xls", ".shp"}
SUPPORTED_ZH: Final = "CSV、XLSX、GeoJSON、GeoPackage、KML 或压缩的 Shapefile（.zip）"
SUPPORTED_EN: Final = "CSV, XLSX, GeoJSON, GeoPackage, KML or a zipped Shapefile (.zip)"


def detect_format(file_name: str, data: bytes) -> FileFormat:
    """The format of an upload, or UnsupportedFile (415) naming what we do read."""
    suffix = PurePath(file_name).suffix.lower()
    if not data.strip():
        raise InvalidFile("文件为空", "the file is empty")
    if data.startswith(_ZIP_MAGIC):
        return _zip_format(data)
    if data.startswith(_SQLITE_MAGIC):
        if data[68:72] in _GPKG_APPLICATION_IDS:
            return "gpkg"
        raise UnsupportedFile("SQLite 文件不是 GeoPackage", "an SQLite file that is not a GeoPackage")
    if data.startswith(_OLE_MAGIC):
        raise UnsupportedFile("不支持旧版 .xls，请另存为 .xlsx 或 CSV", "legacy .xls is not read; save as .xlsx or CSV")
    if suffix == ".shp":
        raise UnsupportedFile(
            "请把 .shp、.shx、.dbf、.prj、.cpg 一起压缩成 .zip 上传",
            "upload the .shp with its .shx, .dbf, .prj, .cpg in a .zip",
        )
    return _text_format(suffix, _text_head(data))


def _zip_format(data: bytes) -> FileFormat:
    try:
        names = [name.lower() for name in zipfile.ZipFile(io.BytesIO(data)).namelist()]
    except ZIP_ERRORS as exc:
        raise InvalidFile("不是有效的 zip 文件", f"not a valid zip file ({exc})") from None
    if "xl/workbook.xml" in names:
        return "xlsx"
    if any(name.endswith(".shp") for name in names):
        return "shapefile"
    raise UnsupportedFile(
        "zip 中既没有工作簿也没有 .shp，支持：" + SUPPORTED_ZH,
        "a zip with neither a workbook nor a .shp; we read " + SUPPORTED_EN,
    )


def _text_head(data: bytes) -> str:
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", "replace").lstrip("\ufeff \t\r\n")
    return head.decode("latin-1").removeprefix("\xef\xbb\xbf").lstrip(" \t\r\n")


def _text_format(suffix: str, head: str) -> FileFormat:
    if suffix in _TEXT_SUFFIXES - {""}:
        return "csv"
    if suffix in _BINARY_SUFFIXES:
        raise UnsupportedFile(f"文件内容与扩展名 {suffix} 不符", f"the content does not match the {suffix} extension")
    if head.startswith("{"):
        return "geojson"
    if head.startswith("<"):
        if suffix == ".kml" or "<kml" in head:
            return "kml"
        raise UnsupportedFile(
            "不支持的 XML 文件，支持：" + SUPPORTED_ZH, "an XML file we do not read; we read " + SUPPORTED_EN
        )
    if suffix == "":
        return "csv"
    raise UnsupportedFile(
        f"不支持的文件类型 {suffix}，支持：" + SUPPORTED_ZH, f"unsupported file type {suffix}; we read " + SUPPORTED_EN
    )
