"""Acceptance 1: role × route × own/other district → exactly the specified 401/403/2xx, on both backends.

Every accepted write leaves its audit row(s) — actor, role, before/after, the request's id — and every
refused one leaves the database as it was. No write route takes a credential from the query string.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from geo_service.authorization import Principal
from geo_service.db.models import AuditEvent, Facility, ProblemReport
from geo_service.queries import reports as report_queries
from geo_service.services import accounts, editing
from geo_service.services.caller import Caller
from tests.databases import BACKENDS
from tests.editing_support import BY, CALLERS, KEYS, OWN, POINT, Api, editing_api

# Callers in the order of CALLERS: anonymous, viewer, editor_own, editor_other, admin, revoked, user_own, disabled
EXPECTED = {
    "create": (401, 403, 201, 403, 201, 401, 201, 401),
    "patch": (401, 403, 200, 403, 200, 401, 200, 401),
    "delete": (401, 403, 204, 403, 204, 401, 204, 401),
    "restore": (401, 403, 403, 403, 200, 401, 403, 401),
    "verify": (401, 403, 200, 403, 200, 401, 200, 401),
    "history": (401, 200, 200, 403, 200, 401, 200, 401),
    "reports": (401, 200, 200, 403, 200, 401, 200, 401),
    "resolve": (401, 403, 200, 403, 200, 401, 200, 401),
    "report": (202, 202, 202, 202, 202, 401, 202, 401),
}
assert all(len(statuses) == len(CALLERS) for statuses in EXPECTED.values())


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict | None = None
    headers: dict[str, str] = field(default_factory=dict)
    actions: tuple[str, ...] = ()  # the audit rows a success writes


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    # many reports come from the one TestClient address here; flooding is tested in test_reports_api
    with editing_api(str(request.param), Path(tmp_path_factory.mktemp("access")), report_max_per_window=10_000) as a:
        yield a


def _deleted(api: Api) -> int:
    """A facility deleted through the use case (so its audit row remembers the status to restore)."""
    facility_id = api.facility()
    with api.engine.begin() as conn:
        editing.delete_facility(conn, Caller(Principal(BY.actor, "admin")), facility_id, frozenset({1}))
    return facility_id


def _open_report(api: Api) -> int:
    facility_id = api.facility()
    report = report_queries.NewReport(facility_id, "no_water", "没水了", None, None, "0" * 64)
    with api.engine.begin() as conn:
        return report_queries.insert_report(conn, report, datetime.now(UTC))


def _prepare(api: Api, route: str) -> Call:
    """A fresh target for one call of `route`, so that every case starts from the same state."""
    if route == "create":
        lon, lat = POINT[OWN]
        body = {"code": f"N-{uuid.uuid4().hex[:10]}", "kind": "station", "name": "新驿站", "lon": lon, "lat": lat}
        return Call("POST", "/api/v1/facilities", body, actions=("create",))
    if route == "restore":
        return Call("POST", f"/api/v1/facilities/{_deleted(api)}/restore", actions=("restore",))
    if route == "resolve":
        body = {"resolution": "fixed", "note": "已修好"}
        return Call("POST", f"/api/v1/reports/{_open_report(api)}/resolve", body, actions=("resolve",))
    facility_id = api.facility()
    path = f"/api/v1/facilities/{facility_id}"
    calls = {
        "patch": Call("PATCH", path, {"phone": "0543-1234567"}, {"If-Match": api.etag(facility_id)}, ("update",)),
        "delete": Call("DELETE", path, None, {"If-Match": api.etag(facility_id)}, ("delete",)),
        "verify": Call("POST", f"{path}/verify", actions=("verify",)),
        "history": Call("GET", f"{path}/history"),
        "reports": Call("GET", f"/api/v1/reports?facility={facility_id}"),
        "report": Call("POST", f"{path}/reports", {"kind": "locked", "note": "门锁着"}, actions=("report",)),
    }
    return calls[route]


def _state(api: Api) -> tuple[int, ...]:
    """Everything a write could change, summed up."""
    with api.engine.connect() as conn:
        return (
            int(conn.scalar(select(func.count()).select_from(Facility)) or 0),
            int(conn.scalar(select(func.coalesce(func.sum(Facility.version), 0))) or 0),
            int(conn.scalar(select(func.count()).select_from(AuditEvent)) or 0),
            int(conn.scalar(select(func.count()).select_from(ProblemReport)) or 0),
            int(conn.scalar(select(func.count()).where(ProblemReport.status == "open")) or 0),
        )


def _expected_actor(api: Api, who: str) -> tuple[str, str | None]:
    if who == "anonymous":
        return "public", None
    if who == "user_own":
        return "user:wang", "editor"
    with api.engine.connect() as conn:
        key = next(k for k in accounts.list_keys(conn) if k.label == who)
    return f"key:{key.id}", KEYS[who][0]


@pytest.mark.parametrize("route", list(EXPECTED))
@pytest.mark.parametrize("who", CALLERS)
def test_each_caller_gets_exactly_the_specified_status(api: Api, route: str, who: str) -> None:
    call = _prepare(api, route)
    headers = api.headers(who, **call.headers)
    before = _state(api)
    response = api.client.request(call.method, call.path, json=call.body, headers=headers)
    expected = EXPECTED[route][CALLERS.index(who)]
    assert response.status_code == expected, response.text
    rows = api.audit_rows(headers["X-Request-ID"])
    if expected >= 300 or not call.actions:
        assert rows == [] and _state(api) == before  # a refusal (or a read) writes nothing
        if expected == 401:
            assert response.headers["www-authenticate"].startswith("Bearer")
        return
    assert [row.action for row in rows] == list(call.actions)
    actor, role = _expected_actor(api, who)
    for row in rows:
        assert (row.actor, row.role, row.request_id) == (actor, role, headers["X-Request-ID"])
        assert row.after is not None and row.after != row.before
        assert (row.before is None) == (row.action in {"create", "report"})


@pytest.mark.parametrize("route", list(EXPECTED))
@pytest.mark.parametrize("who", ["anonymous", "admin"])
@pytest.mark.parametrize("name", ["token", "access_token"])
def test_no_route_takes_a_credential_from_the_query_string(api: Api, route: str, who: str, name: str) -> None:
    call = _prepare(api, route)
    headers = api.headers(who, **call.headers)
    before = _state(api)
    separator = "&" if "?" in call.path else "?"
    path = f"{call.path}{separator}{name}={api.secrets['admin']}"
    response = api.client.request(call.method, path, json=call.body, headers=headers)
    assert response.status_code == 400, response.text
    assert [d["loc"] for d in response.json()["detail"]] == [["query", name]]
    assert api.secrets["admin"] not in response.text
    assert api.audit_rows(headers["X-Request-ID"]) == [] and _state(api) == before
