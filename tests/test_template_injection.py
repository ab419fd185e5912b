"""Text from the database that looks like template code stays text on every page (both backends).

Facility and district names go into pages built with folium and branca, whose `Element(html)` compiles its
argument as a Jinja template: a name holding `{{ … }}` ran as code on the server (`{{ 'x' * 3 }}` became
`xxx`, and Jinja's expressions reach Python's objects). The pages must show the characters as written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import update

from geo_service.app import create_app
from geo_service.db.engine import make_engine
from geo_service.db.models import District
from geo_service.records import FacilityRecord
from geo_service.settings import Settings
from tests.databases import BACKENDS, loaded_database

EXPRESSION = "{{ 'x' * 3 }}RAN"  # run as a template, it reads xxxRAN
STATEMENT = "{% if 1 %}TPL{% endif %}"  # run as a template, it reads TPL without its braces
NAME = f"驿站{EXPRESSION}{STATEMENT}"
LON, LAT = 117.9601, 37.4201


@pytest.fixture(scope="module", params=BACKENDS)
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    record = FacilityRecord(
        code="T-TEMPLATE", kind="station", name=NAME, address=NAME, township=NAME, district_adcode="371602",
        lon=LON, lat=LAT, opening_hours="24/7",
    )  # fmt: skip
    with loaded_database(str(request.param), tmp_path_factory.mktemp("tpl"), [record]) as url:
        engine = make_engine(Settings(db_url=url))
        with engine.begin() as conn:
            conn.execute(update(District).where(District.adcode == "371602").values(name=f"滨城区{EXPRESSION}"))
        engine.dispose()
        with TestClient(create_app(Settings(db_url=url, heavy_in_processes=False, heavy_prewarm=False))) as c:
            yield c


@pytest.mark.parametrize(
    "path",
    [
        f"/maps/nearby?lon={LON}&lat={LAT}",
        f"/embed/nearby?lon={LON}&lat={LAT}",
        "/maps/public",
        "/maps/coverage?count=2",
        "/maps/route",
        "/ogc/collections/facilities/items?f=html&filter=code%3D%27T-TEMPLATE%27",
    ],
)
def test_template_syntax_in_names_is_shown_not_run(client: TestClient, path: str) -> None:
    body = client.get(path)
    assert body.status_code == 200, body.text[:300]
    assert "xxxRAN" not in body.text
    assert "RANTPL" not in body.text  # the statement run: TPL right after the expression


def test_the_first_nearest_answer_carries_the_name_as_written(client: TestClient) -> None:
    page = client.get(f"/maps/nearby?lon={LON}&lat={LAT}").text
    assert NAME in page  # in the page's JSON block, character for character


@pytest.mark.parametrize("field", ["map_osm_tile_url", "map_tianditu_review_number"])
@pytest.mark.parametrize("code", ["{{1}}", "{%if%}", "{#x#}"])
def test_settings_folium_renders_refuse_template_syntax(field: str, code: str) -> None:
    """The tile layer's URL and attribution go through folium's own templates: refused at start-up."""
    value = f"https://tiles.example/{code}/{{z}}/{{x}}/{{y}}.png" if field == "map_osm_tile_url" else f"GS{code}"
    with pytest.raises(ValidationError, match="template code"):
        Settings(**{field: value})
    assert Settings(map_osm_tile_url="https://tiles.example/{z}/{x}/{y}.png").map_osm_tile_url.endswith("{y}.png")
