"""The C allocator's part in a worker's memory: what a long-lived process holding a large, often replaced
index needs from glibc (both calls are no-ops where the C library lacks them)."""

from __future__ import annotations

import ctypes
from functools import cache

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)


@cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None)


def map_large_blocks() -> None:
    """Have glibc map every block over 1 MiB on its own, so an index column freed after a patch or a
    rebuild goes back to the system at once. By default glibc raises that threshold each time such a
    block is freed and then serves the next ones from its heap, which it keeps: at the national set a
    worker grew by ~150 MB over 100 edits. A setting of the process: called once, at a worker's start."""
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, 1 << 20)


def release_free_heap() -> None:
    """Hand the heap's free pages back to the system (after a new snapshot is installed: the smaller
    blocks of the old one and of the rows read, ~45 MB after a national read). ctypes releases the
    interpreter lock for the call, so queries go on meanwhile."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is not None:
        trim(0)
