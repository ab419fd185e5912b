"""The plan request as one typed spec: GeoJSON validated by geojson-pydantic (one error per field), then
read into arrays with the checks a schema cannot make; hand-written inputs and answers, no database."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from geo_service.errors import InvalidParameter
from geo_service.services import point_input
from geo_service.services.planning import PlanSpec, SuggestedSite
from geo_service.services.point_input import read_area, read_points
from geo_service.services.study_area import presets_help


def _points(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def _point(lon: float, lat: float, **extra: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, **extra}


def test_points_are_read_with_their_weights_and_properties() -> None:
    demand = _points(
        _point(118.0, 37.0, properties={"weight": 2.5, "name": "甲"}),
        _point(118.1, 37.1),  # no properties: weight 1
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [118.2, 37.2, 9.0]}, "properties": None},
        _point(118.3, 37.3, properties={"weight": "4"}),  # a number written as text, as before
    )
    spec = PlanSpec.model_validate({"count": 1, "demand": demand})
    assert spec.demand is not None
    points = read_points(spec.demand, "demand", weight_key="weight")
    np.testing.assert_array_equal(points.lonlat, [[118.0, 37.0], [118.1, 37.1], [118.2, 37.2], [118.3, 37.3]])
    np.testing.assert_array_equal(points.weights, [2.5, 1.0, 1.0, 4.0])
    assert points.properties == [{"weight": 2.5, "name": "甲"}, {}, {}, {"weight": "4"}]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"demand": {"type": "Feature"}}, "type: Input should be 'FeatureCollection'; features: Field required"),
        (
            {"candidates": _points({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[1, 2]]}})},
            "features.0.geometry.type: Input should be 'Point'",
        ),
        ({"candidates": _points({"type": "Feature", "geometry": None})}, "features.0.geometry"),
        ({"demand": _points(_point(118, 37, properties=[1]))}, "features.0.properties"),
        ({"area": {"type": "Point", "coordinates": [118, 37]}}, "'Polygon', 'MultiPolygon'"),
        (
            {"area": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}},
            "same start and end coordinates",
        ),
    ],
)
def test_bad_geojson_is_one_error_naming_the_field(body: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        PlanSpec.model_validate({"count": 1, **body})
    (error,) = caught.value.errors()
    assert error["loc"] == (next(iter(body)),)
    assert error["msg"].startswith("不是有效的 GeoJSON (not valid GeoJSON): ") and fragment in error["msg"]


def test_many_bad_features_give_a_short_message() -> None:
    bad = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}}
    with pytest.raises(ValidationError) as caught:
        PlanSpec.model_validate({"count": 1, "candidates": _points(*[bad] * 12)})
    message = caught.value.errors()[0]["msg"]
    assert message.count("features.") == 10 and message.endswith("(+2 more)")
    assert "features.9.geometry.type" in message and "features.10" not in message


@pytest.mark.parametrize(
    ("features", "weight_key", "message"),
    [
        ([_point(118, 37), _point(118, 37, properties={"weight": -2})], "weight", "feature 1: weight must be finite"),
        ([_point(118, 37, properties={"weight": "many"})], "weight", "feature 0: weight must be a number"),
        ([_point(200, 37)], None, "feature 0: (200.0, 37.0) is not a WGS-84 lon/lat"),
        ([_point(118, 95)], None, "feature 0: (118.0, 95.0) is not a WGS-84 lon/lat"),
        ([], None, "has no features"),
    ],
)
def test_what_a_schema_cannot_say_is_checked_when_read(
    features: list[dict[str, Any]], weight_key: str | None, message: str
) -> None:
    spec = PlanSpec.model_validate({"count": 1, "demand": _points(*features)})
    assert spec.demand is not None
    with pytest.raises(InvalidParameter) as caught:
        read_points(spec.demand, "demand", weight_key=weight_key)
    assert caught.value.parameter == "demand" and caught.value.message.startswith(message)


def test_too_many_points_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(point_input, "MAX_POINTS", 3)
    spec = PlanSpec.model_validate({"count": 1, "candidates": _points(*[_point(118, 37)] * 4)})
    assert spec.candidates is not None
    with pytest.raises(InvalidParameter, match="has 4 features; at most 3"):
        read_points(spec.candidates, "candidates")


@pytest.mark.parametrize(
    ("area", "message"),
    [
        (
            {
                "type": "Polygon",
                "coordinates": [[[117.5, 37.5], [117.7, 37.7], [117.7, 37.5], [117.5, 37.7], [117.5, 37.5]]],
            },
            "is not a valid polygon: Self-intersection",
        ),
        (
            {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]], []]},
            "is not a GeoJSON geometry",
        ),
        ({"type": "Polygon", "coordinates": []}, "must be a non-empty Polygon or MultiPolygon"),
        ({"type": "Polygon", "coordinates": [[[170, 0], [190, 0], [190, 1], [170, 0]]]}, "must be WGS-84 lon/lat"),
    ],
)
def test_bad_areas_name_the_field(area: dict[str, Any], message: str) -> None:
    spec = PlanSpec.model_validate({"count": 1, "area": area})
    assert spec.area is not None
    with pytest.raises(InvalidParameter) as caught:
        read_area(spec.area, "area")
    assert caught.value.parameter == "area" and message in caught.value.message


def test_a_drawn_area_is_read_as_the_polygon_drawn() -> None:
    ring = [[117.0, 37.0], [118.0, 37.0], [118.0, 38.0], [117.0, 37.0]]
    spec = PlanSpec.model_validate({"count": 1, "area": {"type": "MultiPolygon", "coordinates": [[ring]]}})
    assert spec.area is not None
    polygon = read_area(spec.area, "area")
    assert polygon.geom_type == "MultiPolygon" and polygon.area == pytest.approx(0.5)


def test_the_schema_documents_the_geojson() -> None:
    schema = PlanSpec.model_json_schema()
    defs = schema["$defs"]
    candidates = next(s["$ref"] for s in schema["properties"]["candidates"]["anyOf"] if "$ref" in s)
    collection = defs[candidates.rsplit("/", 1)[1]]
    assert collection["properties"]["type"]["const"] == "FeatureCollection"
    feature = defs[collection["properties"]["features"]["items"]["$ref"].rsplit("/", 1)[1]]
    assert feature["properties"]["geometry"]["$ref"].endswith("/Point") and "geometry" in feature["required"]
    area = next(s for s in schema["properties"]["area"]["anyOf"] if "oneOf" in s)
    assert {ref["$ref"].rsplit("/", 1)[1] for ref in area["oneOf"]} == {"Polygon", "MultiPolygon"}
    assert schema["properties"]["preset"]["description"].endswith(presets_help())


def test_presets_help_lists_every_preset_with_its_radius() -> None:
    assert presets_help() == "walk-15 (1 km), shandong-urban (500 m), shandong-dense (250 m), ebike-10 (3 km)"


def test_a_site_record_puts_its_figures_first_and_lets_the_candidate_name_itself() -> None:
    site = SuggestedSite(1, 118.0, 37.0, 5.0, 0.5, 20.0, 10.0, candidate={"name": "邮政", "rank": "A"})
    assert site.properties() == {
        "rank": "A",
        "lon": 118.0,
        "lat": 37.0,
        "gain_demand": 5.0,
        "gain_area_km2": 0.5,
        "cumulative_demand_pct": 20.0,
        "cumulative_area_pct": 10.0,
        **dict.fromkeys(["district_adcode", "district_name", "township", "nearest_code", "nearest_name"]),
        **dict.fromkeys(["nearest_address", "nearest_township", "nearest_distance_m"]),
        "name": "邮政",
    }
    assert list(SuggestedSite(2, 0, 0, 0, 0, 0, 0).properties())[-1] == "nearest_distance_m"
