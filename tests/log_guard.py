"""No test may leave an unhandled traceback in the log: a pytest plugin (registered by tests/conftest.py).

Around every test, a handler on the app's loggers (`geo_service`, which does not always propagate),
uvicorn's and Starlette's error loggers and the root logger collects ERROR records that carry a
traceback (exc_info): a route that raised, logged by the access log's error line or by the server. The
test then fails naming them, so a 500 hidden behind `raise_server_exceptions=False`, an in-thread server
or a background task cannot pass unnoticed. A test that provokes one on purpose says so with
`@pytest.mark.server_error`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

WATCHED = ("", "geo_service", "uvicorn", "uvicorn.error", "starlette", "fastapi")


class TracebackCollector(logging.Handler):
    """Keeps the ERROR records with exc_info, each once however many watched loggers it passed."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: dict[int, logging.LogRecord] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records[id(record)] = record

    def summary(self) -> str:
        return "; ".join(f"{r.name}: {r.getMessage()} ({r.exc_info[1]!r})" for r in self.records.values() if r.exc_info)


@pytest.fixture(autouse=True)
def no_unhandled_traceback(request: pytest.FixtureRequest) -> Iterator[TracebackCollector]:
    collector = TracebackCollector()
    loggers = [logging.getLogger(name) for name in WATCHED]
    for logger in loggers:
        logger.addHandler(collector)
    try:
        yield collector
    finally:
        for logger in loggers:
            logger.removeHandler(collector)
    if collector.records and request.node.get_closest_marker("server_error") is None:
        pytest.fail(f"unhandled traceback in the log: {collector.summary()}", pytrace=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "server_error: the test provokes an unhandled traceback on purpose")
