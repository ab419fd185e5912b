"""The parts of an XLSX workbook a reader needs besides the sheet itself: which sheets there are (and
where), the shared strings, which cell styles are dates, and the date epoch.

Parsed with defusedxml (no entity expansion) after xml_guard has refused any DTD. Tags are matched by
local name, which also accepts Strict OOXML (another namespace).
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Final

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import parse as defused_parse
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

from geo_service.errors import InvalidFile
from geo_service.interchange.archive import ZIP_ERRORS

WORKBOOK: Final = "xl/workbook.xml"
#: Built-in number formats that are dates or times, including those only East Asian locales define.
_DATE_FORMAT_IDS: Final = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_REL_NS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STRICT_REL_NS: Final = "http://purl.oclc.org/ooxml/officeDocument/relationships"


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


@dataclass(frozen=True)
class Workbook:
    sheets: list[tuple[str, str]]  # (sheet name, part path) of the worksheets, in tab order
    shared_strings: list[str]
    date_styles: frozenset[int]  # indices into cellXfs whose number format is a date or time
    epoch: datetime


def _parse(archive: zipfile.ZipFile, name: str) -> ET.Element:
    try:
        with archive.open(name) as part:
            return defused_parse(part).getroot()
    except KeyError:
        raise InvalidFile(f"工作簿缺少 {name}", f"the workbook lacks {name}") from None
    except (ET.ParseError, DefusedXmlException, *ZIP_ERRORS) as exc:
        raise InvalidFile(f"工作簿的 {name} 已损坏", f"{name} of the workbook is broken ({exc})") from None


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id → (type, target path) of a part's relationships."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in archive.namelist():
        return {}
    out = {}
    for rel in _parse(archive, rels):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id", "")] = (rel.get("Type", ""), path)
    return out


def read_workbook(archive: zipfile.ZipFile) -> Workbook:
    root = _parse(archive, WORKBOOK)
    rels = _relationships(archive, WORKBOOK)
    sheets = []
    for element in root.iter():
        if local(element.tag) != "sheet":
            continue
        rel_id = element.get(f"{{{_REL_NS}}}id") or element.get(f"{{{_STRICT_REL_NS}}}id") or ""
        kind, path = rels.get(rel_id, ("", ""))
        if kind.endswith("/worksheet") and path in archive.namelist():
            sheets.append((element.get("name", ""), path))
    date1904 = any(local(e.tag) == "workbookPr" and e.get("date1904") in ("1", "true") for e in root.iter())
    by_type = {kind.rpartition("/")[2]: path for kind, path in rels.values()}
    return Workbook(
        sheets=sheets,
        shared_strings=_shared_strings(archive, by_type.get("sharedStrings")),
        date_styles=_date_styles(archive, by_type.get("styles")),
        epoch=CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900,
    )


def inline_text(element: ET.Element) -> str:
    """Text of an <si> or <is>: its <t>, or its runs' <t>s; phonetic guides (<rPh>) are not text."""
    parts = []
    for child in element:
        name = local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if local(t.tag) == "t")
    return "".join(parts)


def _shared_strings(archive: zipfile.ZipFile, path: str | None) -> list[str]:
    if path is None or path not in archive.namelist():
        return []
    return [inline_text(si) for si in _parse(archive, path) if local(si.tag) == "si"]


def _date_styles(archive: zipfile.ZipFile, path: str | None) -> frozenset[int]:
    if path is None or path not in archive.namelist():
        return frozenset()
    root = _parse(archive, path)
    custom = {
        int(f.get("numFmtId", "-1")): f.get("formatCode", "")
        for f in root.iter()
        if local(f.tag) == "numFmt" and f.get("numFmtId", "").isdigit()
    }
    xfs = next((e for e in root if local(e.tag) == "cellXfs"), None)
    dates = set()
    for index, xf in enumerate(xfs if xfs is not None else []):
        fmt_id = int(xf.get("numFmtId", "0")) if xf.get("numFmtId", "0").isdigit() else 0
        code = custom.get(fmt_id)
        if fmt_id in _DATE_FORMAT_IDS or (code is not None and is_date_format(code)):
            dates.add(index)
    return frozenset(dates)


def open_part(archive: zipfile.ZipFile, path: str) -> IO[bytes]:
    try:
        return archive.open(path)
    except (KeyError, *ZIP_ERRORS) as exc:
        raise InvalidFile(f"无法解压 {path}", f"cannot unpack {path} ({exc})") from None
