"""How console routes answer failures: as pages, with the status the API would give.

A console route raises the same domain errors as the services; this route class turns them into HTML:
no session → a redirect to the login page (back here afterwards); anything else → the error page with
the status of geo_service.api.errors (the one map from domain errors to HTTP codes: 403 for another
district, 404, 409, 422 …) and its message. A bad query parameter is a 422 page naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from geo_service.api.errors import error_response
from geo_service.console.templating import console_url, lang_of, render
from geo_service.errors import GeoServiceError, Unauthenticated

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def login_redirect(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = console_url(request.scope.get("root_path", ""), "/console/login", lang_of(request), {"next": here})
    return RedirectResponse(target, status_code=303)


def error_page(request: Request, status_code: int, message: str) -> Response:
    return render(
        request, "error.html", {"status": status_code, "message": message}, session=None, status_code=status_code
    )


def _validation_message(exc: RequestValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc'][1:]) or 'request'}: {error['msg']}" for error in exc.errors()
    )


class ConsoleRoute(APIRoute):
    """An APIRoute whose domain errors become console pages (see the module docstring)."""

    def get_route_handler(self) -> Handler:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except Unauthenticated:
                return login_redirect(request)
            except RequestValidationError as exc:
                return error_page(request, 422, _validation_message(exc))
            except GeoServiceError as exc:
                mapped = error_response(exc)
                if mapped is None:
                    raise
                return error_page(request, mapped.status_code, str(exc))

        return handler
