"""The one place where domain and driver errors become HTTP status codes."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from geo_service.errors import DatabaseUnavailable, InvalidParameter, NotFound

log = logging.getLogger(__name__)


def _invalid_parameter(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidParameter)
    body = {"detail": [{"loc": ["query", exc.parameter], "msg": exc.message, "type": "value_error"}]}
    return JSONResponse(body, status_code=422)


def _not_found(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=404)


def _unavailable(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable: %s", exc.__class__.__name__, exc_info=exc)
    return JSONResponse(
        {"detail": "the database is unavailable or busy; retry shortly"},
        status_code=503,
        headers={"Retry-After": str(DatabaseUnavailable.retry_after_s)},
    )


def _driver_error(request: Request, exc: Exception) -> JSONResponse:
    """Connection loss, lock or timeout → 503; anything else from the driver is a bug and re-raised."""
    assert isinstance(exc, DBAPIError)
    if isinstance(exc, OperationalError) or exc.connection_invalidated:
        return _unavailable(request, exc)
    raise exc


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(InvalidParameter, _invalid_parameter)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(DatabaseUnavailable, _unavailable)
    app.add_exception_handler(PoolTimeout, _unavailable)
    app.add_exception_handler(DBAPIError, _driver_error)
