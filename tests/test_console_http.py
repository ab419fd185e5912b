"""The console over HTTP (no browser): sessions and their cookie, sign-in throttling, CSRF, districts,
roles, the page policy, and the facility table, freshness and forms against independently computed
answers. Every database case runs on SpatiaLite and PostGIS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from geo_service.app import create_app
from geo_service.authorization import AuditContext
from geo_service.db.engine import make_engine
from geo_service.db.models import AuditEvent, ConsoleSession, Facility
from geo_service.errors import Unauthenticated
from geo_service.services import accounts, console_sessions
from geo_service.services.console_sessions import SessionPolicy
from geo_service.settings import Settings
from tests.databases import BACKENDS, loaded_database

PASSWORD = "console-password-1"
BY = AuditContext("cli:test", "admin")
USERS = {"wang": ("editor", ["371602"]), "li": ("viewer", []), "boss": ("admin", []), "zhou": ("editor", ["371681"])}
POLICY = "default-src 'self'; script-src 'self'; style-src 'self'"


@dataclass
class Site:
    engine: Engine
    settings: Settings
    app: object

    def client(self, base_url: str = "http://testserver", address: str = "testclient") -> TestClient:
        return TestClient(self.app, base_url=base_url, follow_redirects=False, client=(address, 50000))


@pytest.fixture(scope="module", params=BACKENDS)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with loaded_database(str(request.param), tmp_path_factory.mktemp("console-http")) as url:
        settings = Settings(db_url=url, map_basemap="none", login_max_failures=3)
        engine = make_engine(settings)
        policy = accounts.AccountPolicy.from_settings(settings)
        with engine.begin() as conn:
            for name, (role, districts) in USERS.items():
                accounts.create_user(
                    conn, BY, username=name, password=PASSWORD, role=role, districts=districts, policy=policy
                )
        app = create_app(settings)
        with TestClient(app):  # runs the lifespan once: the engine in app.state
            yield Site(engine, settings, app)
        engine.dispose()


def login_token(client: TestClient) -> str:
    page = client.get("/console/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def sign_in(site: Site, username: str, password: str = PASSWORD, base_url: str = "http://testserver") -> TestClient:
    client = site.client(base_url)
    answer = client.post(
        "/console/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": login_token(client),
            "next": "/console/facilities",
        },
    )
    assert answer.status_code == 303, answer.text
    return client


def csrf_of(client: TestClient, path: str = "/console/facilities") -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', client.get(path).text).group(1)


def audit_rows(site: Site) -> int:
    with site.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(AuditEvent)))


def facility_in(site: Site, district: str, offset: int = 0) -> int:
    with site.engine.connect() as conn:
        query = select(Facility.id).where(Facility.district_adcode == district, Facility.deleted_at.is_(None))
        return int(conn.scalar(query.order_by(Facility.id).offset(offset).limit(1)))


def test_the_session_cookie_is_httponly_strict_and_secure_over_https(site: Site) -> None:
    for base, secure in (("http://testserver", False), ("https://testserver", True)):
        client = site.client(base)
        answer = client.post(
            "/console/login",
            data={
                "username": "wang",
                "password": PASSWORD,
                "csrf_token": login_token(client),
                "next": "/console/reports",
            },
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/console/reports"
        cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("geo_console="))
        flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "path", "samesite"} <= flags and ("secure" in flags) == secure
        assert "samesite=strict" in cookie.lower() and "path=/console" in cookie.lower()
        assert "max-age" not in flags and "expires" not in flags  # gone when the browser closes
        token = cookie.split(";")[0].split("=", 1)[1]
        with site.engine.connect() as conn:  # only the token's hash is stored
            stored = conn.scalars(select(ConsoleSession.token_hash)).all()
        assert token not in stored and console_sessions.token_hash(token) in stored


def test_a_refused_sign_in_does_not_say_which_part_was_wrong_and_is_throttled(site: Site) -> None:
    client = site.client(address="10.9.9.9")  # failures count per address too: keep the others' address clean
    wrong_name = client.post(
        "/console/login", data={"username": "nobody", "password": PASSWORD, "csrf_token": login_token(client)}
    )
    wrong_password = client.post(
        "/console/login", data={"username": "zhou", "password": "x" * 14, "csrf_token": login_token(client)}
    )
    message = re.compile(r'<p class="alert" role="alert">([^<]+)</p>')
    assert wrong_name.status_code == wrong_password.status_code == 401
    assert (
        message.search(wrong_name.text).group(1) == message.search(wrong_password.text).group(1) == "用户名或密码错误"
    )
    for _ in range(2):  # login_max_failures=3 for this account
        client.post(
            "/console/login", data={"username": "zhou", "password": "y" * 14, "csrf_token": login_token(client)}
        )
    right = client.post(
        "/console/login", data={"username": "zhou", "password": PASSWORD, "csrf_token": login_token(client)}
    )
    assert right.status_code == 429 and int(right.headers["retry-after"]) > 0
    assert "geo_console=" not in right.headers.get("set-cookie", "")


def test_sign_in_needs_the_login_forms_token(site: Site) -> None:
    client = site.client()
    client.get("/console/login")
    answer = client.post("/console/login", data={"username": "wang", "password": PASSWORD, "csrf_token": "forged"})
    assert answer.status_code == 403 and "geo_console=" not in answer.headers.get("set-cookie", "")


def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(site: Site) -> None:
    client = sign_in(site, "wang")
    copy = site.client()
    copy.cookies.update(client.cookies)
    assert copy.get("/console/facilities").status_code == 200
    assert client.post("/console/logout", data={"csrf_token": csrf_of(client)}).status_code == 303
    again = copy.get("/console/facilities")
    assert again.status_code == 303 and again.headers["location"].startswith("/console/login?next=")


def test_a_disabled_account_is_signed_out_at_once(site: Site) -> None:
    policy = accounts.AccountPolicy.from_settings(site.settings)
    with site.engine.begin() as conn:
        accounts.create_user(
            conn, BY, username="temp", password=PASSWORD, role="editor", districts=["371602"], policy=policy
        )
    client = sign_in(site, "temp")
    with site.engine.begin() as conn:
        accounts.set_user_disabled(conn, BY, "temp", True)
    assert client.get("/console/facilities").status_code == 303


def test_sessions_end_when_idle_and_after_the_absolute_limit(site: Site) -> None:
    policy = SessionPolicy(
        timedelta(minutes=30), timedelta(hours=2), accounts.AccountPolicy.from_settings(site.settings)
    )
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    opened = console_sessions.sign_in(site.engine, "boss", PASSWORD, "127.0.0.9", policy, now=start)
    moment = start
    for _ in range(4):  # active every 25 minutes, up to 1 h 40 min: the idle limit never passes
        moment += timedelta(minutes=25)
        with site.engine.begin() as conn:
            assert console_sessions.resume(conn, opened.token, policy, now=moment).username == "boss"
    moment += timedelta(minutes=25)
    with site.engine.begin() as conn, pytest.raises(Unauthenticated):  # 2 h 5 min after sign-in
        console_sessions.resume(conn, opened.token, policy, now=moment)
    idle = console_sessions.sign_in(site.engine, "boss", PASSWORD, "127.0.0.9", policy, now=start)
    with site.engine.begin() as conn, pytest.raises(Unauthenticated):
        console_sessions.resume(conn, idle.token, policy, now=start + timedelta(minutes=31))
    with site.engine.begin() as conn, pytest.raises(Unauthenticated):  # the expired row is gone
        console_sessions.resume(conn, idle.token, policy, now=start + timedelta(minutes=1))


def test_every_state_changing_request_needs_the_sessions_csrf_token(site: Site) -> None:
    client = sign_in(site, "wang")
    token, own = csrf_of(client), facility_in(site, "371602")
    before = audit_rows(site)
    posts = [
        f"/console/facilities/{own}/verify",
        "/console/logout",
        "/console/reports/1/resolve",
        "/console/facilities/new",
    ]
    tampered = ("y" if token.startswith("x") else "x") + token[1:]
    for path in posts:
        assert client.post(path, data={}).status_code == 403, path
        assert client.post(path, data={"csrf_token": tampered}).status_code == 403, path
    foreign = client.post(
        f"/console/facilities/{own}/verify", data={"csrf_token": token}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    assert audit_rows(site) == before, "nothing was written"
    assert client.post(f"/console/facilities/{own}/verify", data={"csrf_token": token}).status_code == 303
    assert client.post(f"/console/facilities/{own}/verify", headers={"X-CSRF-Token": token}).status_code == 303
    assert audit_rows(site) == before + 2


def test_editors_see_and_change_their_districts_only(site: Site) -> None:
    client, other = sign_in(site, "wang"), facility_in(site, "371681")
    token = csrf_of(client)
    page = client.get(f"/console/facilities/{other}")
    assert page.status_code == 403 and "403" in page.text and "邹平市" in page.text
    assert (
        client.post(f"/console/facilities/{other}", data={"csrf_token": token, "version": "1", "name": "x"}).status_code
        == 403
    )
    assert client.get("/console/facilities", params={"district": "邹平市"}).status_code == 403
    assert client.get("/console/facilities/map", params={"district": "371681"}).status_code == 403
    markers = client.get("/console/facilities/map").json()["markers"]
    with site.engine.connect() as conn:
        own = conn.scalar(
            select(func.count()).where(Facility.district_adcode == "371602", Facility.deleted_at.is_(None))
        )
    assert len(markers) == own
    assert client.get("/console/users").status_code == 403 and client.get("/console/audit").status_code == 403


def test_a_viewer_reads_but_cannot_save(site: Site) -> None:
    client, facility = sign_in(site, "li"), facility_in(site, "371602", 3)
    page = client.get(f"/console/facilities/{facility}")
    assert (
        page.status_code == 200
        and '<fieldset class="form-body" disabled>' in page.text
        and 'id="save"' not in page.text
    )
    answer = client.post(
        f"/console/facilities/{facility}", data={"csrf_token": csrf_of(client), "version": "1", "name": "改名"}
    )
    assert answer.status_code == 403


PAGES = [
    "/console/facilities", "/console/facilities/new", "/console/reports", "/console/freshness", "/console/imports",
    "/console/users", "/console/keys", "/console/audit", "/console/facilities/999999", "/console/login",
]  # fmt: skip


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_sends_the_strict_policy_and_has_no_inline_script(site: Site, lang: str) -> None:
    client = sign_in(site, "boss")
    for path in PAGES:
        page = client.get(path, params={"lang": lang})
        assert page.status_code in (200, 404), path
        assert page.headers["content-security-policy"].startswith(POLICY), path
        assert (
            "unsafe" not in page.headers["content-security-policy"]
            and "frame-ancestors 'none'" in page.headers["content-security-policy"]
        )
        assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page.text) == [], path
        assert re.findall(r"\son[a-z]+\s*=", page.text) == [] and " style=" not in page.text, path
        assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in page.text


def _upload(client: TestClient, data: bytes, token: str | None) -> object:
    form = {"crs": "wgs84"} | ({"csrf_token": token} if token else {})
    return client.post("/console/imports", data=form, files={"file": ("站点.xlsx", data)})


def test_the_import_wizard_keeps_the_file_for_its_owner_and_a_refused_commit_writes_nothing(site: Site) -> None:
    from tests.console_support import import_workbook

    client, data = sign_in(site, "wang"), import_workbook(fixed=False, name_header="名称")
    token = csrf_of(client)
    assert _upload(client, data, None).status_code == 403
    assert _upload(sign_in(site, "li"), data, token).status_code == 403  # a viewer (and not its token)
    answer = _upload(client, data, token)
    assert answer.status_code == 303
    page = answer.headers["location"]
    assert re.match(r"^/console/imports/[A-Za-z0-9_-]{32}\?crs=wgs84$", page)
    assert sign_in(site, "boss").get(page).status_code == 404, "another user cannot read the upload"
    report = client.get(page)
    assert report.status_code == 200 and report.text.count('class="row-rejected') == 3
    with site.engine.connect() as conn:
        before = conn.scalar(select(func.count()).select_from(Facility))
    keep = {"csrf_token": token, "crs": "wgs84"}
    refused = client.post(page.split("?")[0] + "/commit", data=keep)
    assert refused.status_code == 422 and "3 行被拒绝" in refused.text
    with site.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Facility)) == before
    done = client.post(page.split("?")[0] + "/commit", data={**keep, "skip_rejected": "1"})
    assert done.status_code == 200 and 'id="import-done"' in done.text
    with site.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Facility)) == before + 5
    assert client.get(page).status_code == 404, "a committed upload is dropped"
