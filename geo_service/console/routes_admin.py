"""Admins only: users (create, disable, enable), API keys (create — the secret shown once —, revoke),
and the audit log. Every change goes through services.accounts and is audited as the signed-in admin."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import Connection

from geo_service.api.deps import ConnectionDep, EngineDep, SettingsDep
from geo_service.api.typed_params import DbInt
from geo_service.console.route import ConsoleRoute
from geo_service.console.session import PostedDep, Visit, VisitDep
from geo_service.console.templating import console_url, render
from geo_service.errors import Conflict, InvalidParameter
from geo_service.services import accounts, facility_table
from geo_service.services.accounts import AccountPolicy

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
_ONCE = {"Cache-Control": "no-store"}


def _redirect(request: Request, visit: Visit, path: str, done: str) -> RedirectResponse:
    return RedirectResponse(console_url(request.scope.get("root_path", ""), path, visit.lang, {"done": done}), 303)


def _accounts_page(
    request: Request,
    visit: Visit,
    conn: Connection,
    template: str,
    extra: Mapping[str, object] | None = None,
    status_code: int = 200,
) -> Response:
    """The users or keys page (admins only), with the result of the last change in `extra`."""
    accounts.admin_context(visit.caller)
    context = {
        "page": "users" if template == "users.html" else "keys",
        "users": accounts.list_users(conn) if template == "users.html" else [],
        "keys": accounts.list_keys(conn) if template == "keys.html" else [],
        "districts": facility_table.visible_districts(conn, visit.session.principal),
        "district_names": {d.adcode: d.name for d in facility_table.visible_districts(conn, visit.session.principal)},
        "done": request.query_params.get("done"),
        "error": None,
        "secret": None,
        "form": {},
        **(extra or {}),
    }
    return render(request, template, context, session=visit.session, status_code=status_code, headers=_ONCE)


@router.get("/console/users")
def users_page(request: Request, visit: VisitDep, conn: ConnectionDep) -> Response:
    return _accounts_page(request, visit, conn, "users.html")


@router.post("/console/users")
def create_user(
    request: Request, posted: PostedDep, engine: EngineDep, conn: ConnectionDep, settings: SettingsDep
) -> Response:
    visit, form = posted.visit, posted.form
    by = accounts.admin_context(visit.caller)
    typed = str(form.get("password") or "")
    password = typed or accounts.generate_password()
    username, role = str(form.get("username") or ""), str(form.get("role") or "")
    districts = [str(value) for value in form.getlist("district")]
    policy = AccountPolicy.from_settings(settings)
    try:
        with engine.begin() as tx:
            user = accounts.create_user(
                tx, by, username=username, password=password, role=role, districts=districts, policy=policy
            )
    except (InvalidParameter, Conflict) as exc:
        extra = {"error": str(exc), "form": {"username": username, "role": role, "districts": districts}}
        return _accounts_page(request, visit, conn, "users.html", extra, 409 if isinstance(exc, Conflict) else 422)
    created = {"created": user.username, "secret": None if typed else password}
    return _accounts_page(request, visit, conn, "users.html", created)


@router.post("/console/users/{username}/{change}")
def change_user(username: str, change: str, request: Request, posted: PostedDep, engine: EngineDep) -> Response:
    if change not in ("disable", "enable"):
        raise InvalidParameter("change", "可选 disable、enable (disable or enable)", "path")
    by = accounts.admin_context(posted.visit.caller)
    with engine.begin() as tx:
        accounts.set_user_disabled(tx, by, username, change == "disable")
    return _redirect(request, posted.visit, "/console/users", f"user_{change}d")


@router.get("/console/keys")
def keys_page(request: Request, visit: VisitDep, conn: ConnectionDep) -> Response:
    return _accounts_page(request, visit, conn, "keys.html")


@router.post("/console/keys")
def create_key(request: Request, posted: PostedDep, engine: EngineDep, conn: ConnectionDep) -> Response:
    """A new key; the page that answers is the only place its secret is ever shown."""
    visit, form = posted.visit, posted.form
    by = accounts.admin_context(visit.caller)
    label, role = str(form.get("label") or ""), str(form.get("role") or "")
    districts = [str(value) for value in form.getlist("district")]
    try:
        with engine.begin() as tx:
            new = accounts.create_key(tx, by, label=label, role=role, districts=districts)
    except InvalidParameter as exc:
        extra = {"error": str(exc), "form": {"label": label, "role": role, "districts": districts}}
        return _accounts_page(request, visit, conn, "keys.html", extra, 422)
    return _accounts_page(request, visit, conn, "keys.html", {"secret": new.secret, "created": new.key.id})


@router.post("/console/keys/{key_id}/revoke")
def revoke_key(key_id: DbInt, request: Request, posted: PostedDep, engine: EngineDep) -> Response:
    by = accounts.admin_context(posted.visit.caller)
    with engine.begin() as tx:
        accounts.revoke_key(tx, by, key_id)
    return _redirect(request, posted.visit, "/console/keys", "key_revoked")
