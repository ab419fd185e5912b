"""`GET /api/v1/exports/facilities.{fmt}` on both backends, and the round trip that proves the formats:
the sample exported from one database and imported into an empty one (boundaries only) reproduces
every facility exactly (codes, coordinates to 1e-7°, every attribute), in every format and language."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from geo_service.app import create_app
from geo_service.db.models import Facility
from geo_service.interchange import MEDIA_TYPES
from geo_service.settings import Settings
from tests.importing import Api, api_on, same_facilities, stored_records

ROUND_TRIPS = [("geojson", "zh"), ("csv", "zh"), ("csv", "en"), ("xlsx", "zh"), ("xlsx", "en"), ("gpkg", "zh")]
ROUND_TRIPS += [("kml", "zh")]


@pytest.fixture(scope="module", params=["spatialite", "postgis"])
def source(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Api]]:
    with api_on(str(request.param), tmp_path_factory.mktemp("export"), sample=True) as api:
        yield str(request.param), api


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(("fmt", "lang"), ROUND_TRIPS)
def test_export_then_import_reproduces_every_facility(
    source: tuple[str, Api], tmp_path: Path, fmt: str, lang: str
) -> None:
    backend, api = source
    exported = api.get(f"/api/v1/exports/facilities.{fmt}", "viewer", lang=lang)
    assert exported.status_code == 200, exported.text[:300]
    with api_on(backend, tmp_path) as target:
        response = target.upload("admin", f"facilities.{fmt}", exported.content, crs="wgs84")
        assert response.status_code == 200, response.text[:500]
        body = response.json()
        assert body["totals"]["created"] == 308 and body["totals"]["rejected"] == 0 and body["unknown_columns"] == []
        same_facilities(stored_records(target.engine), stored_records(api.engine))
        again = target.upload("admin", f"facilities.{fmt}", exported.content, crs="wgs84", dry_run=True).json()
        assert again["totals"]["unchanged"] == 308  # the import reads its own export as no change


def test_files_are_named_typed_and_attached(source: tuple[str, Api]) -> None:
    _, api = source
    matched = api.get("/api/v1/facilities", district="滨城区", limit=1).json()["numberMatched"]
    for fmt, media_type in MEDIA_TYPES.items():
        response = api.get(f"/api/v1/exports/facilities.{fmt}", district="滨城区")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media_type.split(";")[0])
        disposition = response.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="facilities-371602-') and disposition.endswith(f'.{fmt}"')
        assert int(response.headers["x-total-count"]) == matched


def test_the_list_filters_apply(source: tuple[str, Api]) -> None:
    _, api = source
    listed = api.get("/api/v1/facilities", district="滨城区", kind="station", status="open", limit=500).json()
    rows = csv_rows(api.get("/api/v1/exports/facilities.csv", district="滨城区", kind="station", status="open").content)
    assert [r["编码"] for r in rows] == [f["properties"]["code"] for f in listed["features"]]
    assert len(rows) == listed["numberMatched"] > 0
    found = csv_rows(api.get("/api/v1/exports/facilities.csv", q="S0001", lang="en").content)
    assert found and all("S0001" in r["code"] for r in found)
    boxed = csv_rows(api.get("/api/v1/exports/facilities.csv", bbox="117.9,37.3,118.1,37.5", lang="en").content)
    assert boxed and all(117.9 <= float(r["lon"]) <= 118.1 and 37.3 <= float(r["lat"]) <= 37.5 for r in boxed)
    assert api.get("/api/v1/exports/facilities.csv", lang="fr").status_code == 422
    assert api.get("/api/v1/exports/facilities.csv", kind="kiosk").status_code == 422
    assert api.get("/api/v1/exports/facilities.pdf").status_code == 422
    refused = api.get("/api/v1/exports/facilities.csv", token=api.keys["viewer"])
    assert refused.status_code == 400 and refused.json()["detail"][0]["loc"] == ["query", "token"]


def test_the_public_gets_the_public_fields_and_viewers_add_source(source: tuple[str, Api]) -> None:
    _, api = source
    public = csv_rows(api.get("/api/v1/exports/facilities.csv", lang="en").content)
    viewer = csv_rows(api.get("/api/v1/exports/facilities.csv", "viewer", lang="en").content)
    assert {r["source"] for r in public} == {""}
    assert all(r["source"].startswith("synthetic:") for r in viewer)
    assert [{k: v for k, v in r.items() if k != "source"} for r in public] == [
        {k: v for k, v in r.items() if k != "source"} for r in viewer
    ]
    assert any(r["phone"] for r in public) and {r["is_sample"] for r in public} == {"true"}


def test_exports_are_capped_and_skip_deleted_rows(source: tuple[str, Api]) -> None:
    _, api = source
    url = api.engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(Settings(db_url=url, export_max_rows=10))) as small:
        refused = small.get("/api/v1/exports/facilities.xlsx")
        assert refused.status_code == 422 and refused.json()["detail"][0]["type"] == "export_too_large"
        assert "308" in refused.json()["detail"][0]["msg"]
        assert small.get("/api/v1/exports/facilities.xlsx", params={"q": "S0001"}).status_code == 200
    code = csv_rows(api.get("/api/v1/exports/facilities.csv", lang="en").content)[-1]["code"]
    with api.engine.begin() as conn:
        conn.execute(update(Facility).where(Facility.code == code).values(deleted_at=datetime.now(UTC)))
    try:
        assert code not in {r["code"] for r in csv_rows(api.get("/api/v1/exports/facilities.csv", lang="en").content)}
    finally:
        with api.engine.begin() as conn:
            conn.execute(update(Facility).where(Facility.code == code).values(deleted_at=None))
