"""The one place where domain and driver errors become HTTP status codes.

`install_error_handlers` registers the mapping with FastAPI; `error_response` applies the same mapping
where FastAPI's handlers do not run (the fast path of the nearest route).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Final

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from geo_service.errors import (
    BadRequest,
    Conflict,
    CredentialsInQuery,
    DatabaseUnavailable,
    ExportTooLarge,
    FileRefused,
    Forbidden,
    ImportRejected,
    InvalidFile,
    InvalidInput,
    InvalidParameter,
    JobsBusy,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    ServerBusy,
    TooManyRequests,
    Unauthenticated,
    UnsupportedFile,
)

log = logging.getLogger(__name__)
#: How much of a client's value an error body may quote.
ECHO_CHARS: Final = 200


def _invalid_parameter(exc: Exception) -> JSONResponse | None:
    assert isinstance(exc, InvalidParameter)
    problem: dict[str, object] = {"loc": [exc.location, exc.parameter], "msg": clip(exc.message), "type": "value_error"}
    if exc.code is not None:
        problem["code"] = exc.code
    return JSONResponse({"detail": [problem]}, status_code=422)


_FILE_STATUS: tuple[tuple[type[FileRefused], int, str], ...] = (
    (PayloadTooLarge, 413, "payload_too_large"),
    (UnsupportedFile, 415, "unsupported_file"),
    (InvalidFile, 422, "invalid_file"),
)


def _file_refused(exc: Exception) -> JSONResponse | None:
    """Uploads: 413 too large, 415 not a format we read, 422 broken/hostile; `loc` names the multipart field."""
    assert isinstance(exc, FileRefused)
    status, kind = next(((s, k) for t, s, k in _FILE_STATUS if isinstance(exc, t)), (422, "invalid_file"))
    body = {"detail": [{"loc": ["body", exc.field], "msg": str(exc), "type": kind}]}
    return JSONResponse(body, status_code=status)


def _invalid_input(exc: Exception) -> JSONResponse | None:
    assert isinstance(exc, InvalidInput)
    detail = [
        {"loc": [exc.location, field], "msg": clip(message), "type": "value_error"} for field, message in exc.problems
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def _precondition_failed(exc: Exception) -> JSONResponse | None:
    return JSONResponse({"detail": str(exc)}, status_code=412)


def _precondition_required(exc: Exception) -> JSONResponse | None:
    return JSONResponse({"detail": str(exc)}, status_code=428)


def _import_rejected(exc: Exception) -> JSONResponse | None:
    """A refused commit: the full report (the same members as a 200) plus `detail` saying why."""
    assert isinstance(exc, ImportRejected)
    detail = [{"loc": ["body", "file"], "msg": str(exc), "type": "import_rejected"}]
    return JSONResponse({"detail": detail, **exc.report.model_dump(mode="json")}, status_code=422)


def _export_too_large(exc: Exception) -> JSONResponse | None:
    detail = [{"loc": ["query"], "msg": str(exc), "type": "export_too_large"}]
    return JSONResponse({"detail": detail}, status_code=422)


def _bad_request(exc: Exception) -> JSONResponse | None:
    """OGC API exception (`code`, `description`) plus the house `detail[].loc` naming the parameter."""
    assert isinstance(exc, BadRequest)
    detail: dict[str, object] = {"loc": ["query", exc.parameter], "msg": clip(exc.message), "type": exc.code}
    if exc.position is not None:
        detail["position"] = exc.position
    body = {"code": exc.code, "description": clip(str(exc)), "detail": [detail]}
    return JSONResponse(body, status_code=400)


def _not_found(exc: Exception) -> JSONResponse | None:
    return JSONResponse({"detail": str(exc)}, status_code=404)


def _unauthenticated(exc: Exception) -> JSONResponse | None:
    assert isinstance(exc, Unauthenticated)
    challenge = 'Bearer error="invalid_token"' if exc.invalid_token else "Bearer"
    return JSONResponse({"detail": str(exc)}, status_code=401, headers={"WWW-Authenticate": challenge})


def _forbidden(exc: Exception) -> JSONResponse | None:
    return JSONResponse({"detail": str(exc)}, status_code=403)


def _too_many(exc: Exception) -> JSONResponse | None:
    assert isinstance(exc, TooManyRequests)
    return JSONResponse({"detail": str(exc)}, status_code=429, headers={"Retry-After": str(exc.retry_after_s)})


def _credentials_in_query(exc: Exception) -> JSONResponse | None:
    assert isinstance(exc, CredentialsInQuery)
    body = {"detail": [{"loc": ["query", exc.parameter], "msg": str(exc), "type": "credentials_in_query"}]}
    return JSONResponse(body, status_code=400)


def _conflict(exc: Exception) -> JSONResponse | None:
    return JSONResponse({"detail": str(exc)}, status_code=409)


def _jobs_busy(exc: Exception) -> JSONResponse | None:
    headers = {"Retry-After": str(JobsBusy.retry_after_s)}
    return JSONResponse({"detail": str(exc)}, status_code=503, headers=headers)


def _server_busy(exc: Exception) -> JSONResponse | None:
    """A full analysis gate or thread pool: refused within GEO_QUEUE_WAIT_S rather than queued for seconds."""
    headers = {"Retry-After": str(ServerBusy.retry_after_s)}
    return JSONResponse({"detail": str(exc)}, status_code=503, headers=headers)


def _unavailable(exc: Exception) -> JSONResponse | None:
    """Down, restarting, every pooled connection busy (after db_pool_timeout_s), a statement timeout, a
    SQLite lock held past the busy timeout: all answered within about a second, all worth a retry."""
    log.warning("database unavailable: %s", exc.__class__.__name__, exc_info=exc)
    return JSONResponse(
        {"detail": "数据库暂时不可用或繁忙，请稍后重试 (the database is unavailable or busy; retry shortly)"},
        status_code=503,
        headers={"Retry-After": str(DatabaseUnavailable.retry_after_s)},
    )


def _driver_error(exc: Exception) -> JSONResponse | None:
    """Connection loss, lock or timeout → 503; anything else from the driver is a bug (None → 500)."""
    assert isinstance(exc, DBAPIError)
    if isinstance(exc, OperationalError) or exc.connection_invalidated:
        return _unavailable(exc)
    return None


_MAPPING: dict[type[Exception], Callable[[Exception], JSONResponse | None]] = {
    InvalidParameter: _invalid_parameter,
    InvalidInput: _invalid_input,
    PreconditionFailed: _precondition_failed,
    PreconditionRequired: _precondition_required,
    BadRequest: _bad_request,
    NotFound: _not_found,
    Unauthenticated: _unauthenticated,
    Forbidden: _forbidden,
    TooManyRequests: _too_many,
    JobsBusy: _jobs_busy,
    ServerBusy: _server_busy,
    CredentialsInQuery: _credentials_in_query,
    Conflict: _conflict,
    FileRefused: _file_refused,
    ImportRejected: _import_rejected,
    ExportTooLarge: _export_too_large,
    DatabaseUnavailable: _unavailable,
    PoolTimeout: _unavailable,
    DBAPIError: _driver_error,
}


def error_response(exc: Exception) -> JSONResponse | None:
    """The response for a domain or driver error, or None when `exc` is a bug (it becomes a 500)."""
    for error_type, to_response in _MAPPING.items():
        if isinstance(exc, error_type):
            return to_response(exc)
    return None


def install_error_handlers(app: FastAPI) -> None:
    def handle(_request: Request, exc: Exception) -> JSONResponse:
        response = error_response(exc)
        if response is None:
            raise exc
        return response

    for error_type in _MAPPING:
        app.add_exception_handler(error_type, handle)
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]


def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's own 422 body, except that what it echoes from the request is kept short: `input` is
    dropped when its JSON text passes ECHO_CHARS (a 2 MB polygon, a 50 MB string) and kept as that text's
    start, and `msg` is clipped (a message may quote the value)."""
    return JSONResponse({"detail": [_short(error) for error in exc.errors()]}, status_code=422)


def _short(error: Mapping[str, Any]) -> dict[str, Any]:
    short = {key: value for key, value in error.items() if key not in ("input", "ctx", "url")}
    short["msg"] = clip(str(error.get("msg", "")))
    if "input" in error:
        text = orjson.dumps(error["input"], default=repr).decode() if not isinstance(error["input"], str) else None
        if text is None:
            short["input"] = clip(error["input"])
        elif len(text) <= ECHO_CHARS:
            short["input"] = orjson.loads(text)
        else:
            short["input"] = clip(text)
    if "ctx" in error:
        short["ctx"] = {key: clip(str(value)) for key, value in error["ctx"].items()}
    return short


def clip(text: str) -> str:
    """`text` cut to about ECHO_CHARS characters, keeping its start and end (a message's last part says
    what was expected), and with any lone surrogate replaced so that the body can be written."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    if len(text) <= ECHO_CHARS:
        return text
    half = ECHO_CHARS // 2
    return f"{text[:half]}…({len(text) - 2 * half} 字符略 / characters left out)…{text[-half:]}"
