"""A bounded wait for a bounded resource: at most `size` holders, the next waits at most `wait_s`.

The request pool's rule (a full pool is a fast 503, never a queue of seconds) applied to what a worker
has besides connections: its heavy-analysis slots (services.heavy) and its request threads
(api.thread_gate). A caller that cannot enter in time gets errors.ServerBusy (503 + Retry-After), with a
message naming what was full.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from geo_service.errors import ServerBusy


class Gate:
    """Created on the event loop that uses it (in the app's lifespan)."""

    def __init__(self, size: int, wait_s: float, busy_message: str) -> None:
        self.size = size
        self._wait_s = wait_s
        self._busy_message = busy_message
        self._slots = asyncio.Semaphore(size)

    async def enter(self) -> None:
        """Take a slot (release it with `leave`), or raise ServerBusy after `wait_s`."""
        try:
            async with asyncio.timeout(self._wait_s):
                await self._slots.acquire()
        except TimeoutError:
            raise ServerBusy(self._busy_message) from None

    def leave(self) -> None:
        self._slots.release()

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        await self.enter()
        try:
            yield
        finally:
            self.leave()
