"""A database per backend with the Binzhou boundaries, one credential per kind of caller, and a TestClient.

Callers: the public, API keys of a viewer, an editor of 滨城区 (371602, "own"), an editor of 邹平市
(371681, "other"), an admin, a revoked admin key; and two people signed in — an editor of 371602 and a
disabled admin. People sign in through the console (its own issue); until it exists, the test app
stands in for its session with an `X-Test-Session: <username>` header resolved by
authentication.principal_for_user on every request, exactly what a session lookup does.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from geo_service.api.auth import optional_principal, refuse_credentials_in_query
from geo_service.api.deps import EngineDep
from geo_service.app import create_app
from geo_service.authorization import AuditContext, Principal
from geo_service.db.engine import make_engine
from geo_service.db.models import AuditEvent
from geo_service.queries.facilities import insert_facilities
from geo_service.queries.facility_edits import facility_id_by_code
from geo_service.records import FacilityRecord
from geo_service.services import accounts, authentication
from geo_service.services import setup as setup_service
from geo_service.settings import Settings
from tests.databases import DATA_DIR, new_database

BY = AuditContext(actor="cli:tester", role="admin")
OWN, OTHER = "371602", "371681"
#: County seats (data/boundaries/seats.csv): well inside their districts.
POINT = {OWN: (117.970, 37.382), OTHER: (117.743, 36.863)}
PASSWORD = "correct horse battery staple"
KEYS = {
    "viewer": ("viewer", ()),
    "editor_own": ("editor", (OWN,)),
    "editor_other": ("editor", (OTHER,)),
    "admin": ("admin", ()),
    "revoked": ("admin", ()),
}
USERS = {"user_own": ("wang", "editor", (OWN,)), "disabled": ("li", "admin", ())}
CALLERS = ("anonymous", *KEYS, *USERS)


def _session_principal(request: Request, engine: EngineDep) -> Principal | None:
    """Bearer keys as in production; `X-Test-Session: <username>` as the console session will be."""
    username = request.headers.get("x-test-session")
    if username is None:
        return optional_principal(request, engine)
    refuse_credentials_in_query(request)
    with engine.connect() as conn:
        return authentication.principal_for_user(conn, username)


def _seed(engine: Engine) -> dict[str, str]:
    """Keys and users; returns the Authorization/X-Test-Session value per caller name."""
    policy = accounts.AccountPolicy.from_settings(Settings())
    secrets: dict[str, str] = {}
    with engine.begin() as conn:
        for name, (role, districts) in KEYS.items():
            secrets[name] = accounts.create_key(conn, BY, label=name, role=role, districts=districts).secret
        revoked_id = accounts.list_keys(conn)[-1].id
        accounts.revoke_key(conn, BY, revoked_id)
        for name, (username, role, districts) in USERS.items():
            accounts.create_user(
                conn, BY, username=username, password=PASSWORD, role=role, districts=districts, policy=policy
            )
            secrets[name] = username
        accounts.set_user_disabled(conn, BY, USERS["disabled"][0], True)
    return secrets


@dataclass
class Api:
    client: TestClient
    engine: Engine
    url: str
    secrets: dict[str, str]

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        """The credential of `who` plus a fresh X-Request-ID (read it back with `audit_rows`)."""
        headers = {"X-Request-ID": uuid.uuid4().hex, **extra}
        if who in USERS:
            headers["X-Test-Session"] = self.secrets[who]
        elif who != "anonymous":
            headers["Authorization"] = f"Bearer {self.secrets[who]}"
        return headers

    def facility(self, district: str = OWN, **fields: object) -> int:
        """A new facility written straight to the database (no audit row), its id."""
        lon, lat = POINT[district]
        values: dict[str, object] = {
            "code": f"T-{uuid.uuid4().hex[:10]}",
            "kind": "station",
            "name": "测试驿站",
            "district_adcode": district,
            "lon": lon,
            "lat": lat,
            "amenities": ["toilet"],
            "opening_hours": "Mo-Su 08:00-20:00",
            **fields,
        }
        record = FacilityRecord.model_validate(values)
        with self.engine.begin() as conn:
            insert_facilities(conn, [record])
            found = facility_id_by_code(conn, record.code)
        assert found is not None
        return found

    def etag(self, facility_id: int) -> str:
        response = self.client.get(f"/api/v1/facilities/{facility_id}", headers=self.headers("admin"))
        assert response.status_code == 200, response.text
        return response.headers["etag"]

    def audit_rows(self, request_id: str) -> list[AuditEvent]:
        with self.engine.connect() as conn:
            query = select(AuditEvent.__table__).where(AuditEvent.request_id == request_id).order_by(AuditEvent.id)
            return list(conn.execute(query).all())  # type: ignore[arg-type]


@contextmanager
def editing_api(backend: str, tmp_dir: Path, **settings: object) -> Iterator[Api]:
    """The harness on a new database of `backend` (boundaries, no sample facilities)."""
    with new_database(backend, tmp_dir) as url:
        engine = make_engine(Settings(db_url=url))
        try:
            setup_service.prepare(engine, DATA_DIR, sample=False)
            secrets = _seed(engine)
            app = create_app(Settings(db_url=url, **settings))  # type: ignore[arg-type]
            app.dependency_overrides[optional_principal] = _session_principal
            with TestClient(app) as client:
                yield Api(client, engine, url, secrets)
        finally:
            engine.dispose()
