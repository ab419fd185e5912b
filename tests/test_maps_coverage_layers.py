"""The planner map shows the coverage results: gaps by default; distance grid and suggested sites on demand."""

from __future__ import annotations

import json
import re

import shapely
from shapely.geometry import shape


def _layer_configs(html: str) -> dict[str, dict]:
    """The JSON configs the page hands to GeoMaps.addLayer, by layer id."""
    decoder, configs = json.JSONDecoder(), {}
    for match in re.finditer(r"GeoMaps\.addLayer\(map_\w+, ", html):
        config, _ = decoder.raw_decode(html, match.end())
        configs[config["id"]] = config
    return configs


def test_gaps_layer_matches_the_gaps_api(client) -> None:
    html = client.get("/maps/coverage", params={"radius_m": 1000}).text
    api = client.get("/api/v1/coverage/gaps", params={"radius_m": 1000}).json()
    gaps = _layer_configs(html)["gaps"]
    # the drawn gaps cover the same area as the API's, up to the ~10 m simplification for the screen
    drawn = shapely.union_all([shape(f["geometry"]) for f in gaps["features"]])
    served = shapely.union_all([shape(f["geometry"]) for f in api["features"]])
    assert abs(drawn.area - served.area) / served.area < 0.01
    # not interactive: a gap's figures are on its district's tooltip, which the gaps must not cover
    assert gaps["interactive"] is False and all(f["properties"]["name"] for f in gaps["features"])
    district_lines = {
        f["properties"]["adcode"]: f["properties"]["lines"] for f in _layer_configs(html)["station_density"]["features"]
    }
    for feature in api["features"]:
        gap = feature["properties"]
        assert f"空白面积 {gap['area_km2']:,.1f} 平方公里" in district_lines[gap["adcode"]]


def test_grid_and_suggested_sites_on_request(client) -> None:
    response = client.get("/maps/coverage", params={"layers": "suggested_sites,distance_grid,districts", "count": 10})
    assert response.status_code == 200
    configs = _layer_configs(response.text)
    assert set(configs) == {"suggested_sites", "distance_grid", "districts"}
    sites = configs["suggested_sites"]["sites"]
    assert len(sites) == 10 and sites[0]["lines"][0].endswith("#1")
    assert sites[0]["lines"][1].startswith("区县：") and sites[0]["lines"][3].startswith("最近已有设施（地址参考）：")


def test_the_planner_map_suggests_65_sites_unless_told_otherwise(client) -> None:
    default = _layer_configs(client.get("/maps/coverage").text)
    assert len(default["suggested_sites"]["sites"]) == 65
    none = _layer_configs(client.get("/maps/coverage", params={"count": 0}).text)
    assert "suggested_sites" not in none and "gaps" in none
    for bad in ({"count": -1}, {"count": 100_000}, {"radius_m": 500, "preset": "walk-15"}):
        response = client.get("/maps/coverage", params=bad)
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"][0] == "query"


def test_unknown_layer_is_422(client) -> None:
    response = client.get("/maps/coverage", params={"layers": "gaps,heatmap"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "layers"]
