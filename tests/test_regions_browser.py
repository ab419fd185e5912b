"""An imported region (the EPSG:3857 Helsinki fixture) in real headless Chromium on both backends: the
public map frames the region's own units, says it is empty until facilities arrive, then shows them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pytest

from geo_service.db.engine import make_engine
from geo_service.queries.facilities import insert_facilities
from geo_service.records import FacilityRecord
from geo_service.services import regions, setup
from geo_service.settings import Settings
from tests import browser
from tests.databases import BACKENDS, new_database

FIXTURE = Path(__file__).parent / "fixtures" / "helsinki_units_3857.geojson"
FIELDS = regions.FileFields(name="nimi", code="tunnus")


@dataclass(frozen=True)
class Region:
    base: str
    db_url: str
    backend: str


@pytest.fixture(scope="module", params=BACKENDS)
def region(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Region]:
    browser.require_chromium()
    with new_database(str(request.param), tmp_path_factory.mktemp("region")) as url:
        engine = make_engine(Settings(db_url=url))
        setup.upgrade_schema(engine)
        setup.load_region(engine, regions.from_file(FIXTURE, FIELDS, code="HEL", name="Helsinki"))
        engine.dispose()
        with browser.serve(url, map_basemap="none") as base:
            yield Region(base, url, str(request.param))


def _centre(page) -> list[float]:
    return page.evaluate("() => { const c = GeoMaps.state().map.getCenter(); return [c.lat, c.lng]; }")


def test_public_map_centres_on_the_imported_region(context, region: Region) -> None:
    west, south, east, north = gpd.read_file(FIXTURE).to_crs(4326).total_bounds
    expected = [(south + north) / 2, (west + east) / 2]
    empty = browser.open_page(context, f"{region.base}/maps/public")
    assert empty.page.locator(".gm-empty-region").inner_text().startswith("Helsinki还没有服务设施")
    assert _centre(empty.page) == pytest.approx(expected, abs=1e-3)
    browser.screenshot(empty, f"region-empty-{region.backend}")
    empty.page.close()
    units = gpd.read_file(FIXTURE).to_crs(4326)
    engine = make_engine(Settings(db_url=region.db_url))
    with engine.begin() as conn:
        insert_facilities(
            conn,
            [
                FacilityRecord(
                    code=f"HEL-B{i}", kind="station", name=f"Asema {i}", district_adcode=code, lon=p.x, lat=p.y
                )
                for i, (code, p) in enumerate(zip(units["tunnus"], units.geometry.representative_point(), strict=True))
            ],
        )
    engine.dispose()
    shown = browser.open_page(context, f"{region.base}/maps/public?lang=en")
    page = shown.page
    page.wait_for_function("() => document.querySelectorAll('.leaflet-marker-icon').length >= 3")
    assert page.locator(".gm-empty-region").count() == 0
    assert _centre(page) == pytest.approx(expected, abs=1e-3)
    browser.screenshot(shown, f"region-helsinki-{region.backend}")
    assert shown.errors == [] and shown.external == []
    page.close()
