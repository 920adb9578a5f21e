"""How the process's heap holds memory while big sources are read: freed
blocks kept to be reused while reading, free pages handed back once a read
ends.

Both are glibc's (`mallopt`, `malloc_trim`); elsewhere (macOS, musl) they
do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util

#: glibc's `mallopt` parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
#: The heaps (glibc's arenas) the app's threads share: one. glibc gives
#: each thread a heap of its own as it first allocates (up to eight a
#: core), and the app's reader, prescan and worker threads each had one.
#: `malloc_trim` hands back free pages inside a thread's heap but never the
#: free block at its top, which stayed resident: after loading a 1M-line
#: Inspect log the app held five heaps, 15 MB free in the four threads'
#: ones (RSS 282-286 B a span against 272 B with one heap, three runs
#: each). The threads allocate holding the GIL, so they seldom wait on the
#: heap's lock: every span indexed in 1.78 s against 1.85 s (`bench_tui.py`,
#: seed 5309, two runs each).
APP_HEAPS = 1
#: Blocks up to this size come from the heap, not from a mapping of their
#: own. A reader's slice (up to 8 MiB, `files.READ_SIZE`), its copies and
#: the lists of lines cut from it are made and freed again slice after
#: slice: mapped anew each time (glibc maps blocks over 128 KiB, and the
#: limit it learns moves), each 4 KiB page of each slice was a page fault
#: and a page cleared, 320k of them reading a 1M-line log with `cli.load`.
HEAP_BLOCK_LIMIT = 32 * 1024 * 1024
#: Free memory the heap keeps at its top before it hands it back by
#: itself (glibc's default, 128 KiB to twice the learnt limit, gave slices
#: back only to fault them in again for the next). `give_back_free_memory`
#: hands everything free back once a read ends.
HEAP_KEEP = 32 * 1024 * 1024

_libc: ctypes.CDLL | None = None
_looked = False
_tuned = False
_one_heap = False


def _glibc() -> ctypes.CDLL | None:
    """The C library, if it has glibc's heap calls."""
    global _libc, _looked
    if not _looked:
        _looked = True
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        except OSError:
            libc = None
        _libc = libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    return _libc


def reuse_freed_memory() -> None:
    """Keep blocks freed while reading to be reused, rather than mapped and
    faulted in anew: `cli.load` of a 1M-line log made 122k page faults
    instead of 323k and took 2.4-3.0 s instead of 3.0-3.6 s (three runs
    each, alternating). Once per process (the first file followed asks)."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, HEAP_BLOCK_LIMIT)
        libc.mallopt(_M_TRIM_THRESHOLD, HEAP_KEEP)


def share_one_heap() -> None:
    """Have every thread allocate from one heap (`APP_HEAPS`). glibc reads
    the limit when a second thread first allocates, so the app asks before
    it opens a source or starts a thread, and a file follower before it
    reads a slice ahead on a thread of its own (`files.ReadAhead`). Once
    per process."""
    global _one_heap
    if _one_heap:
        return
    _one_heap = True
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, APP_HEAPS)


def give_back_free_memory() -> None:
    """Return the heap's free pages to the system, where glibc can.

    Reading a big log makes and frees a parsed record per line between the
    spans that stay, and glibc keeps the freed pages: after reading the
    1M-line bench log (`cli.load`), 23 MB (49 B a span) were held unused.
    `malloc_trim` returns them in about 2 ms."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
