"""Patching per-position columns: drop some positions, append new ones, and restore a sort order.

An in-memory index follows edits by patching its columns instead of rebuilding them (see
services.facility_index.patch_snapshot); every column, in whatever form it is held, must be patched the
same way, so the rule lives here once: the result is `concat(before[keep], added)[order]`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

T = TypeVar("T")
IntArray = NDArray[np.intp]


def patched_array(before: NDArray[Any], keep: IntArray, added: NDArray[Any], order: IntArray) -> NDArray[Any]:
    """`concat(before[keep], added)[order]` for an array."""
    return np.concatenate((before[keep], added))[order]


def patched_tuple(before: Sequence[T], keep: IntArray, added: Sequence[T], order: IntArray) -> tuple[T, ...]:
    """`concat(before[keep], added)[order]` for a tuple of Python objects."""
    combined = [before[i] for i in keep.tolist()]
    combined.extend(added)
    return tuple(combined[i] for i in order.tolist())
