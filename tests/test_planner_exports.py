"""The planner's files and figures on both backends: one district assignment for every count (API summary,
XLSX, the map's legend, tooltips and panel), the XLSX as a person opens it (headers in the chosen
language, number formats, widths, frozen header, notes), and the exports of the map's question."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pyogrio
import pytest
from fastapi.testclient import TestClient

from geo_service.app import create_app
from geo_service.db.engine import make_engine
from geo_service.settings import Settings
from tests import planner_data
from tests.databases import BACKENDS, loaded_database
from tests.test_maps_coverage_layers import _layer_configs

COUNT = 12  # sites per export here (the map's 65 is checked in the browser journey)


@pytest.fixture(scope="module", params=BACKENDS)
def planner(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """(client, expected open stations per stated district) over the sample plus the border stations."""
    with loaded_database(str(request.param), tmp_path_factory.mktemp("planner")) as url:
        engine = make_engine(Settings(db_url=url))
        planner_data.add_planner_stations(engine)
        expected = planner_data.open_stations_by_stated_district(engine)
        inside = planner_data.inside_count(engine, planner_data.STATED)
        engine.dispose()
        assert inside == expected[planner_data.STATED] - 1  # the two assignments differ on this data
        with TestClient(create_app(Settings(db_url=url, map_basemap="none"))) as client:
            yield client, expected


def _sheet_rows(body: bytes, sheet: str) -> list[tuple]:
    return list(openpyxl.load_workbook(io.BytesIO(body))[sheet].iter_rows(values_only=True))


def test_every_count_uses_the_stated_district(planner) -> None:
    client, expected = planner
    total = sum(expected.values())
    summary = client.get("/api/v1/coverage/summary").json()
    assert {row["adcode"]: row["facilities"] for row in summary["districts"]} == expected
    assert summary["total"]["facilities"] == total == summary["facilities_used"]
    for url in ("/api/v1/coverage/summary?format=xlsx", f"/api/v1/plan/export.xlsx?count={COUNT}"):
        rows = _sheet_rows(client.get(url).content, "区县汇总")
        assert {row[0]: row[2] for row in rows[1:-1]} == expected, url
        assert rows[-1][1] == "合计" and rows[-1][2] == total, url
    html = client.get("/maps/coverage", params={"count": COUNT}).text
    configs = _layer_configs(html)
    markers = configs["facilities"]["features"]
    assert len(markers) == total and all(f["properties"]["status"] == "open" for f in markers)
    tooltips = {f["properties"]["adcode"]: f["properties"]["lines"][1] for f in configs["station_density"]["features"]}
    assert tooltips == {adcode: f"{n} 个驿站" for adcode, n in expected.items()}
    panel = dict(re.findall(r'data-adcode="(\w+)"><th scope="row">[^<]*</th><td>(\d+)</td>', html))
    assert panel == {**{k: str(v) for k, v in expected.items()}, "total": str(total)}


def test_planner_workbook_reads_as_a_table_in_chinese(planner) -> None:
    client, _ = planner
    zh = openpyxl.load_workbook(io.BytesIO(client.get(f"/api/v1/plan/export.xlsx?count={COUNT}").content))
    assert zh.sheetnames == ["区县汇总", "建议新址", "说明"]
    summary, sites = zh["区县汇总"], zh["建议新址"]
    assert [c.value for c in summary[1]][:6] == [
        "行政区划代码",
        "区县",
        "驿站数",
        "常住人口",
        "人口年份",
        "每万人驿站数",
    ]
    assert [c.value for c in sites[1]][:7] == [
        "序号",
        "区县",
        "行政区划代码",
        "乡镇（街道）",
        "最近已有设施地址",
        "最近已有设施",
        "距最近设施（米）",
    ]
    for sheet in zh:
        assert sheet.freeze_panes == "A2" and all(cell.font.b for cell in sheet[1])
    formats = {cell.column_letter: cell.number_format for cell in summary[2]}
    assert formats["C"] == "0" and formats["D"] == "#,##0" and formats["F"] == "0.00" and formats["I"] == "0.0"
    assert all(isinstance(c.value, str) or c.number_format != "General" for c in summary[2] if c.value is not None)
    assert summary.column_dimensions["A"].width >= 12 and sites.column_dimensions["E"].width > 20
    assert sites.max_row == COUNT + 1 and sites["D2"].value == "无乡镇边界数据"
    assert sites["B2"].value and sites["E2"].value and sites["G2"].number_format == "#,##0"
    notes = dict(row for row in zh["说明"].iter_rows(min_row=2, values_only=True))
    assert notes["服务半径（米）"] == "1,000" and notes["人口年份"] == "2010" and notes["建议新址数"] == str(COUNT)
    assert notes["距离计算"].startswith("直线距离") and notes["需求模型"].startswith("人口加权网格")
    assert notes["区县归属"].startswith("每个设施计入其登记的区县")
    assert notes["规划前覆盖率"].startswith("需求 ") and notes["规划前覆盖率"].endswith("%")
    assert notes["候选点"].startswith("来源 未覆盖的 500 米网格中心；数量 ")


def test_planner_workbook_in_english(planner) -> None:
    client, _ = planner
    en = openpyxl.load_workbook(io.BytesIO(client.get("/api/v1/plan/export.xlsx?count=3&lang=en").content))
    assert en.sheetnames == ["districts", "suggested sites", "notes"]
    assert [c.value for c in en["districts"][1]][:3] == ["adcode", "district", "stations"]
    assert en["districts"].cell(en["districts"].max_row, 2).value == "total"
    notes_en = dict(row for row in en["notes"].iter_rows(min_row=2, values_only=True))
    assert notes_en["service radius (m)"] == "1,000" and notes_en["population year"] == "2010"
    assert notes_en["distance"].startswith("straight-line") and notes_en["sites suggested"] == "3"


def test_exports_hold_what_the_map_shows(planner, tmp_path: Path) -> None:
    client, _ = planner
    query = {"preset": "ebike-10", "district": "371602", "count": 5}
    configs = _layer_configs(client.get("/maps/coverage", params=query).text)
    drawn = [site["at"] for site in configs["suggested_sites"]["sites"]]
    sites = client.get("/api/v1/plan/export.geojson", params=query)
    assert sites.status_code == 200 and "attachment" in sites.headers["content-disposition"]
    body = sites.json()
    assert body["radius_m"] == 3000 and body["count"] == 5
    assert [f["geometry"]["coordinates"][::-1] for f in body["features"]] == drawn
    assert all(f["properties"]["district_adcode"] == "371602" for f in body["features"])
    gaps = client.get("/api/v1/plan/export.gaps.geojson", params=query).json()
    assert [f["properties"]["adcode"] for f in gaps["features"]] == ["371602"]
    path = tmp_path / "planner.gpkg"
    path.write_bytes(client.get("/api/v1/plan/export.gpkg", params=query).content)
    assert sorted(name for name, _ in pyogrio.list_layers(path)) == ["districts", "gaps", "sites"]
    assert len(pyogrio.read_dataframe(path, layer="sites")) == 5
    archive = zipfile.ZipFile(io.BytesIO(client.get("/api/v1/plan/export.zip", params=query).content))
    page = archive.read("planner-map/index.html").decode()
    assert "planner-map/assets/maps/geomaps.js" in archive.namelist() and 'src="assets/maps/geomaps.js"' in page
    assert len(_layer_configs(page)["suggested_sites"]["sites"]) == 5 and "gm-pl-form" not in page


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"count": 501}, "count"),
        ({"count": -1}, "count"),
        ({"radius_m": 0}, "radius_m"),
        ({"radius_m": 500, "preset": "walk-15"}, "radius_m"),
        ({"preset": "fly-5"}, "preset"),
        ({"district": "火星"}, "district"),
    ],
)
def test_bad_export_parameters_are_named_422s(planner, params: dict, loc: str) -> None:
    client, _ = planner
    for fmt in ("geojson", "zip"):
        response = client.get(f"/api/v1/plan/export.{fmt}", params=params)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", loc], (fmt, params)
