"""`POST /api/v1/imports` on both backends: the county-style fixture (20 good rows, 10 bad ones) gives
exactly the report written out below, the database-side reasons included; a refused commit changes
nothing; roles; the stored report; the nearest index after a commit.

The fixture reuses the builders of tests/test_interchange_report.py: the same 20 good rows (the first
20 sample facilities as an editor types them) and ten bad ones, of which "outside the area" and "a
district that does not match the point" need the boundaries in the database. The database already
holds the rest of the sample and one facility 20 m from the first row with a similar name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely
from pyproj import Geod

from geo_service import data_files
from tests.importing import Api, api_on, data_revision, stored_records, table_state
from tests.test_interchange_report import HOURS_EN, HOURS_ZH, as_csv, as_xlsx, typed

GEOD = Geod(ellps="WGS84")
DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE = data_files.read_sample_facilities(DATA)
DISTRICTS = {d.adcode: d for d in data_files.read_districts(DATA)}
NAMES = {adcode: d.name for adcode, d in DISTRICTS.items()}
OUTSIDE = (117.01, 36.65)  # 济南, in no district of Binzhou
NEAR_LON, NEAR_LAT, _ = GEOD.fwd(SAMPLE[0].lon, SAMPLE[0].lat, 0.0, 20.0)  # 20 m north of the first row
NEAR = SAMPLE[0].model_copy(
    update={"code": "OLD-0001", "name": SAMPLE[0].name + "（旧址）", "lon": NEAR_LON, "lat": NEAR_LAT}
)
STAFFED = (
    "24 小时开放但进入方式为“有人值守”，请核实夜间是否有人",
    "open 24/7 with a staffed access method; check someone is there at night",
)


def fixture_rows() -> list[dict[str, Any]]:
    good = [typed(r, NAMES, "," if i % 2 else "、") for i, r in enumerate(SAMPLE[:20])]
    spare = [typed(r, NAMES) for r in SAMPLE[20:30]]
    spare[0]["经度"], spare[0]["纬度"] = spare[0]["纬度"], spare[0]["经度"]  # swapped
    spare[1]["纬度"] = "北纬37.4度"  # text
    spare[2]["服务设施"] = "热水、游泳池"  # unknown amenity
    spare[3]["开放时间"] = "周一至周五 9点-17点"  # bad hours
    spare[4]["编码"] = good[1]["编码"]  # the code of row 3 again
    spare[5]["经度"], spare[5]["纬度"] = OUTSIDE  # outside the area
    spare[6]["名称"] = '=B2&"驿站"'  # a formula
    spare[7]["名称"] = None  # empty name
    spare[8]["区县"] = "邹平市"  # the point is in 滨城区
    spare[9]["类型"] = "爱心驿站"  # unknown kind
    order = "gg b gg b g b gg b g b gg b g b gg b g b gg b gggg".replace(" ", "")
    goods, bads = iter(good), iter(spare)
    return [next(goods) if kind == "g" else next(bads) for kind in order]


def metres_to(adcode: str, lon: float, lat: float) -> float:
    """Independent distance from a point to a district: the nearest outline point (shapely, degrees),
    then the geodesic to it."""
    outline = shapely.from_wkt(DISTRICTS[adcode].wkt)
    nearest = shapely.ops.nearest_points(outline, shapely.Point(lon, lat))[0]
    return float(GEOD.inv(lon, lat, nearest.x, nearest.y)[2])


def issue(field: str, value: str, zh: str, en: str, column: str | None) -> dict[str, Any]:
    return {"field": field, "column": column, "value": value, "reason_zh": zh, "reason_en": en}


OUTSIDE_ZH = "点位不在服务范围内：不在任何区县内，距所填的滨城区（371602） {d} 米；请核对坐标和坐标系"
OUTSIDE_EN = (
    "the point is outside the area: in no district, {d} m from the stated 滨城区（371602）; "
    "check the coordinates and the crs"
)
MISMATCH_ZH = "点位位于滨城区（371602），不在所填的邹平市（371681）内（相距 {d} 米）；请核对区县或坐标"
MISMATCH_EN = (
    "the point lies in 滨城区（371602）, not in the stated 邹平市（371681） ({d} m away); "
    "check the district or the coordinates"
)
KINDS_ZH = "未知的类型；可选：工会驿站、职工疗休养基地、矛盾纠纷调解中心"
KINDS_EN = "unknown kind; expected one of station, rest_base, mediation_centre"
SWAPPED = (
    "纬度超出范围 [-90, 90]；经纬度可能填反了",
    "latitude outside [-90, 90]; longitude and latitude look swapped",
)
FORMULA = ("公式单元格不被接受，请粘贴为数值", "formula cells are not accepted; paste the values instead")
# fmt: off
EXPECTED_REJECTIONS = {
    4: [issue("lat", repr(SAMPLE[20].lon), *SWAPPED, "纬度")],
    7: [issue("lat", "北纬37.4度", "不是数字", "not a number", "纬度")],
    9: [issue("amenities", "热水、游泳池", "未知的服务设施：游泳池", "unknown amenity: 游泳池", "服务设施")],
    12: [issue("opening_hours", "周一至周五 9点-17点", HOURS_ZH, HOURS_EN, "开放时间")],
    14: [issue("code", SAMPLE[1].code, "编码与第 3 行重复", "the code repeats row 3", "编码")],
    17: [issue("lon", "117.01, 36.65", OUTSIDE_ZH, OUTSIDE_EN, "经度")],
    19: [issue("name", '=B2&"驿站"', *FORMULA, "名称")],
    22: [issue("name", "", "必填", "required", "名称")],
    24: [issue("district", "邹平市", MISMATCH_ZH, MISMATCH_EN, "区县")],
    27: [issue("kind", "爱心驿站", KINDS_ZH, KINDS_EN, "类型")],
}
# fmt: on


def expected_warnings() -> dict[int, list[dict[str, Any]]]:
    duplicate = issue(
        "name",
        SAMPLE[0].name,
        f"可能与已有设施重复：OLD-0001「{NEAR.name}」，相距 20 米，名称相近",
        f"likely duplicate of OLD-0001 ({NEAR.name}), 20 m away with a similar name",
        "名称",
    )
    return {
        2: [duplicate],
        16: [issue("access_method", "有人值守", *STAFFED, "进入方式")],
        31: [issue("access_method", "有人值守", *STAFFED, "进入方式")],
    }


@pytest.fixture(scope="module", params=["spatialite", "postgis"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with api_on(str(request.param), tmp_path_factory.mktemp("imports"), records=[*SAMPLE[30:], NEAR]) as api:
        yield api


def _distances(rows: list[dict[str, Any]]) -> dict[int, float]:
    """The distances the two database-side reasons state, checked against metres_to within 0.5%."""
    found = {}
    for number, point, adcode in ((17, OUTSIDE, "371602"), (24, (SAMPLE[28].lon, SAMPLE[28].lat), "371681")):
        reason = next(r for r in rows if r["row"] == number)["rejections"][0]["reason_en"]
        stated = float(re.search(r"([\d,]+) m", reason)[1].replace(",", ""))  # type: ignore[index]
        assert stated == pytest.approx(metres_to(adcode, *point), rel=5e-3)
        found[number] = stated
    return found


def test_the_fixture_gives_exactly_the_expected_report(api: Api) -> None:
    response = api.upload("admin", "台账.xlsx", as_xlsx(fixture_rows()), crs="wgs84", dry_run=True)
    assert response.status_code == 200, response.text
    body = response.json()
    distances = _distances(body["rows"])
    rejections, warnings = EXPECTED_REJECTIONS, expected_warnings()
    codes = [r["编码"] for r in fixture_rows()]
    for row in body["rows"]:
        number = row["row"]
        expected = [
            {
                **i,
                "reason_zh": i["reason_zh"].format(d=f"{distances.get(number, 0):,.0f}"),
                "reason_en": i["reason_en"].format(d=f"{distances.get(number, 0):,.0f}"),
            }
            for i in rejections.get(number, [])
        ]
        assert row["rejections"] == expected, number
        assert row["warnings"] == warnings.get(number, []), number
        assert row["status"] == ("rejected" if number in rejections else "created"), number
        assert row["code"] == codes[number - 2]
    assert [r["row"] for r in body["rows"]] == list(range(2, 32))
    assert body["totals"] == {"rows": 30, "created": 20, "updated": 0, "unchanged": 0, "rejected": 10, "warnings": 3}
    assert (body["format"], body["encoding"], body["crs"], body["dry_run"], body["committed"]) == (
        "xlsx",
        None,
        "wgs84",
        True,
        False,
    )
    assert body["columns"]["district"] == "区县" and body["unknown_columns"] == []


def test_a_refused_commit_changes_nothing(api: Api) -> None:
    before, revision = table_state(api.engine), data_revision(api.engine)
    response = api.upload("admin", "台账.xlsx", as_xlsx(fixture_rows()), crs="wgs84")
    assert response.status_code == 422
    body = response.json()
    assert body["detail"][0]["type"] == "import_rejected" and "nothing was written" in body["detail"][0]["msg"]
    assert body["totals"]["rejected"] == 10 and body["committed"] is False and body["batch_id"] is None
    assert len(body["rows"]) == 30 and body["dry_run"] is False
    assert table_state(api.engine) == before and data_revision(api.engine) == revision


def test_the_gbk_csv_variant_gives_the_same_report(api: Api) -> None:
    rows = fixture_rows()
    xlsx = api.upload("admin", "台账.xlsx", as_xlsx(rows), crs="wgs84", dry_run=True).json()
    gbk = api.upload("admin", "台账.csv", as_csv(rows, "gbk"), crs="wgs84", dry_run=True).json()
    assert gbk["encoding"] == "gb18030" and gbk["format"] == "csv"
    assert gbk["rows"] == xlsx["rows"] and gbk["totals"] == xlsx["totals"]


def test_roles(api: Api) -> None:
    data = as_xlsx(fixture_rows())
    anonymous = api.upload(None, "台账.xlsx", data, crs="wgs84", dry_run=True)
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    assert api.upload("viewer", "台账.xlsx", data, crs="wgs84", dry_run=True).status_code == 403
    own = api.upload("editor", "台账.xlsx", data, crs="wgs84", dry_run=True).json()
    assert own["totals"]["created"] == 20  # every good row is in 滨城区, the editor's district
    other = api.upload("other", "台账.xlsx", data, crs="wgs84", dry_run=True).json()
    assert other["totals"]["created"] == 0 and other["totals"]["rejected"] == 30
    reasons = [i["reason_en"] for r in other["rows"] for i in r["rejections"] if i["field"] == "district"]
    assert "you may not write facilities of 滨城区（371602） (yours: 沾化区（371603）)" in reasons
    query = api.client.post(f"/api/v1/imports?token={api.keys['admin']}", files={"file": ("x.csv", b"a")})
    assert query.status_code == 400 and query.json()["detail"][0]["loc"] == ["query", "token"]


def test_form_fields_are_checked(api: Api) -> None:
    data = as_xlsx(fixture_rows()[:1])
    cases = [
        ({"crs": "wgs84", "dryrun": "true"}, ["body", "dryrun"]),  # a typo must not commit
        ({"crs": "gcj-03"}, ["body", "crs"]),
        ({"crs": "", "dry_run": "true"}, ["body", "crs"]),
        ({"crs": "wgs84", "dry_run": "maybe"}, ["body", "dry_run"]),
        ({"crs": "wgs84", "dry_run": "true", "mapping": "[1]"}, ["body", "mapping"]),
        ({"crs": "wgs84", "dry_run": "true", "mapping": '{"no such column": "name"}'}, ["body", "mapping"]),
    ]
    for fields, loc in cases:
        response = api.upload("admin", "x.xlsx", data, **fields)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == loc, (fields, response.text)
    no_file = api.client.post("/api/v1/imports", headers=api.headers("admin"), data={"crs": "wgs84"})
    assert no_file.status_code == 415  # not multipart at all
    json_body = api.client.post("/api/v1/imports", headers=api.headers("admin"), json={"crs": "wgs84"})
    assert json_body.status_code == 415


def test_a_mapping_names_unusual_headers(api: Api) -> None:
    record = SAMPLE[0]
    csv = f"站号,站名,种类,县,X坐标,Y坐标\nMAP-1,{record.name}甲,station,滨城区,{record.lon},{record.lat}\n"
    mapping = '{"站号": "code", "站名": "name", "种类": "kind", "县": "district", "X坐标": "lon", "Y坐标": "lat"}'
    body = api.upload("admin", "x.csv", csv.encode(), crs="wgs84", dry_run=True, mapping=mapping).json()
    assert body["totals"]["created"] == 1 and body["columns"]["lon"] == "X坐标"


def test_a_commit_is_stored_linked_and_reaches_the_nearest_answer(api: Api) -> None:
    fresh = [r.model_copy(update={"code": f"NEW-{i}", "lon": r.lon + 0.0005}) for i, r in enumerate(SAMPLE[:3])]
    rows = [typed(r, NAMES) for r in fresh]
    revision = data_revision(api.engine)
    response = api.upload("editor", "新站.xlsx", as_xlsx(rows), crs="wgs84")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["committed"] and body["totals"]["created"] == 3 and body["batch_id"]
    assert all(row["facility_id"] for row in body["rows"])
    assert data_revision(api.engine) > revision
    stored = api.get(f"/api/v1/imports/{body['batch_id']}", "viewer")
    assert stored.status_code == 200 and stored.json() == body
    assert api.get(f"/api/v1/imports/{body['batch_id']}").status_code == 401
    assert api.get("/api/v1/imports/999999", "viewer").status_code == 404
    api.client.app.state.nearest.refresh()  # what the lifespan's poller does every GEO_INDEX_REFRESH_S
    nearest = api.get("/api/v1/facilities/nearest", lon=fresh[1].lon, lat=fresh[1].lat, limit=1).json()
    assert nearest["features"][0]["properties"]["code"] == "NEW-1"
    assert stored_records(api.engine)["NEW-1"]["name"] == fresh[1].name
