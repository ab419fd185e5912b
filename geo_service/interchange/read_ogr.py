"""GeoPackage, zipped Shapefile and KML through pyogrio (GDAL), each from a private temporary directory.

GDAL needs files on disk for multi-file formats, so every upload is written under a fresh temporary
directory with a fixed safe name (never a name from the upload) and read from there. A layer is chosen
by exact match against the file's own layer list, so a hostile layer name never reaches GDAL's SQL.
At most max_rows + 1 features are read, so an oversized layer is refused without loading it.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any, Final

import numpy as np
import pyogrio
import pyogrio.raw
import shapely

from geo_service.errors import FileRefused, InvalidFile
from geo_service.interchange import cells, messages
from geo_service.interchange.archive import open_zip, read_member
from geo_service.interchange.file_crs import normalise_crs
from geo_service.interchange.headers import header_names
from geo_service.interchange.limits import UploadLimits, check_row_count
from geo_service.interchange.tables import CellValue, FileFormat, RawRow, RawTable, RowIssue
from geo_service.interchange.xml_guard import HEAD_BYTES, check_xml_head

SHAPEFILE_PARTS: Final = (".shp", ".shx", ".dbf", ".prj", ".cpg")
#: Placemark fields GDAL's KML drivers add to every layer; only `Name` (and a filled description) is data.
_KML_STANDARD: Final = {"id", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude", "visibility"}
_KML_STANDARD_MORE: Final = {"drawOrder", "icon", "snippet"}


def read_gpkg(data: bytes, limits: UploadLimits, layer: str | None = None) -> RawTable:
    with tempfile.TemporaryDirectory(prefix="geo-import-") as tmp:
        path = Path(tmp) / "upload.gpkg"
        path.write_bytes(data)
        return _read_layer(path, "gpkg", layer, limits)


def read_kml(data: bytes, limits: UploadLimits) -> RawTable:
    check_xml_head(data[:HEAD_BYTES], "KML", complete=len(data) <= HEAD_BYTES)
    with tempfile.TemporaryDirectory(prefix="geo-import-") as tmp:
        path = Path(tmp) / "upload.kml"
        path.write_bytes(data)
        table = _read_layer(path, "kml", None, limits)
    return _without_kml_standard_fields(table)


def read_shapefile_zip(data: bytes, limits: UploadLimits, layer: str | None = None) -> RawTable:
    """The .shp (the one whose name is `layer`, else the first) with its .shx/.dbf/.prj/.cpg siblings."""
    archive = open_zip(data, limits)
    stem, parts = _shapefile_parts(archive, layer)
    with tempfile.TemporaryDirectory(prefix="geo-import-") as tmp:
        for suffix, info in parts.items():
            (Path(tmp) / f"layer{suffix}").write_bytes(read_member(archive, info))
        cpg = (Path(tmp) / "layer.cpg").read_text("ascii", "replace").strip() if ".cpg" in parts else None
        read_as, reported = _dbf_encoding((Path(tmp) / "layer.dbf").read_bytes(), cpg)
        table = _read_layer(Path(tmp) / "layer.shp", "shapefile", None, limits, encoding=read_as)
    guessed = read_as is not None
    return RawTable(
        format="shapefile",
        headers=table.headers,
        rows=table.rows,
        encoding=reported,
        source_crs=table.source_crs,
        layer=stem,
        warnings=(_guessed_encoding(str(reported)),) if guessed else (),
    )


def _guessed_encoding(encoding: str) -> RowIssue:
    reason = messages.Reason(
        messages.GUESSED_DBF_ENCODING.zh.format(encoding=encoding),
        messages.GUESSED_DBF_ENCODING.en.format(encoding=encoding),
    )
    return messages.issue(0, "file", encoding, reason)


def _shapefile_parts(archive: zipfile.ZipFile, layer: str | None) -> tuple[str, dict[str, zipfile.ZipInfo]]:
    groups: dict[str, dict[str, zipfile.ZipInfo]] = {}
    for info in archive.infolist():
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.suffix.lower() in SHAPEFILE_PARTS and not info.is_dir():
            groups.setdefault(str(path.with_suffix("")), {})[path.suffix.lower()] = info
    shapes = {key: parts for key, parts in groups.items() if ".shp" in parts}
    if layer is not None:
        shapes = {key: parts for key, parts in shapes.items() if PurePosixPath(key).name == layer}
        if not shapes:
            raise InvalidFile(
                f"压缩包中没有名为 {layer} 的图层", f"no layer named {layer!r} in the archive", field="layer"
            )
    if not shapes:
        raise InvalidFile("压缩包中没有 .shp 文件", "no .shp file in the archive")
    key, parts = next(iter(shapes.items()))
    missing = [suffix for suffix in (".shx", ".dbf") if suffix not in parts]
    if missing:
        raise InvalidFile(
            f"Shapefile 缺少 {'、'.join(missing)} 文件", f"the Shapefile lacks its {', '.join(missing)} file"
        )
    return PurePosixPath(key).name, parts


def _dbf_encoding(dbf: bytes, cpg: str | None) -> tuple[str | None, str | None]:
    """(encoding to make GDAL use, encoding to report): .cpg wins, then the DBF's language id, else a
    strict UTF-8 test of the records with GB18030 as the fallback (Chinese tools often write no .cpg)."""
    if cpg:
        return None, cpg
    if len(dbf) > 29 and dbf[29]:
        return None, None
    header_size = int.from_bytes(dbf[8:10], "little") if len(dbf) >= 10 else len(dbf)
    try:
        dbf[header_size:].decode("utf-8")
    except UnicodeDecodeError:
        return "GB18030", "gb18030"
    return "UTF-8", "utf-8"


def _read_layer(
    path: Path, fmt: FileFormat, layer: str | None, limits: UploadLimits, encoding: str | None = None
) -> RawTable:
    try:
        name = _choose_layer([str(row[0]) for row in pyogrio.list_layers(path)], layer)
        meta, _fids, geometry, field_data = pyogrio.raw.read(
            path, layer=name, encoding=encoding, max_features=limits.max_rows + 1, datetime_as_string=True
        )
    except FileRefused:
        raise
    except Exception as exc:  # GDAL reports malformed input through many exception types
        raise InvalidFile("无法读取该文件", f"cannot read the file ({type(exc).__name__}: {exc})") from None
    check_row_count(len(geometry) if geometry is not None else 0, limits)
    headers = header_names([str(field) for field in meta["fields"]])
    rows = _rows(headers, geometry, field_data)
    return RawTable(format=fmt, headers=headers, rows=rows, source_crs=normalise_crs(meta.get("crs")), layer=name)


def _choose_layer(names: list[str], layer: str | None) -> str:
    if not names:
        raise InvalidFile("文件中没有图层", "the file has no layer")
    if layer is None:
        return names[0]
    if layer not in names:
        raise InvalidFile(
            f"没有名为 {layer} 的图层（有：{'、'.join(names)}）", f"no layer named {layer!r}", field="layer"
        )
    return layer


def _rows(headers: list[str], geometry: Any, field_data: list[Any]) -> list[RawRow]:
    shapes = shapely.from_wkb(geometry, on_invalid="ignore") if geometry is not None else np.array([])
    columns = [[cells.normalise(value) for value in column] for column in field_data]
    rows = []
    for index, shape in enumerate(shapes):
        values: dict[str, CellValue] = {header: column[index] for header, column in zip(headers, columns, strict=True)}
        point, problem = _point(index + 1, shape)
        lon, lat = point if point else (None, None)
        rows.append(RawRow(number=index + 1, values=values, lon=lon, lat=lat, issues=(problem,) if problem else ()))
    return rows


def _point(number: int, shape: Any) -> tuple[tuple[float, float] | None, RowIssue | None]:
    if shape is None or shape.is_empty:
        return None, None
    if shape.geom_type == "MultiPoint" and len(shape.geoms) == 1:
        shape = shape.geoms[0]
    if shape.geom_type != "Point":
        return None, messages.issue(number, "geometry", shape.geom_type, messages.NOT_POINT)
    return (float(shape.x), float(shape.y)), None


def _without_kml_standard_fields(table: RawTable) -> RawTable:
    def blank(header: str) -> bool:
        return all(row.values.get(header) in (None, "", 0, -1) for row in table.rows)

    drop = {h for h in table.headers if h in _KML_STANDARD | _KML_STANDARD_MORE or (h == "description" and blank(h))}
    headers = [h for h in table.headers if h not in drop]
    rows = [
        RawRow(row.number, {h: v for h, v in row.values.items() if h not in drop}, row.lon, row.lat, row.issues)
        for row in table.rows
    ]
    return RawTable(
        format="kml", headers=headers, rows=rows, encoding="utf-8", source_crs=table.source_crs, layer=table.layer
    )
