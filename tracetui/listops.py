"""The span tree's long lists searched and copied: a span among 120k rows, a task's 114k samples laid out.

Plain list operations touch every element's object, though these need
only the list's pointers: `list.index` compares with `==`, which for a
`Span` (no `__eq__` of its own) reads each element's type (2–10 ms to
search a task's 114k samples of a 1M-line log, scattered over memory), and
`out.extend(items[a:b])` makes the slice, copies it and lets go of it, a
pass over the elements' reference counts each, as `items[a:b] = rows`
copies rows about to be let go of. The accelerator
(`_listops.c`) compares pointers, copies once or moves the pointers, and
fetches the objects ahead where it must count each; without it (no C
compiler), the plain operations give the same answers, slower.
"""

from __future__ import annotations

import sys
from typing import Any

try:
    from tracetui._listops import extend_slice as _extend_slice
    from tracetui._listops import index_of as _index_of
    from tracetui._listops import indices_of as _indices_of
    from tracetui._listops import index_of_int as _index_of_int
    from tracetui._listops import splice_moving as _splice_moving
except ImportError:  # pragma: no cover - the accelerator is optional
    _extend_slice = _index_of = _indices_of = _index_of_int = _splice_moving = None


def _list_index(items: list | tuple, value: Any, start: int, stop: int) -> int | None:
    """`list.index`, None where it raises: what the accelerator answers."""
    try:
        return items.index(value, start, stop)
    except ValueError:
        return None


def index_of(items: list | tuple, obj: Any, start: int = 0, stop: int = sys.maxsize) -> int | None:
    """The first position of `obj` itself in `items[start:stop]`, or None.
    For objects whose `==` is identity (spans, runs). A tuple (a span's few
    children, `Span.add_child_compact`) is searched in Python."""
    find = _index_of if _index_of is not None and type(items) is list else _list_index
    return find(items, obj, start, stop)


def indices_of(items: list | tuple, objs: set | frozenset) -> list[int]:
    """The positions in `items` of the objects in `objs` themselves,
    ascending: in C, one pass comparing pointers (~0.15 ms over a task's
    114k samples), not reading each element as a set lookup does. For
    objects whose `==` is identity (spans)."""
    if _indices_of is not None and type(items) is list:
        return _indices_of(items, objs)
    return [i for i, item in enumerate(items) if item in objs]


def index_of_int(items: list[int], value: int, start: int = 0, stop: int = sys.maxsize) -> int | None:
    """The first position of an int equal to `value` in `items[start:stop]`,
    or None (`list.index`: 2 ms over the 114k depths of a task's rows). An
    int beyond 64 bits is `list.index`'s to find."""
    fits = -(1 << 63) <= value < (1 << 63)
    find = _index_of_int if _index_of_int is not None and fits else _list_index
    return find(items, value, start, stop)


def extend_slice(out: list, items: list | tuple, start: int, stop: int) -> int:
    """`out.extend(items[start:stop])`; the number of items added."""
    if _extend_slice is not None and type(items) is list:
        return _extend_slice(out, items, start, stop)
    before = len(out)
    out.extend(items[start:stop])
    return len(out) - before


def splice_moving(items: list, start: int, stop: int, source: list) -> None:
    """`items[start:stop] = source`, then `source` emptied: its references
    moved into `items`, not copied and let go of (two passes fewer over the
    objects: 114k samples, a task opened). Two lists, not one."""
    if _splice_moving is not None:
        _splice_moving(items, start, stop, source)
        return
    if items is source:
        raise ValueError("splice_moving: a list into itself")
    items[start:stop] = source
    source.clear()
