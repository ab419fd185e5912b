"""The committed import templates equal what scripts/build_templates.py generates, and import cleanly."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pytest

from geo_service import data_files, vocab
from geo_service.interchange import UploadLimits, map_columns, parse_rows, read_upload, template
from geo_service.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "data" / "templates"
LIMITS = UploadLimits.from_settings(Settings())


def members(xlsx: bytes) -> dict[str, str]:
    """Each part in canonical XML (C14N 2.0): openpyxl serialises through lxml when it is installed and
    through its own writer otherwise, which differ only in spelling (`<a />` vs `<a/>`, `dct:` vs `dcterms:`)."""
    archive = zipfile.ZipFile(io.BytesIO(xlsx))
    return {name: ET.canonicalize(archive.read(name).decode(), rewrite_prefixes=True) for name in archive.namelist()}


def test_committed_templates_equal_the_generated_ones() -> None:
    assert (TEMPLATES / "facilities_template.csv").read_bytes() == template.build_csv()
    committed = (TEMPLATES / "facilities_template.xlsx").read_bytes()
    assert members(committed) == members(template.build_xlsx())  # part by part: robust to zlib and serialisers
    assert template.build_xlsx() == template.build_xlsx()


@pytest.mark.parametrize("name", ["facilities_template.csv", "facilities_template.xlsx"])
@pytest.mark.parametrize("crs", ["gcj02", "wgs84"])
def test_template_imports_cleanly(name: str, crs: str) -> None:
    districts = {d.name: d.adcode for d in data_files.read_districts(ROOT / "data")}
    table = read_upload(name, (TEMPLATES / name).read_bytes(), LIMITS)
    columns = map_columns(table.headers)
    assert not columns.unknown and not columns.ignored
    parsed = parse_rows(table, columns, crs, districts)
    assert not parsed.rejections and len(parsed.accepted) == 2
    assert all(row.record and row.record.is_sample for row in parsed.accepted)  # examples are flagged


def test_instructions_sheet_lists_every_column_and_the_crs_advice() -> None:
    workbook = openpyxl.load_workbook(TEMPLATES / "facilities_template.xlsx")
    assert workbook.sheetnames == ["设施", "说明"]
    data, help_sheet = workbook["设施"], workbook["说明"]
    headers = [c.value for c in data[1]]
    assert headers == template.template_headers() and data.freeze_panes == "A2"
    rows = list(help_sheet.iter_rows(values_only=True))
    assert [r[0] for r in rows[1 : 1 + len(headers)]] == headers
    required = {r[0] for r in rows[1:] if r[2] == "必填 / required"}
    assert required == {"编码", "名称", "类型", "区县", "经度", "纬度"}
    allowed = {r[0]: r[4] for r in rows[1 : 1 + len(headers)]}
    assert all(label in allowed["服务设施"] for label in vocab.AMENITIES.values())
    assert "工会驿站（station）" in allowed["类型"]
    text = " ".join(str(cell) for row in rows for cell in row if cell)
    assert "高德" in text and "GCJ-02" in text and "gcj02" in text
    lists = {str(v.sqref): v.formula1 for v in data.data_validations.dataValidation}
    assert lists["C2:C2000"] == '"' + ",".join(vocab.KINDS.values()) + '"'
