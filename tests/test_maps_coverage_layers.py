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
    assert all(f["properties"]["lines"][0] for f in gaps["features"])


def test_grid_and_suggested_sites_on_request(client) -> None:
    response = client.get("/maps/coverage", params={"layers": "suggested_sites,distance_grid,districts"})
    assert response.status_code == 200
    configs = _layer_configs(response.text)
    assert set(configs) == {"suggested_sites", "distance_grid", "districts"}
    sites = configs["suggested_sites"]["sites"]
    assert len(sites) == 10 and sites[0]["lines"][0].endswith("#1")


def test_unknown_layer_is_422(client) -> None:
    response = client.get("/maps/coverage", params={"layers": "gaps,heatmap"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "layers"]
