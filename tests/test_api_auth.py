"""Bearer keys on the HTTP API and the admin-only audit route, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geo_service.app import create_app
from geo_service.authorization import AuditContext
from geo_service.db.engine import make_engine
from geo_service.queries import audit as audit_queries
from geo_service.services import accounts
from geo_service.services import setup as setup_service
from geo_service.settings import Settings
from tests.databases import BACKENDS, DATA_DIR, new_database

BY = AuditContext(actor="cli:tester", role="admin")
T0 = datetime(2026, 5, 1, 0, 0, tzinfo=UTC)


@dataclass
class Api:
    client: TestClient
    url: str
    keys: dict[str, accounts.NewKey]

    def get(self, path: str, who: str | None = None, **params: object):
        headers = {"Authorization": f"Bearer {self.keys[who].secret}"} if who else {}
        return self.client.get(path, params=params, headers=headers)


def _seed(url: str) -> dict[str, accounts.NewKey]:
    engine = make_engine(Settings(db_url=url))
    try:
        setup_service.prepare(engine, DATA_DIR, sample=False)
        with engine.begin() as conn:
            keys = {
                "admin": accounts.create_key(conn, BY, label="admin job", role="admin", districts=()),
                "editor": accounts.create_key(conn, BY, label="editor job", role="editor", districts=("371602",)),
                "viewer": accounts.create_key(conn, BY, label="viewer job", role="viewer", districts=()),
                "revoked": accounts.create_key(conn, BY, label="old job", role="admin", districts=()),
            }
            accounts.revoke_key(conn, BY, keys["revoked"].key.id)
            for i, at in enumerate((T0, T0 + timedelta(days=1), T0 + timedelta(days=2))):
                audit_queries.record_audit(
                    conn,
                    actor="user:wang",
                    role="editor",
                    action="update",
                    entity="facility",
                    entity_id=i + 1,
                    before={"status": "open"},
                    after={"status": "closed"},
                    request_id=None,
                    address=None,
                    at=at,
                )
        return keys
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with new_database(str(request.param), Path(tmp_path_factory.mktemp("auth"))) as url:
        keys = _seed(url)
        with TestClient(create_app(Settings(db_url=url))) as client:
            yield Api(client, url, keys)


@pytest.mark.parametrize(
    ("who", "status"), [(None, 401), ("viewer", 403), ("editor", 403), ("revoked", 401), ("admin", 200)]
)
def test_audit_route_is_for_admins_only(api: Api, who: str | None, status: int) -> None:
    response = api.get("/api/v1/audit", who)
    assert response.status_code == status, response.text
    if status == 401:
        challenge = 'Bearer error="invalid_token"' if who else "Bearer"
        assert response.headers["www-authenticate"] == challenge


def test_audit_lists_newest_first_with_every_field(api: Api) -> None:
    body = api.get("/api/v1/audit", "admin").json()
    # 4 key.create + 1 key.revoke + 3 facility updates
    assert body["numberMatched"] == body["numberReturned"] == 8
    first = body["items"][0]
    assert first["entity"] == "facility" and first["entity_id"] == "3" and first["actor"] == "user:wang"
    assert first["before"] == {"status": "open"} and first["after"] == {"status": "closed"}
    assert datetime.fromisoformat(first["at"]) == T0 + timedelta(days=2)
    assert [item["id"] for item in body["items"]] == sorted((item["id"] for item in body["items"]), reverse=True)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"entity": "api_key"}, 5),
        ({"entity": "facility", "id": "2"}, 1),
        ({"actor": "user:wang"}, 3),
        ({"actor": "cli:tester"}, 5),
        ({"since": "2026-05-02T00:00:00Z"}, 2 + 5),  # the key rows were written now, after 2026-05-02
        # naive = Asia/Shanghai: 2026-05-01 23:59:59 UTC, so the 05-02 and 05-03 rows (1 if it were UTC)
        ({"entity": "facility", "since": "2026-05-02T07:59:59"}, 2),
    ],
)
def test_audit_filters(api: Api, params: dict, expected: int) -> None:
    response = api.get("/api/v1/audit", "admin", **params)
    assert response.status_code == 200, response.text
    assert response.json()["numberMatched"] == expected


def test_audit_paging_links(api: Api) -> None:
    body = api.get("/api/v1/audit", "admin", limit=3, offset=3).json()
    assert body["numberReturned"] == 3 and body["numberMatched"] == 8
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert set(rels) == {"self", "next", "prev"} and "offset=6" in rels["next"] and "offset=0" in rels["prev"]


@pytest.mark.parametrize(("params", "parameter"), [({"entity": "planet"}, "entity"), ({"since": "yesterday"}, "since")])
def test_bad_audit_parameters_name_the_field(api: Api, params: dict, parameter: str) -> None:
    response = api.get("/api/v1/audit", "admin", **params)
    assert response.status_code == 422
    assert [d["loc"] for d in response.json()["detail"]] == [["query", parameter]]


@pytest.mark.parametrize("name", ["token", "api_key", "access_token", "key", "Token", "apikey"])
@pytest.mark.parametrize("with_header", [False, True])
def test_a_token_in_the_query_string_is_refused(api: Api, name: str, with_header: bool) -> None:
    who = "admin" if with_header else None
    response = api.get("/api/v1/audit", who, **{name: api.keys["admin"].secret})
    assert response.status_code == 400
    assert [d["loc"] for d in response.json()["detail"]] == [["query", name]]


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a b", "gsk_abc", "Bearer gsk_" + "A" * 43, "Bearer not-a-key"],
)
def test_malformed_or_unknown_credentials_are_401(api: Api, header: str) -> None:
    response = api.client.get("/api/v1/audit", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert "gsk_" not in response.text  # the refusal does not echo the credential


def test_scheme_is_case_insensitive(api: Api) -> None:
    headers = {"Authorization": f"bearer {api.keys['admin'].secret}"}
    assert api.client.get("/api/v1/audit", headers=headers).status_code == 200


def test_revoking_a_key_stops_it_on_the_next_request(api: Api) -> None:
    engine = make_engine(Settings(db_url=api.url))
    try:
        with engine.begin() as conn:
            new = accounts.create_key(conn, BY, label="short-lived", role="admin", districts=())
        api.keys["short"] = new
        assert api.get("/api/v1/audit", "short", entity="facility").status_code == 200
        with engine.begin() as conn:
            accounts.revoke_key(conn, BY, new.key.id)
        assert api.get("/api/v1/audit", "short", entity="facility").status_code == 401
        with engine.connect() as conn:
            assert accounts.list_keys(conn)[-1].last_used_at is not None
    finally:
        engine.dispose()


def test_public_routes_need_no_key(api: Api) -> None:
    assert api.client.get("/api/v1/facilities").status_code == 200
