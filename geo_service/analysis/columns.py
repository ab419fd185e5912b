"""Patching per-position columns: drop some positions, append new ones, and restore a sort order.

Columns of Python objects are held as object arrays rather than tuples, so a patch is a gather of
pointers in C (tuples of 186,000 items took ~50 ms each to patch in Python).

An in-memory index follows edits by patching its columns instead of rebuilding them (see
services.facility_index.patch_snapshot); every column must be patched the same way, so the rule lives
here once: the result is `concat(before[keep], added)[order]`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.intp]


def patched_array(before: NDArray[Any], keep: IntArray, added: NDArray[Any], order: IntArray) -> NDArray[Any]:
    """`concat(before[keep], added)[order]` for an array."""
    return np.concatenate((before[keep], added))[order]


def objects(values: Iterable[object]) -> NDArray[np.object_]:
    """A one-dimensional object array of `values` (tuples stay elements, unlike np.array(list))."""
    items = list(values)
    return np.fromiter(items, dtype=object, count=len(items))
