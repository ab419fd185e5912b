"""The console's HTTP side of sessions: the cookie, the signed-in visit of a request, the CSRF check.

The cookie holds only the session token: `HttpOnly` (no script reads it), `SameSite=Strict` (no other
site's page or link sends it), `Secure` when the request came over https (directly or, with uvicorn's
proxy headers, through a trusted proxy), `Path=/console`. It has no Max-Age: the browser forgets it when
it closes, and the server ends it after GEO_CONSOLE_IDLE_S idle or GEO_CONSOLE_ABSOLUTE_S in all.

Every POST needs the session's CSRF token, as the form field `csrf_token` or the `X-CSRF-Token` header
(scripts), and an Origin, when the browser sends one, of this site. The login form, before any
session, uses a double-submit token: a random cookie that the form must repeat.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData

from geo_service.api.deps import EngineDep, SettingsDep
from geo_service.api.request_id import request_id_of
from geo_service.errors import Forbidden
from geo_service.maps.i18n import Lang
from geo_service.services import console_sessions
from geo_service.services.caller import Caller
from geo_service.services.console_sessions import ActiveSession, SessionPolicy, same_token

SESSION_COOKIE: Final = "geo_console"
LOGIN_COOKIE: Final = "geo_console_login"
CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "x-csrf-token"
COOKIE_PATH: Final = "/console"
CSRF_REFUSED: Final = (
    "安全校验失败：请刷新页面后重试 (the form's security token is missing or wrong; reload the page and try again)"
)


@dataclass(frozen=True)
class Visit:
    """A request of a signed-in person: the session (re-checked now) and the caller of use cases."""

    session: ActiveSession
    caller: Caller
    lang: Lang


@dataclass(frozen=True)
class Posted:
    """A state-changing request whose CSRF token matched: the visit and the form it sent."""

    visit: Visit
    form: FormData


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(
        name, path=COOKIE_PATH, secure=request.url.scheme == "https", httponly=True, samesite="strict"
    )


def current_visit(request: Request, engine: EngineDep, settings: SettingsDep) -> Visit:
    """The signed-in visit; Unauthenticated (→ the login page) without a valid session."""
    policy = SessionPolicy.from_settings(settings)
    with engine.begin() as conn:
        session = console_sessions.resume(conn, request.cookies.get(SESSION_COOKIE), policy)
    caller = Caller(session.principal, request_id_of(request.scope), client_address(request))
    lang: Lang = "en" if request.query_params.get("lang") == "en" else "zh"
    return Visit(session, caller, lang)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True  # browsers send Origin on every cross-site POST; a missing one is not from another site
    return origin == f"{request.url.scheme}://{request.url.netloc}"


def check_csrf(request: Request, visit: Visit, token: object) -> None:
    """Forbidden (403 page) unless `token` (or the X-CSRF-Token header) is the session's and the
    Origin, when sent, is this site."""
    token = token or request.headers.get(CSRF_HEADER)
    if not isinstance(token, str) or not same_token(visit.session.csrf_token, token) or not _same_origin(request):
        raise Forbidden(CSRF_REFUSED)


async def posted(request: Request, visit: Annotated[Visit, Depends(current_visit)]) -> Posted:
    """The visit of a POST whose CSRF token is the session's; Forbidden (403 page) otherwise."""
    form = await request.form()
    check_csrf(request, visit, form.get(CSRF_FIELD))
    return Posted(visit, form)


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def check_login_token(request: Request, form: FormData) -> None:
    """The login form's double-submit check: the form repeats the cookie set with the form."""
    cookie, field = request.cookies.get(LOGIN_COOKIE), form.get(CSRF_FIELD)
    if not cookie or not isinstance(field, str) or not same_token(cookie, field) or not _same_origin(request):
        raise Forbidden(CSRF_REFUSED)


VisitDep = Annotated[Visit, Depends(current_visit)]
PostedDep = Annotated[Posted, Depends(posted)]
