"""Background work that leaves the UI thread whole slices of the GIL.

A thread matching a filter over a million spans gives up the GIL only when
the UI thread forces a switch, and Textual's event loop gives it back at
every turn. `time.sleep(0)` hardly helps: the thread that releases the GIL
takes it straight back. So the work pauses for real, briefly and often, and
the UI runs many turns in a rest. Measured in tmux on the 1M-line log, a
letter typed every 250 ms while the tree's filter ran showed in 10–47 ms
(mean 30) with rests, 15–55 ms (mean 41) with `time.sleep(0)`.
"""

from __future__ import annotations

import threading
import time

#: Work this long (s) between rests.
WORK_SLICE = 0.004
#: Rest this long (s): long enough for the UI to draw a keystroke.
REST = 0.001


class Breather:
    """Call it often (every thousand items or so) from a loop: off the main
    thread (the UI's), it rests when a slice of work is done; on it (the
    CLI), never."""

    __slots__ = ("_due",)

    def __init__(self) -> None:
        background = threading.current_thread() is not threading.main_thread()
        self._due = time.perf_counter() + WORK_SLICE if background else float("inf")

    def __call__(self) -> None:
        if time.perf_counter() >= self._due:
            time.sleep(REST)
            self._due = time.perf_counter() + WORK_SLICE
