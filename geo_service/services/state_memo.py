"""Open states of a nearest index's facilities, memoised per position until their next change.

A state holds until the facility's hours next change (hours later, or never for 24/7), so most lookups
skip the evaluation. The memo is flat arrays sized to the snapshot — a state code, the window it holds
in as seconds, and whether a closed facility opens at that change — not a dict of Python objects: at
the national set such a dict grew with every facility answered (137,000 entries after 60,000 random
queries, ~30 MB) and every full pass of the cyclic collector walked it (~50 ms, every request waiting).
Arrays hold no references for the collector to follow and take the same memory whatever is asked.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Final

import numpy as np
from opening_hours import OpeningHours

from geo_service.analysis.hours import OpenState, StateAt, facility_state, state_with_next_change

_STATES: Final = tuple(OpenState)
_CODE: Final = {state: code for code, state in enumerate(_STATES, start=1)}  # 0: nothing known yet
_EPOCH: Final = datetime(2000, 1, 1)  # naive, like the wall-clock times compared against it
_OPENS, _STAYS = 1, 2  # whether a closed facility opens at its next change (0: not derived in this window)
ANSWERS_KEPT: Final = 4096  # distinct (state, change, opens) answers kept: facilities share them


class StateMemo:
    """By position: the open state, valid in [since, until) seconds since _EPOCH (until +inf: it never
    changes), and the derived "opens at the change"; positions are the snapshot's."""

    __slots__ = ("_answers", "_code", "_last", "_opens", "_since", "_until")

    def __init__(self, size: int) -> None:
        # zero-filled by the allocator, so pages are mapped only where something is asked; read through
        # memoryviews, whose items are plain Python numbers (NumPy scalars cost ~3x more per read)
        self._code: memoryview[int] = _zeros(size, np.int8).cast("b")
        self._opens: memoryview[int] = _zeros(size, np.int8).cast("b")
        self._since: memoryview[float] = _zeros(size, np.float64).cast("d")
        self._until: memoryview[float] = _zeros(size, np.float64).cast("d")
        self._last: tuple[datetime, float] | None = None  # one request's wall clock, in seconds
        self._answers: dict[tuple[OpenState, float, int], StateAt] = {}  # few distinct: shared by facilities

    def open_state(self, hours: OpeningHours | None, position: int, wall_clock: datetime) -> OpenState:
        """state_with_next_change's state at `wall_clock` (naive local), evaluated again only when its
        window has passed."""
        return self._known(hours, position, wall_clock)[0]

    def state(self, hours: OpeningHours | None, position: int, wall_clock: datetime) -> StateAt:
        """facility_state of an open facility (its state, when it changes and when it next opens),
        derived once per window and shared: facilities with the same state, change and opening share
        one answer, so later lookups cost a dict read."""
        state, until = self._known(hours, position, wall_clock)
        opens = self._opens[position]
        answer = self._answers.get((state, until, opens)) if opens else None
        if answer is None:
            change = None if math.isinf(until) else _EPOCH + timedelta(seconds=until)
            answer = facility_state(None, hours, wall_clock, (state, change))
            opens = self._opens[position] = _OPENS if answer.opens_at is not None else _STAYS
            if len(self._answers) >= ANSWERS_KEPT:
                self._answers.clear()
            self._answers[state, until, opens] = answer
        return answer

    def _known(self, hours: OpeningHours | None, position: int, wall_clock: datetime) -> tuple[OpenState, float]:
        """(state, until in seconds), evaluated now when the memo does not cover `wall_clock`."""
        now = self._seconds(wall_clock)
        code = self._code[position]
        if code and self._since[position] <= now < self._until[position]:
            return _STATES[code - 1], self._until[position]
        state, change = state_with_next_change(hours, wall_clock)
        until = math.inf if change is None else (change - _EPOCH).total_seconds()
        self._since[position], self._until[position] = now, until
        self._code[position], self._opens[position] = _CODE[state], 0
        return state, until

    def _seconds(self, wall_clock: datetime) -> float:
        """`wall_clock` as seconds since _EPOCH (exact to the microsecond), converted once per request."""
        last = self._last
        if last is not None and last[0] is wall_clock:
            return last[1]
        now = (wall_clock - _EPOCH).total_seconds()
        self._last = (wall_clock, now)
        return now


def _zeros(size: int, dtype: type[np.generic]) -> memoryview[int]:
    """The bytes of a zero-filled array (the memoryview keeps the array alive)."""
    return np.zeros(size, dtype=dtype).data.cast("B")
