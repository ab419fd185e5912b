"""The last few answers to an expensive question, kept per database and data revision.

Coverage and planning answers depend only on the question and the data; the data's revision (bumped by
triggers on every write, whatever the path) says when an answer is stale. Keeping the last few per
worker makes a repeated question (the default map, its exports, the same summary asked by many clients)
cost one revision read instead of a second of CPU. Two workers asking at once may both compute: the
answers are equal, and nothing waits on a lock while computing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy import Engine

from geo_service.queries.facilities import data_revision

V = TypeVar("V")


class RecentAnswers(Generic[V]):
    """Up to `size` answers, the least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._answers: OrderedDict[tuple[Hashable, ...], V] = OrderedDict()
        self._lock = threading.Lock()

    def answer(self, engine: Engine, question: Hashable, compute: Callable[[], V]) -> V:
        """The kept answer to `question` at the data's current revision, else `compute()` (then kept)."""
        with engine.connect() as conn:
            revision = data_revision(conn)
        key = (engine.url.render_as_string(), revision, question)
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]
        value = compute()
        with self._lock:
            self._answers[key] = value
            while len(self._answers) > self._size:
                self._answers.popitem(last=False)
        return value
