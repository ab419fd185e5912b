"""Access and error logs: the formats, the request id on every line (threads included), the settings,
and an unhandled exception on the fast path logged with its request id and still answered 500 with
every header."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from geo_service.api.access_log import ACCESS
from geo_service.api.log_format import ROOT_LOGGER, RequestIdFilter, TextFormatter, configure_logging
from geo_service.api.request_id import RequestIdMiddleware, current_request_id
from geo_service.app import create_app
from geo_service.settings import Settings


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """configure_logging changes the process's `geo_service` logger: put it back afterwards."""
    logger = logging.getLogger(ROOT_LOGGER)
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    flags = (logging.logThreads, logging.logProcesses, logging.logMultiprocessing)
    yield
    logger.handlers[:], logger.level, logger.propagate = handlers, level, propagate
    logging.logThreads, logging.logProcesses, logging.logMultiprocessing = flags


def _record(message: str, **fields: object) -> logging.LogRecord:
    record = logging.LogRecord(ACCESS.name, logging.INFO, __file__, 1, message, (), None)
    record.fields = fields
    return record


def test_configured_json_lines_on_stderr(restored_logging, capsys) -> None:
    configure_logging(Settings(log_format="json"))
    configure_logging(Settings(log_format="json"))  # a second worker start in one process: still one line
    ACCESS.info("GET / 200", extra={"fields": {"status": 200, "path": "/"}})
    logging.getLogger("geo_service.other").warning("名字 %s", "\ud800")  # a lone surrogate still logs
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    first, second = map(json.loads, lines)
    assert (first["logger"], first["level"], first["status"], first["path"]) == (ACCESS.name, "INFO", 200, "/")
    logged_at = datetime.fromisoformat(first["time"])
    assert abs((datetime.now(UTC) - logged_at).total_seconds()) < 5 and first["time"].endswith("Z")
    assert "request_id" not in first  # outside a request
    assert second["message"] == "名字 \ud800"


def test_configured_text_lines_keep_one_line_per_record(restored_logging, capsys) -> None:
    configure_logging(Settings(log_format="text", log_level="warning"))
    ACCESS.info("not at this level")
    ACCESS.warning("GET %s 200", "/a", extra={"fields": {"path": "/a\nforged line", "status": 200}})
    (line,) = capsys.readouterr().err.splitlines()
    assert line.endswith('GET /a 200 path="/a\\nforged line" status=200')
    assert " WARNING geo_service.access " in line


def test_text_values_with_spaces_are_quoted() -> None:
    line = TextFormatter().format(_record("m", client="10.0.0.1", detail="a b"))
    assert line.endswith('m client=10.0.0.1 detail="a b"')


def test_the_request_id_reaches_threads_and_log_records() -> None:
    def endpoint(_request) -> PlainTextResponse:  # a sync endpoint: Starlette runs it in a worker thread
        record = logging.LogRecord("geo_service.x", logging.INFO, __file__, 1, "m", (), None)
        RequestIdFilter().filter(record)
        return PlainTextResponse(f"{current_request_id()} {record.request_id}")

    app = RequestIdMiddleware(Starlette(routes=[Route("/", endpoint)]))
    with TestClient(app) as client:
        given = client.get("/", headers={"X-Request-ID": "abc-123"})
        made = client.get("/", headers={"X-Request-ID": "not a token!"})
    assert given.text == "abc-123 abc-123"
    assert made.text == f"{made.headers['x-request-id']} {made.headers['x-request-id']}"
    assert len(made.headers["x-request-id"]) == 32 and current_request_id() is None


def test_settings_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("GEO_ACCESS_LOG", "off")
    monkeypatch.setenv("GEO_LOG_FORMAT", "text")
    monkeypatch.setenv("GEO_MAX_BODY_BYTES", "4096")
    monkeypatch.setenv("GEO_IMPORT_MAX_BYTES", "65536")
    settings = Settings()
    assert (settings.access_log, settings.log_format) == (False, "text")
    assert (settings.max_body_bytes, settings.import_max_bytes) == (4096, 65536)
    assert (Settings.model_fields["access_log"].default, Settings.model_fields["log_format"].default) == (True, "json")


class _Broken:
    """A nearest service with a bug: the fast path has no FastAPI handler around it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def find(self, _query: object) -> None:
        raise RuntimeError("a bug in the index")


@pytest.mark.server_error
@pytest.mark.parametrize("access_log", [True, False])
def test_a_bug_on_the_fast_path_is_logged_with_its_request_id(tmp_path: Path, caplog, access_log: bool) -> None:
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'empty.sqlite'}", access_log=access_log)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.app.state.nearest = _Broken(settings)
        with caplog.at_level(logging.INFO, logger=ROOT_LOGGER):
            response = client.get("/api/v1/facilities/nearest?lon=118&lat=37.4", headers={"X-Request-ID": "bug-1"})
        scraped = client.get("/metrics").text
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "bug-1" and response.headers["x-content-type-options"] == "nosniff"
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name.startswith(ROOT_LOGGER)]
    assert len(errors) == 1 and errors[0].fields["request_id"] == "bug-1"
    assert errors[0].exc_info is not None and "a bug in the index" in str(errors[0].exc_info[1])
    access = [r for r in caplog.records if r.name == ACCESS.name]
    assert [r.fields["status"] for r in access] == ([500] if access_log else [])
    assert 'geo_http_requests_total{method="GET",route="/api/v1/facilities/nearest",status="5xx"} 1.0' in scraped
