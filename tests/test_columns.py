"""analysis.columns.patched_array: the sliced gather equals its definition, concat(before[keep], added)[order],
for every column type an index patch uses, across slice boundaries."""

from __future__ import annotations

import numpy as np
import pytest

from geo_service.analysis.columns import SLICE, objects, patched_array


def _column(dtype: str, values: np.ndarray) -> np.ndarray:
    if dtype == "O":
        return objects((int(v), f"驿站 {v}") for v in values)  # tuples, as the nearest features hold
    return values.astype(dtype)


@pytest.mark.parametrize("dtype", ["i8", "f8", "U16", "O"])
@pytest.mark.parametrize("size", [0, 1, SLICE - 1, 2 * SLICE + 5])
def test_a_patched_column_equals_the_concatenated_gather(dtype: str, size: int) -> None:
    rng = np.random.default_rng(size)
    before = _column(dtype, rng.integers(0, 10**6, size))
    keep = np.flatnonzero(rng.random(size) < 0.9)
    added = _column(dtype, rng.integers(0, 10**6, 7))
    order = rng.permutation(len(keep) + len(added))
    expected = np.concatenate((before[keep], added))[order]
    patched = patched_array(before, keep, added, order)
    assert patched.dtype == expected.dtype
    assert patched.tolist() == expected.tolist()
