"""analysis.columns: a patched column equals its definition, concat(before[keep], added)[order], for every
column type an index patch uses (arrays across slice boundaries, packed byte strings across copy pieces,
coded columns whose tables differ), computed independently on Python lists."""

from __future__ import annotations

import numpy as np
import pytest

from geo_service.analysis import columns
from geo_service.analysis.columns import SLICE, CodedColumn, PackedBytes, objects, patched_array


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


def _strings(rng: np.random.Generator, count: int) -> list[bytes]:
    return [("驿站" * int(rng.integers(0, 4)) + str(int(v))).encode() for v in rng.integers(0, 10**6, count)]


def _patch(rng: np.random.Generator, size: int, added: int, sorted_ids: bool) -> tuple[np.ndarray, np.ndarray]:
    """keep and order as an index patch makes them (ids stay sorted), or any permutation."""
    keep = np.flatnonzero(rng.random(size) < 0.9)
    if not sorted_ids:
        return keep, rng.permutation(len(keep) + added)
    # the kept rows stay in order, the added ones land between them
    ranks = np.concatenate((np.arange(len(keep)) * 2.0, rng.random(added) * 2 * max(len(keep), 1)))
    return keep, np.argsort(ranks, kind="stable")


@pytest.mark.parametrize("size", [0, 1, 50, 3000])
@pytest.mark.parametrize("sorted_ids", [True, False])
def test_packed_bytes_patch_like_a_list(size: int, sorted_ids: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columns, "COPY_BYTES", 64)  # many pieces per run
    rng = np.random.default_rng(size + sorted_ids)
    before, added = _strings(rng, size), _strings(rng, 5)
    keep, order = _patch(rng, size, len(added), sorted_ids)
    expected = [([before[i] for i in keep] + added)[i] for i in order]
    patched = PackedBytes.of(before).patched(keep, PackedBytes.of(added), order)
    assert len(patched) == len(expected)
    assert [patched[i] for i in range(len(patched))] == expected


@pytest.mark.parametrize("size", [0, 1, 500])
def test_a_coded_column_patches_like_a_list_and_keeps_one_code_per_value(size: int) -> None:
    rng = np.random.default_rng(size)
    before = [f"区{v}".encode() for v in rng.integers(0, 6, size)]
    added = [f"区{v}".encode() for v in rng.integers(3, 9, 6)]  # some values known, some new
    keep, order = _patch(rng, size, len(added), sorted_ids=False)
    expected = [([before[i] for i in keep] + added)[i] for i in order]
    patched = CodedColumn.of(before, bytes).patched(keep, CodedColumn.of(added, bytes), order)
    assert [patched[i] for i in range(len(patched))] == expected
    assert len(set(patched.table)) == len(patched.table)


def test_packed_and_coded_parts_concatenate_like_lists() -> None:
    rng = np.random.default_rng(3)
    parts = [_strings(rng, size) for size in (0, 3, 1, 40)]
    packed = PackedBytes.concatenated([PackedBytes.of(part) for part in parts])
    assert [packed[i] for i in range(len(packed))] == [value for part in parts for value in part]
    coded_parts = [[f"镇{v}".encode() for v in rng.integers(0, 5, size)] for size in (4, 0, 9)]
    coded = CodedColumn.concatenated([CodedColumn.of(part, bytes) for part in coded_parts])
    assert [coded[i] for i in range(len(coded))] == [value for part in coded_parts for value in part]
    assert len(set(coded.table)) == len(coded.table)
