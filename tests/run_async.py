"""Run a coroutine to completion from a synchronous test, whatever the test process runs beside it.

The session's Playwright browser (sync API) keeps an event loop marked running in the main thread, so
`asyncio.run` there fails once any browser test has run in the same process (which depends on how the
suite is split across processes). A fresh thread has no loop of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()
