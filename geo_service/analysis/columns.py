"""Patching per-position columns: drop some positions, append new ones, and restore a sort order.

Columns of Python objects are held as object arrays rather than tuples, so a patch is a gather of
pointers in C (tuples of 186,000 items took ~50 ms each to patch in Python).

An in-memory index follows edits by patching its columns instead of rebuilding them (see
services.facility_index.patch_snapshot); every column must be patched the same way, so the rule lives
here once: the result is `concat(before[keep], added)[order]`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.intp]


SLICE = 16_384  # positions gathered per GIL hold (an object gather increfs each one: ~1 ms a slice)


def patched_array(before: NDArray[Any], keep: IntArray, added: NDArray[Any], order: IntArray) -> NDArray[Any]:
    """`concat(before[keep], added)[order]` for an array, gathered straight from the two sources in
    slices with a thread switch between them: a patch runs beside the event loop's thread, and one
    gather of 186,000 objects would hold the GIL for 10–50 ms (every nearest request waiting)."""
    merged = np.empty(len(order), dtype=np.result_type(before, added))
    kept = len(keep)
    for start in range(0, len(order), SLICE):
        wanted = order[start : start + SLICE]
        old = wanted < kept
        piece = merged[start : start + len(wanted)]
        piece[old] = before[keep[wanted[old]]]
        piece[~old] = added[wanted[~old] - kept]
        time.sleep(0)  # let a waiting thread take the GIL
    return merged


def objects(values: Iterable[object]) -> NDArray[np.object_]:
    """A one-dimensional object array of `values` (tuples stay elements, unlike np.array(list))."""
    items = list(values)
    return np.fromiter(items, dtype=object, count=len(items))
