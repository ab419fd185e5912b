"""Sign in and out of the console.

A refused sign-in says only "wrong username or password" (the service counts the failure per account
and per address and answers 429 once either is over GEO_LOGIN_MAX_FAILURES), then shows the form again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse

from geo_service.api.deps import EngineDep, SettingsDep
from geo_service.console.route import ConsoleRoute
from geo_service.console.session import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    PostedDep,
    check_login_token,
    clear_cookie,
    client_address,
    new_login_token,
    set_cookie,
)
from geo_service.console.templating import console_url, lang_of, render
from geo_service.console.words import WORDS
from geo_service.errors import TooManyRequests, Unauthenticated
from geo_service.services import console_sessions
from geo_service.services.console_sessions import SessionPolicy

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
_LOGIN_TOKEN_AGE_S = 3600
_HOME = "/console/facilities"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a console path of this site only (no open redirect)."""
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return _HOME


def _login_form(
    request: Request, *, next_path: str, username: str = "", error: str | None = None, status_code: int = 200
) -> Response:
    token = new_login_token()
    context = {"login_token": token, "next": next_path, "username": username, "error": error}
    response = render(request, "login.html", context, session=None, status_code=status_code)
    set_cookie(response, request, LOGIN_COOKIE, token, max_age=_LOGIN_TOKEN_AGE_S)
    return response


def _in_language(path: str, lang: str) -> str:
    if lang == "zh" or "lang=" in path:
        return path
    return path + ("&" if "?" in path else "?") + "lang=en"


@router.get("/console")
def console_home(request: Request) -> RedirectResponse:
    return RedirectResponse(console_url(request.scope.get("root_path", ""), _HOME, lang_of(request)), 303)


@router.get("/console/login")
def login_page(request: Request, next_path: Annotated[str | None, Query(alias="next")] = None) -> Response:
    return _login_form(request, next_path=safe_next(next_path))


async def _login_fields(request: Request) -> tuple[str, str, str]:
    form = await request.form()
    check_login_token(request, form)
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    return username, password, safe_next(str(form.get("next") or ""))


@router.post("/console/login")
def login(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    fields: Annotated[tuple[str, str, str], Depends(_login_fields)],
) -> Response:
    username, password, next_path = fields
    lang = lang_of(request)
    try:
        opened = console_sessions.sign_in(
            engine, username, password, client_address(request), SessionPolicy.from_settings(settings)
        )
    except TooManyRequests as exc:
        response = _login_form(request, next_path=next_path, username=username, error=str(exc), status_code=429)
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    except Unauthenticated:
        error = WORDS[lang]["wrong_credentials"]
        return _login_form(request, next_path=next_path, username=username, error=error, status_code=401)
    response = RedirectResponse(request.scope.get("root_path", "") + _in_language(next_path, lang), status_code=303)
    set_cookie(response, request, SESSION_COOKIE, opened.token)
    clear_cookie(response, request, LOGIN_COOKIE)
    return response


@router.post("/console/logout")
def logout(request: Request, engine: EngineDep, posted: PostedDep) -> Response:
    with engine.begin() as conn:
        console_sessions.sign_out(conn, request.cookies.get(SESSION_COOKIE))
    target = console_url(request.scope.get("root_path", ""), "/console/login", posted.visit.lang)
    response = RedirectResponse(target, status_code=303)
    clear_cookie(response, request, SESSION_COOKIE)
    return response
