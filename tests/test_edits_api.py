"""The facility editing API on both backends: ETags (412 stale, 428 missing), merge-patch semantics and
whole-record validation, coordinates in GCJ-02/BD-09, districts from the point, soft delete and restore,
verification, history, and edits reaching the list and the nearest index."""

from __future__ import annotations

import json
import random
import unicodedata
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import eviltransform
import pytest
from pyproj import Geod
from shapely.geometry import Point, shape

from geo_service.authorization import Principal
from geo_service.queries import facility_edits
from geo_service.services import editing
from geo_service.services.caller import Caller
from tests.databases import BACKENDS, DATA_DIR
from tests.editing_support import OTHER, OWN, POINT, Api, editing_api

GEOD = Geod(ellps="WGS84")
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with editing_api(str(request.param), Path(tmp_path_factory.mktemp("edits"))) as harness:
        yield harness


def _body(**fields: object) -> dict[str, object]:
    lon, lat = POINT[OWN]
    code = f"C-{random.getrandbits(40):010x}"
    return {"code": code, "kind": "station", "name": "新建驿站", "lon": lon, "lat": lat, **fields}


def _get(api: Api, facility_id: int, who: str = "admin"):
    return api.client.get(f"/api/v1/facilities/{facility_id}", headers=api.headers(who))


def _patch(api: Api, facility_id: int, body: dict, who: str = "editor_own", tag: str | None = None):
    tag = api.etag(facility_id) if tag is None else tag
    return api.client.patch(
        f"/api/v1/facilities/{facility_id}", json=body, headers=api.headers(who, **{"If-Match": tag})
    )


def _problems(response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {d["loc"][1]: d["msg"] for d in response.json()["detail"] if d["loc"][0] == "body"}


def _chinese_first(message: str) -> bool:
    return "CJK" in unicodedata.name(message.strip()[0], "")


# --- reading one facility -------------------------------------------------------------------------


def test_get_sends_a_strong_etag_and_public_fields_only_to_the_public(api: Api) -> None:
    facility_id = api.facility()
    public = api.client.get(f"/api/v1/facilities/{facility_id}")
    assert public.status_code == 200 and public.headers["etag"] == f'"{facility_id}-1"'
    assert public.headers["content-type"] == "application/geo+json" and "Authorization" in public.headers["vary"]
    props = public.json()["properties"]
    assert props["id"] == facility_id and props["district_code"] == OWN and props["open_reports"] == 0
    assert not {"version", "deleted_at", "last_verified_by", "import_batch_id"} & set(props)
    viewer = _get(api, facility_id, "viewer").json()["properties"]
    assert viewer["version"] == 1 and viewer["deleted_at"] is None and "last_verified_by" in viewer


def test_deleted_facilities_are_404_to_the_public_and_visible_to_signed_in_callers(api: Api) -> None:
    facility_id = api.facility()
    tag = api.etag(facility_id)
    response = api.client.delete(
        f"/api/v1/facilities/{facility_id}", headers=api.headers("editor_own", **{"If-Match": tag})
    )
    assert response.status_code == 204 and response.headers["etag"] == f'"{facility_id}-2"'
    assert api.client.get(f"/api/v1/facilities/{facility_id}").status_code == 404
    for who in ("viewer", "editor_other", "admin"):
        props = _get(api, facility_id, who).json()["properties"]
        assert props["status"] == "closed" and datetime.fromisoformat(props["deleted_at"]) <= datetime.now(UTC)
    assert api.client.get("/api/v1/facilities/999999").status_code == 404
    assert api.client.get("/api/v1/facilities/nearest", params={"lon": 117.97, "lat": 37.38}).status_code == 200


# --- creating ---------------------------------------------------------------------------------------


def test_create_answers_201_with_location_and_etag_and_derives_the_district(api: Api) -> None:
    lon, lat = POINT[OTHER]
    response = api.client.post(
        "/api/v1/facilities", json=_body(lon=lon, lat=lat, amenities=["toilet"]), headers=api.headers("editor_other")
    )
    assert response.status_code == 201, response.text
    facility_id = response.json()["id"]
    assert response.headers["location"] == f"/api/v1/facilities/{facility_id}"
    assert response.headers["etag"] == f'"{facility_id}-1"'
    props = _get(api, facility_id).json()["properties"]
    assert props["district_code"] == OTHER and props["district"] == "邹平市" and props["version"] == 1
    assert props["created_at"] == props["updated_at"]


@pytest.mark.parametrize(
    ("crs", "forward"),
    [
        ("gcj02", lambda lat, lon: eviltransform.wgs2gcj(lat, lon)),
        ("bd09", lambda lat, lon: eviltransform.wgs2bd(lat, lon)),
    ],
)
def test_coordinates_from_amap_or_baidu_land_within_1_m_of_the_wgs84_truth(api: Api, crs: str, forward) -> None:
    truth = (117.9712, 37.3851)
    shifted_lat, shifted_lon = forward(truth[1], truth[0])  # a second library's forward formula
    response = api.client.post(
        "/api/v1/facilities", json=_body(lon=shifted_lon, lat=shifted_lat, crs=crs), headers=api.headers("admin")
    )
    assert response.status_code == 201, response.text
    lon, lat = response.json()["geometry"]["coordinates"]
    _, _, metres = GEOD.inv(truth[0], truth[1], lon, lat)
    assert metres < 1.0
    _, _, shift = GEOD.inv(truth[0], truth[1], shifted_lon, shifted_lat)
    assert shift > 300  # the conversion mattered: the raw input is hundreds of metres off


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "teahouse"}, "kind"),
        ({"amenities": ["toilet", "jacuzzi"]}, "amenities"),
        ({"opening_hours": "open when we feel like it"}, "opening_hours"),
        ({"access_method": "knock"}, "access_method"),
        ({"status": "gone"}, "status"),
        ({"lat": 95.0}, "lat"),
        ({"area_m2": -5}, "area_m2"),
        ({"truck_parking_spaces": 2}, "truck_parking_spaces"),  # without the truck_parking amenity
        ({"crs": "epsg:3857"}, "crs"),
        ({"name": ""}, "name"),
        ({"district_adcode": OTHER}, "district_adcode"),  # the point is in 371602
        ({"lon": 118.3, "lat": 37.38}, "lon"),  # outside every district (Dongying)
    ],
)
def test_bad_values_are_422_naming_the_field_in_chinese_first(api: Api, fields: dict, field: str) -> None:
    response = api.client.post("/api/v1/facilities", json=_body(**fields), headers=api.headers("admin"))
    problems = _problems(response)
    assert list(problems) == [field], problems
    assert _chinese_first(problems[field]) and any(c.isascii() and c.isalpha() for c in problems[field])


def test_every_problem_of_a_body_is_listed_at_once(api: Api) -> None:
    body = _body(kind="teahouse", opening_hours="whenever", phone="1" * 50)
    assert set(_problems(api.client.post("/api/v1/facilities", json=body, headers=api.headers("admin")))) == {
        "kind",
        "opening_hours",
        "phone",
    }


def test_unknown_fields_and_wrong_types_name_the_field(api: Api) -> None:
    for body, field in ((_body(version=7), "version"), (_body(lat="north"), "lat")):
        response = api.client.post("/api/v1/facilities", json=body, headers=api.headers("admin"))
        assert response.status_code == 422
        assert [d["loc"] for d in response.json()["detail"]] == [["body", field]]


def test_a_taken_code_is_409_even_when_its_facility_is_deleted(api: Api) -> None:
    facility_id = api.facility()
    with api.engine.connect() as conn:
        code = facility_edits.facility_detail(conn, facility_id)["code"]  # type: ignore[index]
    assert api.client.post("/api/v1/facilities", json=_body(code=code), headers=api.headers("admin")).status_code == 409
    other = api.facility()
    assert _patch(api, other, {"code": code}).status_code == 409
    api.client.delete(
        f"/api/v1/facilities/{facility_id}", headers=api.headers("admin", **{"If-Match": api.etag(facility_id)})
    )
    response = api.client.post("/api/v1/facilities", json=_body(code=code), headers=api.headers("admin"))
    assert response.status_code == 409 and str(facility_id) in response.json()["detail"]


def test_a_point_on_a_shared_border_needs_its_district_named(api: Api) -> None:
    border = {"lon": 117.821024, "lat": 37.280616}  # a vertex of both 滨城区 and 惠民县 in the boundary file
    problems = _problems(api.client.post("/api/v1/facilities", json=_body(**border), headers=api.headers("admin")))
    assert list(problems) == ["district_adcode"] and "371602" in problems["district_adcode"]
    named = api.client.post(
        "/api/v1/facilities", json=_body(**border, district_adcode="371621"), headers=api.headers("admin")
    )
    assert named.status_code == 201 and named.json()["properties"]["district_code"] == "371621"


def test_points_are_placed_in_districts_as_shapely_places_them(api: Api) -> None:
    """ST_Covers behind the spatial index, on both backends, against shapely on the boundary file."""
    features = json.loads((DATA_DIR / "boundaries" / "binzhou.geojson").read_text(encoding="utf-8"))["features"]
    counties = [
        (f["properties"]["adcode"], shape(f["geometry"])) for f in features if f["properties"]["adcode"] != "371600"
    ]
    rng = random.Random(20261202)
    with api.engine.connect() as conn:
        for _ in range(60):
            lon, lat = rng.uniform(117.2, 118.5), rng.uniform(36.6, 38.4)
            expected = sorted(adcode for adcode, area in counties if area.covers(Point(lon, lat)))
            assert [d.adcode for d in facility_edits.covering_districts(conn, lon, lat)] == expected, (lon, lat)


# --- changing: ETags --------------------------------------------------------------------------------


def test_patch_without_if_match_is_428_and_a_stale_one_412(api: Api) -> None:
    facility_id = api.facility()
    path = f"/api/v1/facilities/{facility_id}"
    missing = api.client.patch(path, json={"name": "甲"}, headers=api.headers("editor_own"))
    assert missing.status_code == 428 and _chinese_first(missing.json()["detail"])
    first = _patch(api, facility_id, {"name": "甲"}, tag=f'"{facility_id}-1"')
    assert first.status_code == 200 and first.headers["etag"] == f'"{facility_id}-2"'
    stale = _patch(api, facility_id, {"name": "乙"}, tag=f'"{facility_id}-1"')
    assert stale.status_code == 412 and f'"{facility_id}-2"' in stale.json()["detail"]
    deleting = api.client.delete(path, headers=api.headers("editor_own", **{"If-Match": f'"{facility_id}-1"'}))
    assert deleting.status_code == 412
    assert api.client.delete(path, headers=api.headers("editor_own")).status_code == 428
    assert _get(api, facility_id).json()["properties"]["name"] == "甲"


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ('W/"{id}-1"', 412),  # If-Match compares strongly: a weak tag never matches
        ('"{id}-1", "{id}-7"', 200),  # a list matches when one of them is current
        ('"999-1"', 412),  # another facility's tag
        ("{id}-1", 412),  # not quoted: not an entity tag
        ("*", 428),  # would overwrite unseen changes
    ],
)
def test_if_match_forms(api: Api, header: str, status: int) -> None:
    facility_id = api.facility()
    response = _patch(api, facility_id, {"phone": "0543-0000000"}, tag=header.replace("{id}", str(facility_id)))
    assert response.status_code == status, response.text


def test_a_patch_that_changes_nothing_writes_nothing(api: Api) -> None:
    facility_id = api.facility(phone="0543-1")
    request = api.headers("editor_own", **{"If-Match": api.etag(facility_id)})
    response = api.client.patch(f"/api/v1/facilities/{facility_id}", json={"phone": "0543-1"}, headers=request)
    assert response.status_code == 200 and response.headers["etag"] == f'"{facility_id}-1"'
    assert api.audit_rows(request["X-Request-ID"]) == []


def test_other_write_paths_invalidate_etags_too(api: Api) -> None:
    """Plain SQL (or an import) that does not touch the version still moves it: the trigger of 0005."""
    from sqlalchemy import text

    facility_id = api.facility()
    with api.engine.begin() as conn:
        conn.execute(text("UPDATE facility SET phone = '110' WHERE id = :id"), {"id": facility_id})
    assert api.etag(facility_id) == f'"{facility_id}-2"'
    assert _patch(api, facility_id, {"phone": "120"}, tag=f'"{facility_id}-1"').status_code == 412


# --- changing: merge patch, whole-record validation, districts ---------------------------------------


def test_merge_patch_semantics(api: Api) -> None:
    facility_id = api.facility(phone="0543-1", details={"floor": 1, "keeper": "王"}, amenities=["toilet", "wifi"])
    response = _patch(api, facility_id, {"phone": None, "details": {"keeper": None, "seats": 4}, "amenities": None})
    assert response.status_code == 200, response.text
    props = response.json()["properties"]
    assert props["phone"] is None and props["details"] == {"floor": 1, "seats": 4} and props["amenities"] == []
    assert props["name"] == "测试驿站" and props["opening_hours"] == "Mo-Su 08:00-20:00"  # untouched


def test_the_merge_patch_media_type_is_accepted(api: Api) -> None:
    facility_id = api.facility()
    headers = api.headers("editor_own", **{"If-Match": api.etag(facility_id)})
    headers["Content-Type"] = "application/merge-patch+json"
    body = json.dumps({"township": "市中街道"}, ensure_ascii=False).encode()
    response = api.client.patch(f"/api/v1/facilities/{facility_id}", content=body, headers=headers)
    assert response.status_code == 200 and response.json()["properties"]["township"] == "市中街道"


def test_a_patch_is_validated_as_a_whole_record(api: Api) -> None:
    facility_id = api.facility(amenities=["truck_parking"], truck_parking_spaces=3)
    assert set(_problems(_patch(api, facility_id, {"amenities": ["toilet"]}))) == {"truck_parking_spaces"}
    assert set(_problems(_patch(api, facility_id, {"name": None}))) == {"name"}
    assert set(_problems(_patch(api, facility_id, {"lat": 37.4}))) == {"lon"}  # lon and lat together
    assert set(_problems(_patch(api, facility_id, {"crs": "gcj02"}))) == {"crs"}
    assert _get(api, facility_id).json()["properties"]["version"] == 1


def test_moving_a_facility_needs_both_districts_and_rederives_the_district(api: Api) -> None:
    facility_id = api.facility()
    lon, lat = POINT[OTHER]
    assert _patch(api, facility_id, {"lon": lon, "lat": lat}, who="editor_own").status_code == 403  # not its new one
    assert _patch(api, facility_id, {"name": "改"}, who="editor_other").status_code == 403  # not its old one
    moved = _patch(api, facility_id, {"lon": lon, "lat": lat}, who="admin")
    assert moved.status_code == 200 and moved.json()["properties"]["district_code"] == OTHER
    gcj_lat, gcj_lon = eviltransform.wgs2gcj(POINT[OWN][1], POINT[OWN][0])
    back = _patch(api, facility_id, {"lon": gcj_lon, "lat": gcj_lat, "crs": "gcj02"}, who="admin")
    assert back.json()["properties"]["district_code"] == OWN
    _, _, metres = GEOD.inv(*POINT[OWN], *back.json()["geometry"]["coordinates"])
    assert metres < 1.0


def test_updated_at_moves_on_every_write(api: Api) -> None:
    facility_id = api.facility()
    seen = [_get(api, facility_id).json()["properties"]["updated_at"]]
    admin = api.headers("admin")
    path = f"/api/v1/facilities/{facility_id}"
    steps = [
        lambda: _patch(api, facility_id, {"name": "一"}, who="admin"),
        lambda: api.client.post(f"{path}/verify", headers=admin),
        lambda: api.client.delete(path, headers=api.headers("admin", **{"If-Match": api.etag(facility_id)})),
        lambda: api.client.post(f"{path}/restore", headers=admin),
    ]
    for step in steps:
        assert step().status_code < 300
        seen.append(_get(api, facility_id).json()["properties"]["updated_at"])
    assert [datetime.fromisoformat(s) for s in seen] == sorted(datetime.fromisoformat(s) for s in set(seen))
    assert len(set(seen)) == len(seen)


# --- delete, restore, verify, history ---------------------------------------------------------------


def test_delete_then_restore_brings_back_the_status_it_had(api: Api) -> None:
    facility_id = api.facility(status="temporarily_closed")
    path = f"/api/v1/facilities/{facility_id}"
    assert api.client.post(f"{path}/restore", headers=api.headers("admin")).status_code == 409  # not deleted
    api.client.delete(path, headers=api.headers("editor_own", **{"If-Match": api.etag(facility_id)}))
    listed = api.client.get("/api/v1/facilities", params={"limit": 500}).json()["features"]
    assert facility_id not in [f["id"] for f in listed]
    assert _patch(api, facility_id, {"name": "x"}).status_code == 409  # restore it first
    assert api.client.post(f"{path}/verify", headers=api.headers("editor_own")).status_code == 409
    restored = api.client.post(f"{path}/restore", headers=api.headers("admin"))
    assert restored.status_code == 200 and restored.json()["properties"]["status"] == "temporarily_closed"
    assert restored.json()["properties"]["deleted_at"] is None
    listed = api.client.get("/api/v1/facilities", params={"limit": 500}).json()["features"]
    assert facility_id in [f["id"] for f in listed]


def test_verify_records_today_in_local_time_and_who(api: Api) -> None:
    facility_id = api.facility()
    response = api.client.post(f"/api/v1/facilities/{facility_id}/verify", headers=api.headers("user_own"))
    props = response.json()["properties"]
    assert response.status_code == 200 and props["last_verified_by"] == "user:wang"
    assert props["last_verified_at"] in {datetime.now(SHANGHAI).date().isoformat()}
    # 17:30 UTC on 1 May is already 2 May in Shanghai
    late = datetime(2026, 5, 1, 17, 30, tzinfo=UTC)
    editor = Caller(Principal("user:wang", "editor", frozenset({OWN})))
    with api.engine.begin() as conn:
        view = editing.verify_facility(conn, editor, facility_id, None, editing.EditPolicy(SHANGHAI), late)
    assert view.row["last_verified_at"] == date(2026, 5, 2)


def test_history_lists_its_audit_rows_newest_first(api: Api) -> None:
    created = api.client.post("/api/v1/facilities", json=_body(), headers=api.headers("editor_own"))
    facility_id = created.json()["id"]
    _patch(api, facility_id, {"name": "改名"})
    api.client.post(f"/api/v1/facilities/{facility_id}/verify", headers=api.headers("editor_own"))
    body = api.client.get(f"/api/v1/facilities/{facility_id}/history", headers=api.headers("viewer")).json()
    assert [item["action"] for item in body["items"]] == ["verify", "update", "create"]
    assert body["numberMatched"] == 3 and body["items"][1]["before"]["name"] == "新建驿站"
    assert body["items"][1]["after"]["name"] == "改名" and body["items"][2]["before"] is None
    assert {item["address"] for item in body["items"]} == {None}  # client addresses are for the audit route
    admin = api.client.get(f"/api/v1/facilities/{facility_id}/history", headers=api.headers("admin")).json()
    assert {item["address"] for item in admin["items"]} == {"testclient"}


# --- edits reach the readers ------------------------------------------------------------------------


def test_an_edit_reaches_the_nearest_answer_after_refresh(api: Api) -> None:
    here = (117.90, 37.45)  # in 371602, away from the county seat where the other tests put facilities
    created = api.client.post(
        "/api/v1/facilities", json=_body(lon=here[0], lat=here[1], name="最近的驿站"), headers=api.headers("admin")
    )
    facility_id = created.json()["id"]
    nearest = api.client.app.state.nearest  # type: ignore[attr-defined]

    def first_near(lon: float, lat: float) -> dict:
        nearest.refresh()
        body = api.client.get("/api/v1/facilities/nearest", params={"lon": lon, "lat": lat, "limit": 1}).json()
        return body["features"][0]["properties"]

    assert first_near(*here)["id"] == facility_id
    _patch(api, facility_id, {"name": "改了名的驿站", "lon": 117.85, "lat": 37.50}, who="admin")
    moved = first_near(117.85, 37.50)
    assert moved["id"] == facility_id and moved["name"] == "改了名的驿站"
    api.client.delete(
        f"/api/v1/facilities/{facility_id}", headers=api.headers("admin", **{"If-Match": api.etag(facility_id)})
    )
    assert first_near(117.85, 37.50)["id"] != facility_id
