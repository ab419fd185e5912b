"""The streaming XLSX reader against openpyxl, the reference: the same cells from the same workbooks,
including shared strings with rich-text runs and phonetic guides, date styles, the 1904 epoch,
formulas, error cells, gaps and several sheets."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta
from typing import Any

import openpyxl
import pytest

from geo_service.interchange import UploadLimits, read_upload
from geo_service.interchange import cells as cell_values
from geo_service.interchange.tables import RawTable
from geo_service.settings import Settings

LIMITS = UploadLimits.from_settings(Settings())
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SML = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def openpyxl_cells(data: bytes, sheet: str | None = None) -> list[tuple[int, list[Any]]]:
    """(row number, cell values) as openpyxl reads them (formulas and errors as markers), non-empty rows."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
    out = []
    for number, row in enumerate(worksheet.iter_rows(), start=1):
        values = []
        for cell in row:
            if cell.data_type == "f":
                values.append(("formula", str(cell.value)))
            elif cell.data_type == "e":
                values.append(("error", str(cell.value)))
            else:
                value = cell.value
                values.append(cell_values.normalise(cell_values.restore(value) if isinstance(value, str) else value))
        while values and values[-1] is None:
            values.pop()
        if values:
            out.append((number, values))
    workbook.close()
    return out


def our_cells(table: RawTable) -> list[tuple[int, list[Any]]]:
    rows = []
    for row in table.rows:
        values: list[Any] = [row.values.get(h) for h in table.headers]
        for issue in row.issues:
            marker = "formula" if issue.reason_en.startswith("formula") else "error"
            values[table.headers.index(issue.field)] = (marker, issue.value)
        while values and values[-1] is None:
            values.pop()
        rows.append((row.number, values))
    return rows


def openpyxl_workbook() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "驿站"
    sheet.append(["编码", "名称", "数", "日期", "真假", "空", "公式"])
    sheet.append(["A1", "黄河驿站", 3, date(2026, 7, 7), True, None, "=C2*2"])
    sheet.append([])
    sheet.append(["A2", "'=literal", 2.5, datetime(2026, 7, 7, 8, 30), False, None, "=SUM(C2:C4)"])
    sheet["D4"].number_format = "yyyy/mm/dd hh:mm"
    sheet["B6"] = "only B"
    sheet["C7"] = 1e-7
    sheet["C8"] = -12345678901234
    sheet["A9"] = "#N/A"
    sheet["A9"].data_type = "e"
    workbook.create_sheet("second").append(["x", "y"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


PARTS = {
    "[Content_Types].xml": f"""<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="{SML}.sheet.main+xml"/>
<Override PartName="/xl/worksheets/data.xml" ContentType="{SML}.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="{SML}.sharedStrings+xml"/>
<Override PartName="/xl/styles.xml" ContentType="{SML}.styles+xml"/>
</Types>""",
    "_rels/.rels": f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>""",
    "xl/workbook.xml": f"""<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="{MAIN}" xmlns:r="{REL}"><workbookPr date1904="1"/>
<sheets><sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>""",
    "xl/_rels/workbook.xml.rels": f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/data.xml"/>
<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>
<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/></Relationships>""",
    "xl/sharedStrings.xml": f"""<?xml version="1.0" encoding="UTF-8"?>
<sst xmlns="{MAIN}" count="4" uniqueCount="4"><si><t>编码</t></si><si><t>名称</t></si>
<si><r><rPr><b/></rPr><t>滨城</t></r><r><t xml:space="preserve">区 驿站</t></r></si>
<si><t>滨州</t><rPh sb="0" eb="2"><t>ビンシュウ</t></rPh></si></sst>""",
    "xl/styles.xml": f"""<?xml version="1.0" encoding="UTF-8"?>
<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy/mm/dd"/></numFmts>
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="1"><fill><patternFill patternType="none"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
</styleSheet>""",
    "xl/worksheets/data.xml": f"""<?xml version="1.0" encoding="UTF-8"?>
<worksheet xmlns="{MAIN}"><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>日期</t></is></c>
<c r="D1" t="inlineStr"><is><t>时间</t></is></c><c r="E1" t="inlineStr"><is><t>公式</t></is></c></row>
<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c><c r="C2" s="1"><v>44747</v></c>
<c r="D2" s="2"><v>0</v></c><c r="E2" t="str"><f>A2&amp;B2</f><v>cached</v></c></row>
<row r="4"><c r="B4"><v>117.974836</v></c><c r="C4" t="b"><v>1</v></c>
<c r="D4" t="inlineStr"><is><t>行内</t></is></c></row>
</sheetData></worksheet>""",
}


def handmade_workbook() -> bytes:
    """A workbook written the way Excel writes one (shared strings, styles, the 1904 epoch), by hand."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text.encode())
    return out.getvalue()


@pytest.mark.parametrize("sheet", [None, "second"])
def test_same_cells_as_openpyxl(sheet: str | None) -> None:
    data = openpyxl_workbook()
    table = read_upload("x.xlsx", data, LIMITS, layer=sheet)
    assert table.layer == (sheet or "驿站")
    reference = openpyxl_cells(data, sheet)
    assert [h for h in table.headers if not h.startswith("column_")] == [str(v) for v in reference[0][1] if v]
    assert our_cells(table) == reference[1:]


@pytest.mark.filterwarnings("ignore:Workbook contains no default style")  # openpyxl's remark on the hand-made file
def test_shared_strings_styles_and_1904_epoch_like_openpyxl() -> None:
    data = handmade_workbook()
    table = read_upload("excel.xlsx", data, LIMITS)
    assert table.layer == "台账" and table.headers == ["编码", "名称", "日期", "时间", "公式"]
    assert our_cells(table) == openpyxl_cells(data)[1:]
    first, second = table.rows
    assert (first.values["编码"], first.values["名称"]) == ("滨城区 驿站", "滨州")  # runs joined, no phonetics
    in_1904 = (date(1904, 1, 1) + timedelta(days=44747)).isoformat()  # the Mac epoch: day 0 is 1904-01-01
    assert (first.values["日期"], first.values["时间"]) == (in_1904, "00:00:00")  # a bare 0 is a time of day
    assert [(i.field, i.value) for i in first.issues] == [("公式", "=A2&B2")]  # the cached value is ignored
    assert second.number == 4 and second.values == {"编码": None, "名称": 117.974836, "日期": "true", "时间": "行内"}


def test_chinese_date_formats_are_dates() -> None:
    """numFmtId 31 (yyyy年m月d日) exists only in East Asian locales; openpyxl reads it as a number."""
    parts = dict(PARTS)
    parts["xl/styles.xml"] = parts["xl/styles.xml"].replace('numFmtId="14"', 'numFmtId="31"')
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace('date1904="1"', 'date1904="0"')
    parts["xl/worksheets/data.xml"] = parts["xl/worksheets/data.xml"].replace(
        '<c r="B2" t="s"><v>3</v></c>', '<c r="B2" s="2"><v>46210</v></c>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode())
    table = read_upload("x.xlsx", out.getvalue(), LIMITS)
    assert table.rows[0].values["名称"] == (date(1899, 12, 30) + timedelta(days=46210)).isoformat()  # 1900 system
