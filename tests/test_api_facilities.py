"""GET /api/v1/facilities on both backends, checked against the sample file itself."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from geo_service.data_files import SAMPLE_FACILITIES
from geo_service.vocab import SAMPLE_LABEL
from tests.databases import DATA_DIR

SAMPLE = json.loads((DATA_DIR / SAMPLE_FACILITIES).read_text(encoding="utf-8"))["features"]
BOUNDARIES = json.loads((DATA_DIR / "boundaries" / "binzhou.geojson").read_text(encoding="utf-8"))["features"]
DISTRICT_NAMES = {
    f["properties"]["adcode"]: f["properties"]["name"] for f in BOUNDARIES if f["properties"]["level"] == "district"
}


def _all_pages(client, **params) -> list[dict]:
    features, url, query = [], "/api/v1/facilities", {"limit": 100, **params}
    while url:
        body = client.get(url, params=query).json()
        features += body["features"]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        query = None
    return features


def test_lists_every_sample_facility_with_district_names(client) -> None:
    response = client.get("/api/v1/facilities", params={"limit": 500})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == body["numberReturned"] == len(SAMPLE)
    by_code = {f["properties"]["code"]: f for f in SAMPLE}
    for feature in body["features"]:
        props = feature["properties"]
        source = by_code[props["code"]]
        assert feature["id"] == props["id"]
        assert props["district"] == DISTRICT_NAMES[source["properties"]["district_adcode"]]
        assert props["district_code"] == source["properties"]["district_adcode"]
        assert feature["geometry"]["coordinates"] == pytest.approx(source["geometry"]["coordinates"], abs=1e-9)
        assert props["is_sample"] is True and props["sample_label"] == SAMPLE_LABEL


def test_paging_follows_next_links_without_gaps_or_repeats(client) -> None:
    features = _all_pages(client)
    ids = [f["id"] for f in features]
    assert len(ids) == len(set(ids)) == len(SAMPLE)
    assert ids == sorted(ids)


@pytest.mark.parametrize("district", ["371681", "邹平市"])
def test_filter_by_district_code_or_name(client, district: str) -> None:
    expected = sum(1 for f in SAMPLE if f["properties"]["district_adcode"] == "371681")
    features = _all_pages(client, district=district)
    assert len(features) == expected
    assert {f["properties"]["district"] for f in features} == {"邹平市"}


def test_filter_by_repeated_kind(client) -> None:
    counts = Counter(f["properties"]["kind"] for f in SAMPLE)
    features = _all_pages(client, kind=["rest_base", "mediation_centre"])
    assert Counter(f["properties"]["kind"] for f in features) == {
        "rest_base": counts["rest_base"],
        "mediation_centre": counts["mediation_centre"],
    }


def test_filter_by_status(client) -> None:
    expected = sum(1 for f in SAMPLE if f["properties"]["status"] == "open")
    assert len(_all_pages(client, status="open")) == expected


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"kind": "spaceport"}, "kind"),
        ({"district": "朝阳区"}, "district"),
        ({"status": "gone"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_bad_parameters_are_422_naming_the_parameter(client, params: dict, parameter: str) -> None:
    response = client.get("/api/v1/facilities", params=params)
    assert response.status_code == 422
    assert [d["loc"] for d in response.json()["detail"]] == [["query", parameter]]
