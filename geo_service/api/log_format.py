"""Log lines of the service: JSON objects (default) or text, each with the id of the request it belongs to.

`configure_logging` is called by the server entry point (geo_service.asgi), once per worker process: it
gives the `geo_service` loggers one handler on stderr and stops them from propagating, so a line is
written once, in the configured format, whether uvicorn, gunicorn or `geo-service serve` runs the app.
Apps built in tests are left to the test runner's logging (pytest's capture sees every record).

A record's `fields` (passed as `extra={"fields": {...}}`) become members of the JSON object, or `k=v`
pairs after the text message; formatting happens in the handler, so nothing is formatted for a line
that a level or GEO_ACCESS_LOG turns off.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

import orjson

from geo_service.api.request_id import current_request_id
from geo_service.settings import Settings

ROOT_LOGGER = "geo_service"


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record that does not carry one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


def _members(record: logging.LogRecord) -> dict[str, Any]:
    members: dict[str, Any] = {}
    request_id = getattr(record, "request_id", None)
    if request_id is not None:
        members["request_id"] = request_id
    fields = getattr(record, "fields", None)
    if isinstance(fields, dict):
        members.update(fields)
    return members


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ms), level, logger, message, request_id, fields, exception."""

    _second: tuple[int, str] = (-1, "")  # the formatted second of the last line (most lines share it)

    def _time(self, created: float) -> str:
        second, prefix = self._second
        if int(created) != second:
            second, prefix = int(created), time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
            self._second = (second, prefix)
        return f"{prefix}.{int((created - second) * 1000):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self._time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_members(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        try:
            return orjson.dumps(entry, default=str).decode()
        except orjson.JSONEncodeError:  # e.g. a lone surrogate in a message: escaped by the stdlib instead
            return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """`time level logger message k=v …`, values JSON-quoted when they hold spaces or control characters."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        pairs = [f"{key}={_text_value(value)}" for key, value in _members(record).items()]
        return " ".join([super().formatMessage(record), *pairs])


def _text_value(value: Any) -> str:
    text = str(value)
    if text and text.isprintable() and " " not in text and '"' not in text:
        return text
    return json.dumps(text)


class _StderrHandler(logging.Handler):
    """Writes each line to whatever sys.stderr is at the time (as logging's last-resort handler does),
    in one write: stderr is line-buffered, so the line is out when `emit` returns."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


def configure_logging(settings: Settings) -> None:
    """The `geo_service` loggers write `settings.log_format` lines at `settings.log_level` to stderr.

    Records skip the thread and process names (the logging HOWTO's optimisation): no format here shows
    them, and they cost a third of building a record, once per access line."""
    logger = logging.getLogger(ROOT_LOGGER)
    for handler in [h for h in logger.handlers if isinstance(h, _StderrHandler)]:
        logger.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    logger.addHandler(handler)
    logger.setLevel(settings.log_level.upper())
    logger.propagate = False
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
