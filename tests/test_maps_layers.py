"""Map layers and page parts that need no database: escaping, symbols, labels, classes, CRS shift."""

from __future__ import annotations

import inspect
import json
import re
from functools import cached_property
from types import SimpleNamespace

import numpy as np
import pytest
import shapely

from geo_layers import station_density, suggested_sites
from geo_layers.display import display_geometry, display_points
from geo_layers.element import ScriptCall
from geo_layers.escape import html_text, script_json
from geo_layers.facility_markers import navigation_templates
from geo_layers.navigation import encode_label, format_point, navigation_links
from geo_layers.registry import LAYERS, REGISTRY
from geo_layers.spec import Source
from geo_layers.symbols import ACCESS_ICONS, AMENITY_ICONS, KIND_STYLES
from geo_layers.units import distance_text
from geo_service import vocab
from geo_service.analysis.crs import wgs84_to_gcj02
from geo_service.errors import InvalidParameter
from geo_service.maps.basemaps import basemap, tile_layers
from geo_service.maps.compose import chosen_layers
from geo_service.maps.i18n import LABELS, STRINGS
from geo_service.maps.sources import Sources
from geo_service.settings import Settings

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "${alert(1)}",
    "`);alert(1);//",
    "</script><script>alert(1)</script>",
    "<!-- '\"&\u2028\u2029",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_script_json_round_trips_and_contains_nothing_that_breaks_out(payload: str) -> None:
    encoded = script_json({"name": payload, "nested": [payload]})
    assert json.loads(encoded) == {"name": payload, "nested": [payload]}
    assert not re.search(r"[<>&'`$\u2028\u2029]", encoded)


def test_html_text_escapes_markup_and_quotes() -> None:
    assert html_text('<a href="x">') == "&lt;a href=&quot;x&quot;&gt;"


def test_script_call_embeds_escaped_config_and_rejects_bad_function_names() -> None:
    call = ScriptCall("addLayer", {"title": PAYLOADS[3]})
    assert "</script>" not in call.config
    with pytest.raises(ValueError, match="function name"):
        ScriptCall("x);alert(1", {})


def test_registry_is_frozen_and_titles_exist_in_both_languages() -> None:
    with pytest.raises(TypeError):
        REGISTRY["x"] = REGISTRY["facilities"]  # type: ignore[index]
    assert set(REGISTRY) >= {"facilities", "districts", "service_areas", "station_density", "gaps", "suggested_sites"}
    for spec in REGISTRY.values():
        assert spec.title("zh", radius_m=1000, radius="1 公里", count=10)
        assert spec.title("en", radius_m=1000, radius="1 km", count=10)
    radius = distance_text(1500, STRINGS["en"])
    assert REGISTRY["service_areas"].title("en", radius_m=1500, radius=radius) == "Service radius 1.5 km"


#: metres → the page's words, one unit style per language (the page script writes the same: test_maps_browser)
DISTANCES = [
    (0, "0 米", "0 m"),
    (12.4, "12 米", "12 m"),
    (850, "850 米", "850 m"),
    (999.4, "999 米", "999 m"),
    (999.5, "1 公里", "1 km"),
    (1000, "1 公里", "1 km"),
    (1049, "1 公里", "1 km"),
    (1050, "1.1 公里", "1.1 km"),
    (2300, "2.3 公里", "2.3 km"),
    (12_345, "12.3 公里", "12.3 km"),
    (99_949, "99.9 公里", "99.9 km"),
    (99_950, "100 公里", "100 km"),
    (186_400, "186 公里", "186 km"),
]


@pytest.mark.parametrize(("metres", "zh", "en"), DISTANCES)
def test_one_unit_style_per_language(metres: float, zh: str, en: str) -> None:
    assert distance_text(metres, STRINGS["zh"]) == zh
    assert distance_text(metres, STRINGS["en"]) == en


def _ids(specs: list) -> list[str]:
    return [spec.id for spec in specs]


def test_pages_draw_the_layers_they_offer_in_drawing_order() -> None:
    assert _ids(chosen_layers("public", None)) == ["districts", "facilities"]
    assert _ids(chosen_layers("coverage", None)) == [
        "station_density",
        "gaps",
        "districts",
        "service_areas",
        "suggested_sites",
        "facilities",
    ]
    asked = ["facilities", "suggested_sites", "distance_grid"]
    assert _ids(chosen_layers("coverage", asked)) == ["distance_grid", "suggested_sites", "facilities"]
    assert _ids(chosen_layers("public", [])) == ["districts", "facilities"]
    with pytest.raises(InvalidParameter) as error:
        chosen_layers("public", ["districts", "gaps"])
    assert error.value.parameter == "layers" and "['gaps']" in error.value.message


def test_every_source_a_layer_names_is_a_cached_property_of_sources() -> None:
    assert [spec.id for spec in LAYERS] == list(REGISTRY) and len(set(REGISTRY)) == len(LAYERS)
    for source in Source:
        assert isinstance(inspect.getattr_static(Sources, source.value), cached_property), source
    assert {spec.source for spec in LAYERS} == set(Source)  # no source loaded for nobody
    assert all(spec.pages for spec in LAYERS)


def test_tooltips_fill_the_page_strings() -> None:
    district = {"name": "滨城区", "population": 684_000, "population_year": 2020}
    assert station_density.density_lines(district, 12, 0.1754, STRINGS["zh"]) == [
        "滨城区",
        "12 个驿站",
        "常住人口 68.4 万（2020 年）",
        "每万人 0.18 个驿站",
    ]
    unknown = {"name": "Zhanhua", "population": None, "population_year": None}
    assert station_density.density_lines(unknown, 3, None, STRINGS["en"]) == [
        "Zhanhua",
        "3 stations",
        "no population figure",
    ]


def test_district_and_site_tooltips_say_coverage_and_place() -> None:
    figures = {"covered_area_pct": 12.34, "demand_covered_pct": 40.0, "area_km2": 100.0, "covered_km2": 12.34}
    figures |= {"demand": 1000.0, "demand_covered": 400.0}
    assert station_density.coverage_lines(figures, 3, STRINGS["zh"]) == [
        "面积覆盖 12.3%",
        "需求覆盖 40.0%",
        "空白面积 87.7 平方公里",
        "未覆盖需求约 600 人",
        "建议新址 3 处",
    ]
    assert station_density.coverage_lines(None, None, STRINGS["en"]) == []
    place = SimpleNamespace(
        district_name="滨城区",
        township=None,
        nearest_name="市中街道驿站",
        nearest_address="黄河五路 1 号",
        nearest_township="市中街道",
        nearest_distance_m=1234.0,
    )
    site = SimpleNamespace(rank=2, gain_demand=4321.0, gain_area_km2=3.14159, place=place)
    assert suggested_sites.site_lines(site, STRINGS["zh"]) == [
        "建议新址 #2",
        "区县：滨城区",
        "乡镇：数据中无乡镇边界（最近设施位于 市中街道）",
        "最近已有设施（地址参考）：市中街道驿站，黄河五路 1 号，相距 1.2 公里",
        "新增覆盖需求约 4,321 人",
        "新增覆盖面积 3.14 平方公里",
    ]
    near = SimpleNamespace(**(vars(place) | {"nearest_distance_m": 850.4}))
    assert suggested_sites.place_lines(near, STRINGS["en"])[-1] == (
        "Nearest existing facility (address for reference): 市中街道驿站, 黄河五路 1 号, 850 m away"
    )


def test_every_code_has_a_symbol_and_an_english_label() -> None:
    assert set(KIND_STYLES) == set(vocab.KINDS) == set(LABELS["en"]["kinds"])
    assert set(AMENITY_ICONS) == set(vocab.AMENITIES) == set(LABELS["en"]["amenities"])
    assert set(ACCESS_ICONS) == set(vocab.ACCESS_METHODS) == set(LABELS["en"]["access"])
    assert set(LABELS["en"]["statuses"]) == set(vocab.STATUSES)
    assert set(STRINGS["zh"]) == set(STRINGS["en"])


def test_navigation_templates_filled_like_the_page_script_give_the_api_links() -> None:
    name, lon, lat = "滨城区 驿站,一号|东", 117.974836, 37.379995
    templates = navigation_templates("geo_service")
    filled = {
        vendor: url.replace("{lon}", f"{lon:.6f}").replace("{lat}", f"{lat:.6f}").replace("{label}", encode_label(name))
        for vendor, url in templates.items()
    }
    expected = navigation_links(format_point(lon, lat), encode_label(name), mode="ride", app="geo_service")
    assert filled == {vendor: expected[vendor] for vendor in filled}


def test_class_breaks_are_round_and_cover_the_largest_value() -> None:
    assert station_density.class_breaks([0.12, 0.76, 0.4]) == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert station_density.class_breaks([]) == [0.2, 0.4, 0.6, 0.8, 1.0]
    breaks = station_density.class_breaks([37.0])
    assert breaks[-1] >= 37 and breaks[0] == 10
    assert station_density.color_for(None, breaks) == station_density.NO_DATA
    assert station_density.color_for(0.0, breaks) == station_density.COLORS[0]


def test_amap_display_shift_is_the_gcj02_formula() -> None:
    lon, lat = np.array([117.97, 118.3]), np.array([37.38, 37.1])
    shifted = display_points(lon, lat, "gcj02")
    expected = wgs84_to_gcj02(lon, lat)
    assert np.allclose(shifted, expected, atol=1e-6)
    assert np.array_equal(display_points(lon, lat, "wgs84")[0], lon)
    square = shapely.box(117.9, 37.3, 118.0, 37.4)
    moved = display_geometry(square, "gcj02")
    assert moved.bounds[0] == pytest.approx(float(wgs84_to_gcj02(117.9, 37.3)[0]), abs=1e-6)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"map_basemap": "amap"},
        {"map_basemap": "tianditu", "map_tianditu_key": "abc123"},
        {"map_osm_tile_url": "https://tiles.example/{z}/{x}/{-y}.png"},  # TMS: a provider would fill {-y}
        {"map_osm_tile_url": "https://tiles.example/{z}/{x}/{y}.png?style=}"},
    ],
)
def test_tile_layers_carry_the_configured_urls_and_attributions(overrides: dict[str, str]) -> None:
    """Handed to folium as xyzservices providers (no search of the provider list per page), the layers
    still load exactly the configured tiles."""
    base = basemap(Settings(**overrides))
    layers = tile_layers(base)
    assert [layer.tiles for layer in layers] == [tiles.url for tiles in base.tiles]
    assert [layer.options["attribution"] for layer in layers] == [tiles.attribution for tiles in base.tiles]
    assert [layer.options["subdomains"] for layer in layers] == [tiles.subdomains for tiles in base.tiles]
