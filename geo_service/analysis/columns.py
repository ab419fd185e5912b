"""Patching per-position columns: drop some positions, append new ones, and restore a sort order.

Columns of Python objects are held as object arrays rather than tuples, so a patch is a gather of
pointers in C (tuples of 186,000 items took ~50 ms each to patch in Python).

An in-memory index follows edits by patching its columns instead of rebuilding them (see
services.facility_index.patch_snapshot); every column must be patched the same way, so the rule lives
here once: the result is `concat(before[keep], added)[order]`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.intp]


SLICE = 16_384  # positions gathered per GIL hold (an object gather increfs each one: ~1 ms a slice)
COPY_BYTES = 1 << 22  # bytes copied per GIL hold when a packed column is patched (well under 1 ms)


def patched_array(before: NDArray[Any], keep: IntArray, added: NDArray[Any], order: IntArray) -> NDArray[Any]:
    """`concat(before[keep], added)[order]` for an array, gathered straight from the two sources in
    slices with a thread switch between them: a patch runs beside the event loop's thread, and one
    gather of 186,000 objects would hold the GIL for 10–50 ms (every nearest request waiting).
    Numbers are gathered at once: no references to count, ~0.5 ms at 186,000 (slices cost 3× that)."""
    if before.dtype != object and added.dtype != object:
        return np.concatenate((before[keep], added))[order]
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


@dataclass(frozen=True)
class PackedBytes:
    """Byte strings by position, packed in one buffer with offsets.

    186,000 short strings as Python objects cost ~40 bytes of header and a pointer each besides their
    content, and every collector pass walks them; packed, each costs its content and an 8-byte offset,
    and the buffer is one object. Reading one back copies it out (`[position]`), which the hot path does
    for the handful of facilities it answers with."""

    buffer: NDArray[np.uint8]
    offsets: NDArray[np.int64]  # len(self) + 1: value i is buffer[offsets[i]:offsets[i + 1]]

    @classmethod
    def of(cls, values: Iterable[bytes]) -> PackedBytes:
        items = list(values)
        offsets = np.zeros(len(items) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, items), dtype=np.int64, count=len(items)), out=offsets[1:])
        return cls(np.frombuffer(b"".join(items), dtype=np.uint8), offsets)

    @classmethod
    def concatenated(cls, parts: Sequence[PackedBytes]) -> PackedBytes:
        """The values of `parts` one after the other."""
        sizes = np.array([len(part.buffer) for part in parts], dtype=np.int64)
        starts = np.cumsum(sizes) - sizes  # where each part's bytes begin in the joined buffer
        offsets = [parts[0].offsets[:1], *(part.offsets[1:] + start for part, start in zip(parts, starts, strict=True))]
        return cls(np.concatenate([part.buffer for part in parts]), np.concatenate(offsets))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, position: int) -> bytes:
        return self.buffer[self.offsets[position] : self.offsets[position + 1]].tobytes()

    def patched(self, keep: IntArray, added: PackedBytes, order: IntArray) -> PackedBytes:
        """`concat(self[keep], added)[order]` (see patched_array), copied run by run: the kept positions
        stay in order between the changed ones, so a patch of a few rows is a few long copies, made in
        pieces of COPY_BYTES with a thread switch between them."""
        from_old = order < len(keep)
        source = np.empty(len(order), dtype=np.intp)  # the position in self (from_old) or in added
        source[from_old] = keep[order[from_old]]
        source[~from_old] = order[~from_old] - len(keep)
        lengths = np.empty(len(order), dtype=np.int64)
        lengths[from_old] = np.diff(self.offsets)[source[from_old]]
        lengths[~from_old] = np.diff(added.offsets)[source[~from_old]]
        offsets = np.zeros(len(order) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        buffer = np.empty(int(offsets[-1]), dtype=np.uint8)
        # a run ends where the source changes buffer or stops being consecutive
        breaks = np.flatnonzero((np.diff(source) != 1) | (from_old[1:] != from_old[:-1])) + 1
        starts, ends = ([0, *breaks.tolist()], [*breaks.tolist(), len(order)]) if len(order) else ([], [])
        for start, end in zip(starts, ends, strict=True):
            origin = self if from_old[start] else added
            first = int(origin.offsets[source[start]])
            _copy(buffer, int(offsets[start]), origin.buffer, first, int(offsets[end] - offsets[start]))
        return PackedBytes(buffer, offsets)


def _copy(target: NDArray[np.uint8], at: int, source: NDArray[np.uint8], start: int, size: int) -> None:
    for done in range(0, size, COPY_BYTES):
        piece = min(COPY_BYTES, size - done)
        target[at + done : at + done + piece] = source[start + done : start + done + piece]
        time.sleep(0)  # let a waiting thread take the GIL


@dataclass(frozen=True)
class CodedColumn:
    """A column of few distinct values (a kind, a district, opening hours …) stored as a small
    code per position into a table of those values, each prepared once (`encode`) however many
    facilities share it."""

    codes: NDArray[np.uint32]
    table: tuple[bytes, ...]

    @classmethod
    def of(cls, keys: Sequence[Hashable], encode: Callable[[Any], bytes]) -> CodedColumn:
        """The column of `keys`, its table `encode(key)` for each distinct key."""
        known: dict[Hashable, int] = {}
        codes = [known.setdefault(key, len(known)) for key in keys]  # a new key gets the next code
        return cls(np.array(codes, dtype=np.uint32), tuple(encode(key) for key in known))

    @classmethod
    def concatenated(cls, parts: Sequence[CodedColumn]) -> CodedColumn:
        """The values of `parts` one after the other, one code per distinct value."""
        index: dict[bytes, int] = {}
        codes = [
            np.array([index.setdefault(value, len(index)) for value in part.table], dtype=np.uint32)[part.codes]
            for part in parts
        ]
        return cls(np.concatenate(codes), tuple(index))

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, position: int) -> bytes:
        return self.table[self.codes[position]]

    def patched(self, keep: IntArray, added: CodedColumn, order: IntArray) -> CodedColumn:
        """`concat(self[keep], added)[order]` (see patched_array), the added values' codes mapped into
        this table (values new to it are appended; a full rebuild drops those no longer used)."""
        index = {value: code for code, value in enumerate(self.table)}
        table = list(self.table)
        remap = np.empty(len(added.table), dtype=np.uint32)
        for code, value in enumerate(added.table):
            if value not in index:
                index[value] = len(table)
                table.append(value)
            remap[code] = index[value]
        return CodedColumn(patched_array(self.codes, keep, remap[added.codes], order), tuple(table))
