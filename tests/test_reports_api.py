"""Acceptance 6 and the rest of problem reports, on both backends: an anonymous report reaches the
district editor's queue (and no other district's), resolving it as confirmed_fine verifies the facility,
which then shows in the list, the nearest answer and the public map card; floods from one address get
429, counted in the database across workers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import eviltransform
import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from sqlalchemy import func, select

from geo_service import security
from geo_service.app import create_app
from geo_service.authorization import Principal
from geo_service.db.models import AuditEvent, ProblemReport
from geo_service.errors import TooManyRequests
from geo_service.services import editing
from geo_service.services import reports as report_service
from geo_service.services.caller import Caller
from geo_service.settings import Settings
from tests.databases import BACKENDS
from tests.editing_support import OTHER, Api, editing_api

GEOD = Geod(ellps="WGS84")
LIMIT = 3
WINDOW_S = 3600


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    settings = {"report_max_per_window": LIMIT, "report_window_s": WINDOW_S}
    with editing_api(str(request.param), Path(tmp_path_factory.mktemp("reports")), **settings) as harness:
        yield harness


_next_address = iter(range(1, 1_000_000))


def _address() -> str:
    n = next(_next_address)
    return f"10.0.{n // 250}.{n % 250 + 1}"


def _rider(api: Api, address: str | None = None) -> TestClient:
    """A client from an address of its own (each test floods only if it means to)."""
    return TestClient(api.client.app, client=(address or _address(), 40000))


def _report(client: TestClient, facility_id: int, **body: object):
    return client.post(f"/api/v1/facilities/{facility_id}/reports", json={"kind": "no_water", **body})


def _queue(api: Api, who: str, **params: object) -> list[dict]:
    response = api.client.get("/api/v1/reports", params=params, headers=api.headers(who))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def _map_card(api: Api, facility_id: int) -> dict:
    """The feature of one facility as the public map page embeds it (the JSON its cards are built from)."""
    html = api.client.get("/maps/public").text
    start = html.index(f'{{"type":"Feature","id":{facility_id},')
    feature, _ = json.JSONDecoder().raw_decode(html, start)
    return dict(feature["properties"])


def _listed(api: Api, facility_id: int) -> dict:
    features = api.client.get("/api/v1/facilities", params={"limit": 500}).json()["features"]
    return next(f["properties"] for f in features if f["id"] == facility_id)


def _nearest(api: Api, facility_id: int) -> dict:
    api.client.app.state.nearest.refresh()  # type: ignore[attr-defined]
    lon, lat = _listed_point(api, facility_id)
    body = api.client.get("/api/v1/facilities/nearest", params={"lon": lon, "lat": lat, "limit": 50}).json()
    return next(f["properties"] for f in body["features"] if f["id"] == facility_id)


def _listed_point(api: Api, facility_id: int) -> tuple[float, float]:
    features = api.client.get("/api/v1/facilities", params={"limit": 500}).json()["features"]
    lon, lat = next(f["geometry"]["coordinates"] for f in features if f["id"] == facility_id)
    return lon, lat


def test_an_anonymous_report_reaches_its_district_editors_and_confirmed_fine_verifies(api: Api) -> None:
    facility_id = api.facility()
    accepted = _report(_rider(api), facility_id, kind="locked", note="门锁着，敲门没人应")
    assert accepted.status_code == 202 and accepted.json()["status"] == "open"
    report_id = accepted.json()["id"]
    assert report_id in [r["id"] for r in _queue(api, "editor_own")]
    assert report_id in [r["id"] for r in _queue(api, "user_own")]
    assert report_id not in [r["id"] for r in _queue(api, "editor_other")]
    assert report_id in [r["id"] for r in _queue(api, "viewer")] and report_id in [
        r["id"] for r in _queue(api, "admin")
    ]
    item = next(r for r in _queue(api, "editor_own") if r["id"] == report_id)
    assert (
        item["kind_label"] == "锁门进不去"
        and item["note"] == "门锁着，敲门没人应"
        and item["facility_id"] == facility_id
    )
    assert _listed(api, facility_id)["open_reports"] == 1 == _nearest(api, facility_id)["open_reports"]
    assert _map_card(api, facility_id)["open_reports"] == 1
    assert _map_card(api, facility_id)["last_verified_at"] is None

    headers = api.headers("editor_own")
    resolved = api.client.post(
        f"/api/v1/reports/{report_id}/resolve",
        json={"resolution": "confirmed_fine", "note": "有人值守"},
        headers=headers,
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved" and resolved.json()["resolved_by"].startswith("key:")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert _listed(api, facility_id)["last_verified_at"] == today
    assert _nearest(api, facility_id)["last_verified_at"] == today and _nearest(api, facility_id)["open_reports"] == 0
    card = _map_card(api, facility_id)
    assert card["last_verified_at"] == today and card["open_reports"] == 0
    assert [row.action for row in api.audit_rows(headers["X-Request-ID"])] == ["resolve", "verify"]
    assert report_id not in [r["id"] for r in _queue(api, "editor_own")]  # the queue holds open reports
    assert report_id in [r["id"] for r in _queue(api, "editor_own", status="resolved")]


def test_flooding_from_one_address_is_429_with_retry_after_and_writes_nothing(api: Api) -> None:
    facility_id = api.facility()
    rider = _rider(api)
    assert [_report(rider, facility_id).status_code for _ in range(LIMIT)] == [202] * LIMIT
    with api.engine.connect() as conn:
        stored = conn.scalar(
            select(func.count()).select_from(ProblemReport).where(ProblemReport.facility_id == facility_id)
        )
    refused = _report(rider, facility_id, kind="dirty")
    assert refused.status_code == 429 and 0 < int(refused.headers["retry-after"]) <= WINDOW_S
    assert refused.json()["detail"].startswith("提交")
    with api.engine.connect() as conn:
        after = conn.scalar(
            select(func.count()).select_from(ProblemReport).where(ProblemReport.facility_id == facility_id)
        )
    assert after == stored == LIMIT
    assert _report(_rider(api), facility_id).status_code == 202  # another address is not affected


def test_the_limit_holds_across_workers(api: Api) -> None:
    """Two apps over one database (two workers), the same client address: the count is shared."""
    facility_id = api.facility()
    settings = Settings(db_url=api.url, report_max_per_window=LIMIT)
    worker_one, worker_two = create_app(settings), create_app(settings)
    with TestClient(worker_one, client=("10.9.9.9", 1)) as one, TestClient(worker_two, client=("10.9.9.9", 2)) as two:
        statuses = [_report(worker, facility_id).status_code for worker in (one, two, one, two)]
    assert statuses == [202, 202, 202, 429]


def test_the_window_slides(api: Api) -> None:
    facility_id = api.facility()
    policy = report_service.ReportPolicy.from_settings(Settings(report_max_per_window=LIMIT, report_window_s=WINDOW_S))
    rider = Caller(None, address="192.0.2.77")
    t0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    body = report_service.ReportSubmission(kind="no_power")

    def submit(at: datetime) -> None:
        with api.engine.begin() as conn:
            report_service.submit_report(conn, rider, facility_id, body, policy, now=at)

    for minutes in (0, 10, 20):
        submit(t0 + timedelta(minutes=minutes))
    with pytest.raises(TooManyRequests) as refused:
        submit(t0 + timedelta(minutes=30))
    assert refused.value.retry_after_s == 30 * 60  # the 08:00 report leaves the window at 09:00
    submit(t0 + timedelta(minutes=60, seconds=1))
    with pytest.raises(TooManyRequests):
        submit(t0 + timedelta(minutes=61))


def test_the_address_is_stored_only_as_a_keyed_hash(api: Api) -> None:
    facility_id = api.facility()
    headers = api.headers("anonymous")
    address = _address()
    response = _rider(api, address).post(
        f"/api/v1/facilities/{facility_id}/reports", json={"kind": "dirty"}, headers=headers
    )
    report_id = response.json()["id"]
    with api.engine.connect() as conn:
        stored = conn.scalar(select(ProblemReport.address_hash).where(ProblemReport.id == report_id))
        audited = conn.execute(select(AuditEvent).where(AuditEvent.request_id == headers["X-Request-ID"])).one()
    assert stored == security.hash_address(Settings().secret_key.get_secret_value(), address)
    assert audited.actor == "public" and audited.role is None and audited.address == stored != address
    assert audited.after["kind"] == "dirty" and audited.before is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "haunted"}, "kind"),
        ({"note": "长" * 501}, "note"),
        ({"lon": 117.97}, "lat"),
        ({"lon": 117.97, "lat": 137.0}, "lon"),
        ({"lon": 117.97, "lat": 37.38, "crs": "mercator"}, "crs"),
    ],
)
def test_bad_reports_are_422_naming_the_field(api: Api, body: dict, field: str) -> None:
    response = _report(_rider(api), api.facility(), **body)
    assert response.status_code == 422, response.text
    assert [d["loc"] for d in response.json()["detail"]] == [["body", field]]


def test_a_500_character_note_and_a_gcj02_position_are_kept(api: Api) -> None:
    facility_id = api.facility()
    truth = (117.9705, 37.3822)
    lat, lon = eviltransform.wgs2gcj(truth[1], truth[0])
    response = _report(_rider(api), facility_id, note="水" * 500, lon=lon, lat=lat, crs="gcj02")
    assert response.status_code == 202, response.text
    item = next(r for r in _queue(api, "admin") if r["id"] == response.json()["id"])
    assert item["note"] == "水" * 500
    _, _, metres = GEOD.inv(truth[0], truth[1], item["lon"], item["lat"])
    assert metres < 1.0


def test_reports_about_missing_or_deleted_facilities_are_404(api: Api) -> None:
    assert _report(_rider(api), 987654).status_code == 404
    facility_id = api.facility()
    api.client.delete(
        f"/api/v1/facilities/{facility_id}", headers=api.headers("admin", **{"If-Match": api.etag(facility_id)})
    )
    assert _report(_rider(api), facility_id).status_code == 404


def test_resolutions(api: Api) -> None:
    facility_id = api.facility()
    ids = [_report(_rider(api), facility_id).json()["id"] for _ in range(3)]
    path = "/api/v1/reports/{}/resolve"
    bad = api.client.post(path.format(ids[0]), json={"resolution": "ignored"}, headers=api.headers("editor_own"))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "resolution"]
    dismissed = api.client.post(path.format(ids[0]), json={"resolution": "dismissed"}, headers=api.headers("admin"))
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    again = api.client.post(path.format(ids[0]), json={"resolution": "fixed"}, headers=api.headers("admin"))
    assert again.status_code == 409
    fixed = api.client.post(
        path.format(ids[1]), json={"resolution": "fixed", "note": "已换水桶"}, headers=api.headers("admin")
    )
    assert fixed.json()["resolution_note"] == "已换水桶"
    assert _listed(api, facility_id)["last_verified_at"] is None  # only confirmed_fine verifies
    assert _listed(api, facility_id)["open_reports"] == 1
    assert (
        api.client.post(path.format(999999), json={"resolution": "fixed"}, headers=api.headers("admin")).status_code
        == 404
    )
    assert [r["id"] for r in _queue(api, "admin", facility=facility_id, status="all")] == ids
    assert [r["id"] for r in _queue(api, "admin", facility=facility_id, status="dismissed")] == ids[:1]


def test_queue_parameters(api: Api) -> None:
    response = api.client.get("/api/v1/reports", params={"status": "lost"}, headers=api.headers("admin"))
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "status"]
    other = api.facility(OTHER)
    ids = [_report(_rider(api), other).json()["id"] for _ in range(3)]
    page = api.client.get(
        "/api/v1/reports", params={"facility": other, "limit": 2, "offset": 1}, headers=api.headers("editor_other")
    ).json()
    assert [r["id"] for r in page["items"]] == ids[1:] and page["numberMatched"] == 3
    assert {link["rel"] for link in page["links"]} == {"self", "prev"}


def test_a_report_moves_the_data_revision_so_the_index_refreshes(api: Api) -> None:
    facility_id = api.facility()
    nearest = api.client.app.state.nearest  # type: ignore[attr-defined]
    nearest.refresh()
    assert nearest.refresh() is False
    _report(_rider(api), facility_id)
    assert nearest.refresh() is True


def test_confirmed_fine_for_a_deleted_facility_changes_nothing(api: Api) -> None:
    facility_id = api.facility()
    report_id = _report(_rider(api), facility_id).json()["id"]
    with api.engine.begin() as conn:
        editing.delete_facility(conn, Caller(Principal("cli:t", "admin")), facility_id, frozenset({1}))
    response = api.client.post(
        f"/api/v1/reports/{report_id}/resolve", json={"resolution": "confirmed_fine"}, headers=api.headers("admin")
    )
    assert response.status_code == 409
    assert report_id in [r["id"] for r in _queue(api, "admin")]  # still open: the resolution rolled back
