"""The ids of every facility matching a filtered OGC query, kept per data revision.

A page of a filtered query (a bbox, a filter, property conditions, a datetime) ordered by id would make
the database find every match and sort it on every page; the same scan also counts them. So the first
page reads the ids of all matches once (one index scan, in id order) and keeps them with the data
revision that read them: numberMatched is their number, a page is a slice (`after` by bisection), and
only that page's rows are read by id. A write anywhere bumps the revision, which the page's own rows
carry, so a list read before the write is never used after it. The lists are bounded by their bytes
(GEO_OGC_ID_CACHE_MB), least recently used first out.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class IdList:
    """The ids matching one query at one data revision, ascending."""

    revision: int
    ids: array[int]

    def page(self, after: int | None, offset: int, limit: int) -> tuple[list[int], bool]:
        """The ids of a page (after `after`, skipping `offset`) and whether more follow it."""
        start = (0 if after is None else bisect_right(self.ids, after)) + offset
        return self.ids[start : start + limit].tolist(), start + limit < len(self.ids)


class IdLists:
    """Id lists by query, least recently used out first beyond `max_bytes`; shared by a worker's threads."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._lists: OrderedDict[Hashable, IdList] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> IdList | None:
        with self._lock:
            found = self._lists.get(key)
            if found is not None:
                self._lists.move_to_end(key)
            return found

    def put(self, key: Hashable, revision: int, ids: Sequence[int]) -> IdList:
        """Keep the ids read at `revision` (a list larger than the whole budget is used, not kept)."""
        found = IdList(revision, array("q", ids))
        size = found.ids.itemsize * len(found.ids)
        if size > self.max_bytes:
            return found
        with self._lock:
            self._drop(key)
            self._lists[key] = found
            self._bytes += size
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._lists)))
        return found

    def drop(self, key: Hashable) -> None:
        with self._lock:
            self._drop(key)

    def _drop(self, key: Hashable) -> None:
        old = self._lists.pop(key, None)
        if old is not None:
            self._bytes -= old.ids.itemsize * len(old.ids)
