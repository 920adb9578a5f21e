"""Handing the heap's free memory back to the system once a big read ends.

Reading a big log makes and frees a parsed record per line between the
spans that stay, and glibc keeps the freed pages: after reading the
1M-line bench log (`cli.load`), 23 MB (49 B a span) were held unused. `malloc_trim`
returns them in about 2 ms. Elsewhere (macOS, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Callable

_trim: Callable[[int], int] | None = None
_looked = False


def give_back_free_memory() -> None:
    """Return the heap's free pages to the system, where glibc can."""
    global _trim, _looked
    if not _looked:
        _looked = True
        try:
            _trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _trim = None
    if _trim is not None:
        _trim(0)
